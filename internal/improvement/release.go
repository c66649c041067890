package improvement

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// ErrClosed is returned by Flush on a closed programme.
var ErrClosed = errors.New("improvement programme is closed")

// keepDecided is how long a released bucket is remembered, so that a late
// read cannot open it again (and slip under the k-threshold and plate cap).
const keepDecided = 7 * 24 * time.Hour

// FlushOptions tunes Flush.
type FlushOptions struct {
	// SkipJitter releases a closed bucket at once instead of after its random
	// delay. Only for replays, whose buckets closed long ago.
	SkipJitter bool
}

// Run releases samples until ctx ends: it wakes when the next bucket is due,
// when Consented saw a withdrawal made by command, and at least every 30 s
// to notice one; it returns nil when ctx is cancelled.
func (p *Programme) Run(ctx context.Context) error {
	for {
		if _, err := p.step(false); err != nil && !errors.Is(err, ErrClosed) {
			p.log.Warn("improvement release failed", "err", err)
		}
		wait := p.nextWake()
		p.heart.BeatIn(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-p.done:
			return nil
		case <-p.clock.After(wait):
		case <-p.resync:
		}
	}
}

// SetHeart makes Run beat h at every step and before each wait, for the
// watchdog. Call it before Run.
func (p *Programme) SetHeart(h *live.Heart) { p.heart = h }

// Flush waits until every record offered before it, and every stored read
// the catch-up from the read store still owes a decision (Follow), has been
// made into a sample (or dropped), then releases every bucket that is due
// now, or with opt.SkipJitter every bucket that has closed. It returns how
// many samples went to the sink.
func (p *Programme) Flush(ctx context.Context, opt FlushOptions) (int, error) {
	if p.followed.Load() {
		if err := p.catchUp(ctx); err != nil && !errors.Is(err, errStale) {
			return 0, err
		}
	}
	barrier := make(chan struct{})
	select {
	case p.intake <- job{flushed: barrier}:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-p.done:
		return 0, ErrClosed
	}
	select {
	case <-barrier:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-p.done:
		return 0, ErrClosed
	}
	return p.step(opt.SkipJitter)
}

// step notices a withdrawal or resumption made by command, decides the
// buckets that are due, hands the ready samples to the sink in shuffled
// order, and forgets old state.
func (p *Programme) step(skipJitter bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return 0, ErrClosed
	default:
	}
	if err := p.syncConsent(); err != nil {
		return 0, err
	}
	if !p.enabled.Load() {
		return 0, nil
	}
	now := p.clock.Now()
	cfg := p.cfg.Load()
	// An offer stamped in the future was stamped by a clock that has been
	// set back since: it does not delay a release past now's jitter.
	if _, err := p.db.Exec(`UPDATE buckets SET last_offer = ? WHERE decided IS NULL AND last_offer > ?`,
		now.UnixNano(), now.UnixNano()); err != nil {
		return 0, err
	}
	due, err := p.dueBuckets(now, skipJitter)
	if err != nil {
		return 0, err
	}
	for _, b := range due {
		if err := inTx(p.db, func(tx *sql.Tx) error { return p.decide(tx, b, cfg, now) }); err != nil {
			return 0, err
		}
	}
	n, err := p.publish(cfg)
	if err != nil {
		return n, err
	}
	return n, p.forget(now, cfg)
}

type bucket struct{ start, seconds int64 }

// releaseAt is when a bucket may be released: once it has closed and no
// sample joined it for its random delay.
func releaseAt(start, seconds, jitter, lastOffer int64, skipJitter bool) time.Time {
	at := time.Unix(start+seconds, 0)
	if last := time.Unix(0, lastOffer); last.After(at) {
		at = last
	}
	if skipJitter {
		return at
	}
	return at.Add(time.Duration(jitter))
}

func (p *Programme) dueBuckets(now time.Time, skipJitter bool) ([]bucket, error) {
	rows, err := p.db.Query(`SELECT start, seconds, jitter, last_offer FROM buckets WHERE decided IS NULL ORDER BY start`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var due []bucket
	for rows.Next() {
		var b bucket
		var jitter, last int64
		if err := rows.Scan(&b.start, &b.seconds, &jitter, &last); err != nil {
			return nil, err
		}
		if !now.Before(releaseAt(b.start, b.seconds, jitter, last, skipJitter)) {
			due = append(due, b)
		}
	}
	return due, rows.Err()
}

// nextWake is how long Run sleeps: until the next bucket is due, at most
// pollInterval.
func (p *Programme) nextWake() time.Duration {
	now := p.clock.Now()
	wait := pollInterval
	rows, err := p.db.Query(`SELECT start, seconds, jitter, last_offer FROM buckets WHERE decided IS NULL`)
	if err != nil {
		return wait
	}
	defer rows.Close()
	for rows.Next() {
		var start, seconds, jitter, last int64
		if rows.Scan(&start, &seconds, &jitter, &last) == nil {
			wait = min(wait, max(releaseAt(start, seconds, jitter, last, false).Sub(now), time.Millisecond))
		}
	}
	return wait
}

type held struct {
	id      int64
	cell    string
	payload []byte
	vehicle string // the plate's key under the bucket's salt
}

// vehicles counts the distinct plates among hs: the k-threshold is about
// vehicles, and max_per_plate above 1 lets one vehicle give several samples.
func vehicles(hs []held) int {
	seen := map[string]bool{}
	for _, h := range hs {
		seen[h.vehicle] = true
	}
	return len(seen)
}

// decide applies the k-threshold to a closed bucket: a cell with samples of
// at least min_per_cell distinct plates is released as it is; smaller cells
// are generalised one geohash level and released if the coarser cell
// gathers enough plates, or dropped. The plate and event hashes are erased.
func (p *Programme) decide(tx *sql.Tx, b bucket, cfg *config.Improvement, now time.Time) error {
	// A bucket's samples share one salt (bucketSalt); a queue written
	// before that may hold two, and counts a plate under each.
	rows, err := tx.Query(`SELECT id, cell, payload, coalesce(salt, 0) || ':' || coalesce(hex(plate), id) FROM samples
		WHERE bucket_start = ? AND bucket_seconds = ? AND ready = 0`, b.start, b.seconds)
	if err != nil {
		return err
	}
	cells := map[string][]held{}
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.cell, &h.payload, &h.vehicle); err != nil {
			rows.Close()
			return err
		}
		cells[h.cell] = append(cells[h.cell], h)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	var drop []int64
	parents := map[string][]held{}
	for cell, hs := range cells {
		switch {
		case vehicles(hs) >= cfg.MinPerCell:
		case cfg.BelowThreshold == "generalize" && len(cell) >= 2:
			parents[cell[:len(cell)-1]] = append(parents[cell[:len(cell)-1]], hs...)
		default:
			drop = append(drop, ids(hs)...)
		}
	}
	pol := sanitize.Policy{Improvement: *cfg, Identity: p.id}
	for cell, hs := range parents {
		if vehicles(hs) < cfg.MinPerCell {
			drop = append(drop, ids(hs)...)
			continue
		}
		for _, h := range hs {
			if err := generalize(tx, h, cell, pol); err != nil {
				p.log.Debug("improvement sample not generalised", "err", err)
				p.m.suppress(ReasonInvalid)
				if _, err := tx.Exec(`DELETE FROM samples WHERE id = ?`, h.id); err != nil {
					return err
				}
				continue
			}
			p.m.generalized.Inc()
		}
	}
	for _, id := range drop {
		if _, err := tx.Exec(`DELETE FROM samples WHERE id = ?`, id); err != nil {
			return err
		}
		p.m.suppress(ReasonKThreshold)
	}
	if _, err := tx.Exec(`UPDATE samples SET ready = 1, event = NULL, plate = NULL, salt = NULL
		WHERE bucket_start = ? AND bucket_seconds = ?`, b.start, b.seconds); err != nil {
		return err
	}
	_, err = tx.Exec(`UPDATE buckets SET decided = ? WHERE start = ? AND seconds = ?`, now.UnixNano(), b.start, b.seconds)
	return err
}

func ids(hs []held) []int64 {
	out := make([]int64, len(hs))
	for i, h := range hs {
		out[i] = h.id
	}
	return out
}

func generalize(tx *sql.Tx, h held, cell string, pol sanitize.Policy) error {
	s, err := sanitize.ParsePayload(h.payload)
	if err != nil {
		return err
	}
	g, b, err := sanitize.Generalize(s, pol)
	if err != nil {
		return err
	}
	if g.Geohash != cell {
		return errors.New("generalised geohash does not match its cell")
	}
	_, err = tx.Exec(`UPDATE samples SET cell = ?, payload = ? WHERE id = ?`, cell, b, h.id)
	return err
}

// publish hands every ready sample to the sink, in random order, each
// audited again against the current settings first. It stops at the first
// sink error (the rest is tried at the next step) or when the programme is
// turned off.
func (p *Programme) publish(cfg *config.Improvement) (int, error) {
	rows, err := p.db.Query(`SELECT id, payload FROM samples WHERE ready = 1`)
	if err != nil {
		return 0, err
	}
	var ready []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.payload); err != nil {
			rows.Close()
			return 0, err
		}
		ready = append(ready, h)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	rand.Shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
	pol := sanitize.Policy{Improvement: *cfg, Identity: p.id}
	n := 0
	for _, h := range ready {
		if !p.enabled.Load() {
			break
		}
		if err := sanitize.AuditPayload(h.payload, pol); err != nil {
			p.log.Debug("improvement sample no longer meets the contract", "err", err)
			p.m.suppress(ReasonInvalid)
		} else if err := p.sink.Enqueue(h.payload); errors.Is(err, uplink.ErrTooLarge) {
			// Refused at every try: kept, it would stop every release.
			p.log.Error("improvement sample larger than the uplink queue's byte cap (uplink.max_bytes); dropped",
				"bytes", len(h.payload))
			p.m.suppress(ReasonTooLarge)
		} else if err != nil {
			return n, err
		} else {
			n++
			p.m.released.Inc()
		}
		if _, err := p.db.Exec(`DELETE FROM samples WHERE id = ?`, h.id); err != nil {
			return n, err
		}
	}
	return n, nil
}

// forget deletes what is no longer needed: buckets released a week ago, day
// counts of past days, and salts that are neither current nor in use.
func (p *Programme) forget(now time.Time, cfg *config.Improvement) error {
	_, err := p.db.Exec(`DELETE FROM buckets WHERE decided < ?`, now.Add(-keepDecided).UnixNano())
	if err == nil {
		_, err = p.db.Exec(`DELETE FROM daily WHERE day < ?`, now.UTC().AddDate(0, 0, -1).Format(time.DateOnly))
	}
	if err == nil {
		_, err = p.db.Exec(`DELETE FROM salts WHERE (id <> (SELECT max(id) FROM salts) OR created <= ?)
			AND id NOT IN (SELECT salt FROM samples WHERE salt IS NOT NULL)`, now.Add(-cfg.SaltRotation).UnixNano())
	}
	return err
}
