package improvement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/edge-agent/edge-agent/internal/read"
)

// Reads is the read store a programme follows (package store satisfies it).
// A read is sampled only once it is final (its vehicle pass ended); the
// store numbers final reads with a final_seq that grows in the order they
// became final, which is not the order of their ids (a pass stored early,
// at its confirmation, may end late), and is never reused.
type Reads interface {
	// Path names the store, so that a cursor is not applied to another one.
	Path() string
	// LastSeq is the highest final_seq ever given (0: none yet).
	LastSeq(ctx context.Context) (int64, error)
	// LastID is the highest read id ever given (0: none yet). A read gets
	// its id when it is first stored, provisional or final; ids grow and
	// are never reused.
	LastID(ctx context.Context) (int64, error)
	// QueryFinalAfter calls fn for every final read with a final_seq above
	// seq, in final_seq order, and stops at the first error fn returns,
	// returning it.
	QueryFinalAfter(ctx context.Context, seq int64, fn func(rec read.Record, seq int64) error) error
}

// errBatch ends a page of the catch-up query.
var errBatch = errors.New("batch full")

// errStale stops a catch-up that is no longer wanted: the programme was
// turned off, or started following again from the newest read.
var errStale = errors.New("catch-up no longer wanted")

// Follow makes the hand-over from the read store durable. While the tenant
// takes part, every final read of src is owed a decision (a sample, or a
// counted suppression); the highest final_seq decided, the cursor, is kept
// in the holding queue in the same transaction as the sample made of it. Follow
// offers again, in the background, the reads above the cursor that a
// previous run stored but did not decide (a kill or power cut between the
// store and the sample); later, Offer leaves the reads it has no room for
// to the same catch-up instead of dropping them.
//
// Reads stored while the programme is off are never owed anything: whenever
// it is turned on (at start after a run with it off, by reload, or when
// consent is resumed), the cursor starts from the newest final read then,
// and the consent boundary is set to the newest read id then given, in the
// same row. A read at or below the boundary is never sampled, even when it
// becomes final later (its pass was confirmed, and its provisional read
// stored, while the tenant was out): it is counted as suppressed (reason
// "before_consent"). So does a cursor that counts in another store
// (src.Path differs, or src has fewer final reads or ids than the cursor
// and boundary). The boundary is kept across restarts until the next
// opt-in or resumption.
//
// Call Follow once, before the first Offer.
func (p *Programme) Follow(ctx context.Context, src Reads) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return ErrClosed
	default:
	}
	if p.followed.Load() {
		return errors.New("improvement: Follow called twice")
	}
	path, err := filepath.Abs(src.Path())
	if err != nil {
		return fmt.Errorf("improvement: read store path: %w", err)
	}
	cur, err := readCursor(p.db)
	if err != nil {
		return fmt.Errorf("improvement queue: %w", err)
	}
	p.offerMu.Lock()
	defer p.offerMu.Unlock()
	p.src, p.srcPath = src, path
	p.followed.Store(true)
	if p.enabled.Load() {
		if err := p.resume(ctx, cur); err != nil {
			return err
		}
	}
	if p.started { // else Start starts it
		p.worker.Add(1)
		go p.catchUpLoop()
	}
	return nil
}

// resume takes up, when Follow finds the programme on, the cursor and
// boundary of the last run if they count in src, or starts from its newest
// read. p.offerMu is held.
func (p *Programme) resume(ctx context.Context, cur cursorRow) error {
	last, lastID, err := p.newest(ctx)
	if err != nil {
		return err
	}
	if !cur.following || cur.path != p.srcPath || cur.seq > last || (cur.boundary.Valid && cur.boundary.Int64 > lastID) {
		if cur.following {
			p.log.Warn("improvement: the cursor counts in another read store; starting from its newest read",
				"cursor", cur.seq, "newest", last)
		}
		return p.followFrom(last, lastID)
	}
	if !cur.boundary.Valid {
		p.log.Info("improvement: the holding queue predates the consent boundary; reads stored until now are not sampled")
		if _, err := p.db.Exec(`UPDATE cursor SET boundary = ? WHERE id = 1`, lastID); err != nil {
			return fmt.Errorf("improvement queue: cursor: %w", err)
		}
		cur.boundary.Int64 = lastID
	}
	p.boundary.Store(cur.boundary.Int64)
	p.lastQueued, p.behind = cur.seq, true
	p.kick()
	if cur.seq < last {
		p.log.Info("improvement: offering again the reads stored but not decided before the last stop",
			"reads", last-cur.seq)
	}
	return nil
}

// Cursor is the highest final_seq decided, as persisted in the holding
// queue (0 before the programme first followed a store).
func (p *Programme) Cursor() (int64, error) {
	c, err := readCursor(p.db)
	return c.seq, err
}

// Boundary is the consent boundary persisted in the holding queue: the
// reads with an id at or below it were stored before the tenant's current
// opt-in or resumption and are never sampled. ok is false before the
// programme first followed a store with the tenant opted in.
func (p *Programme) Boundary() (id int64, ok bool, err error) {
	c, err := readCursor(p.db)
	return c.boundary.Int64, c.boundary.Valid, err
}

// newest returns the highest final_seq, then the highest read id, of the
// followed store. In that order, a read stored and made final between the
// two is at or below the boundary: it gets a decision (suppressed), it is
// not skipped.
func (p *Programme) newest(ctx context.Context) (seq, id int64, err error) {
	if seq, err = p.src.LastSeq(ctx); err != nil {
		return 0, 0, fmt.Errorf("improvement: %w", err)
	}
	if id, err = p.src.LastID(ctx); err != nil {
		return 0, 0, fmt.Errorf("improvement: %w", err)
	}
	return seq, id, nil
}

// followFrom starts following the store from final_seq last on, with the
// reads up to id boundary left out: in memory, and in the holding queue
// (one row, one statement). p.offerMu is held.
func (p *Programme) followFrom(last, boundary int64) error {
	p.lastQueued, p.behind = last, false
	_, err := p.db.Exec(`INSERT INTO cursor (id, final_seq, following, store_path, boundary) VALUES (1, ?, 1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET final_seq = excluded.final_seq, following = 1,
			store_path = excluded.store_path, boundary = excluded.boundary`,
		last, p.srcPath, boundary)
	if err != nil {
		return fmt.Errorf("improvement queue: cursor: %w", err)
	}
	p.boundary.Store(boundary)
	return nil
}

// followNewest starts following from the newest stored read, when the
// programme is turned on: the reads stored until then, final or not, are
// never sampled. p.offerMu is held.
func (p *Programme) followNewest() error {
	last, lastID, err := p.newest(p.ctx)
	if err != nil {
		return err
	}
	return p.followFrom(last, lastID)
}

// kick wakes the catch-up loop; it never blocks.
func (p *Programme) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// catchUpLoop catches up whenever kicked, until Close.
func (p *Programme) catchUpLoop() {
	defer p.worker.Done()
	for {
		select {
		case <-p.done:
			return
		case <-p.wake:
		}
		err := p.catchUp(p.ctx)
		if err != nil && !errors.Is(err, errStale) && !errors.Is(err, ErrClosed) && p.ctx.Err() == nil {
			// Kicked again by the next Offer.
			p.log.Warn("improvement: reading back stored reads failed", "err", err)
		}
	}
}

// catchUp feeds the intake, in final_seq order, with the final reads above
// the last one queued, a page at a time, until none is left; then Offer takes
// the new reads again. The page is read under p.offerMu, so that a read
// stored meanwhile is either in a page or offered after the catch-up ends.
func (p *Programme) catchUp(ctx context.Context) error {
	p.catchMu.Lock()
	defer p.catchMu.Unlock()
	for {
		p.offerMu.Lock()
		if !p.behind || !p.enabled.Load() {
			p.offerMu.Unlock()
			return nil
		}
		page := make([]job, 0, intakeSize)
		err := p.src.QueryFinalAfter(ctx, p.lastQueued, func(r read.Record, seq int64) error {
			page = append(page, job{rec: r, seq: seq})
			if len(page) == cap(page) {
				return errBatch
			}
			return nil
		})
		if err == nil && len(page) == 0 {
			p.behind = false
		}
		p.offerMu.Unlock()
		if err != nil && !errors.Is(err, errBatch) {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, j := range page {
			if err := p.feed(ctx, j); err != nil {
				return err
			}
		}
	}
}

// feed puts one final read on the intake, waiting for room without holding
// p.offerMu.
func (p *Programme) feed(ctx context.Context, j job) error {
	for {
		p.offerMu.Lock()
		if !p.behind || !p.enabled.Load() {
			p.offerMu.Unlock()
			return errStale
		}
		if j.seq <= p.lastQueued {
			p.offerMu.Unlock()
			return nil
		}
		select {
		case p.intake <- j:
			p.lastQueued = j.seq
			p.offerMu.Unlock()
			p.m.reoffered.Inc()
			return nil
		default:
		}
		p.offerMu.Unlock()
		select {
		case <-p.room:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return ErrClosed
		}
	}
}

// advanceCursor records in q (the transaction of the decision, or the
// queue) that the final read seq was decided (0: a record not followed).
func advanceCursor(q interface {
	Exec(string, ...any) (sql.Result, error)
}, seq int64) error {
	if seq <= 0 {
		return nil
	}
	_, err := q.Exec(`UPDATE cursor SET final_seq = ? WHERE id = 1 AND final_seq < ?`, seq, seq)
	return err
}

// cursorRow is the cursor row of the holding queue.
type cursorRow struct {
	seq       int64         // the highest final_seq decided
	following bool          // every final read above seq is owed a decision
	path      string        // the read store seq counts in
	boundary  sql.NullInt64 // reads with an id at or below it are never sampled
}

// readCursor reads the cursor row; a queue without one follows nothing.
func readCursor(q interface {
	QueryRow(string, ...any) *sql.Row
}) (cursorRow, error) {
	var c cursorRow
	err := q.QueryRow(`SELECT final_seq, following, store_path, boundary FROM cursor WHERE id = 1`).
		Scan(&c.seq, &c.following, &c.path, &c.boundary)
	if errors.Is(err, sql.ErrNoRows) {
		return cursorRow{}, nil
	}
	return c, err
}
