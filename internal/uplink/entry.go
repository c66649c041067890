package uplink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Entry is one queued payload handed out by Peek. The caller decides its
// fate with exactly one of Leave, Remove, Failed or Quarantine.
type Entry struct {
	Seq      int64     // position in the outbox; later entries have larger values
	Payload  []byte    // the bytes to publish, unchanged
	Enqueued time.Time // when it was enqueued
	Attempts int       // failed attempts so far

	o *Outbox
}

// Leave keeps the entry where it is, uncounted (it was not sent).
func (e *Entry) Leave() error { return nil }

// Remove deletes the entry (its delivery was acknowledged). Removing an entry
// that is already gone (dropped by a cap meanwhile) is not an error.
func (e *Entry) Remove() error {
	o := e.o
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	var n int64
	err := o.f.tx(false, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM `+o.table+` WHERE seq = ?`, e.Seq)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("remove entry %d: %w", e.Seq, err)
	}
	o.sub(n, n*int64(len(e.Payload)))
	return nil
}

// Failed counts one failed attempt. When the entry has reached MaxAttempts it
// is moved to quarantine (quarantined is then true) instead of being retried.
func (e *Entry) Failed(reason string) (quarantined bool, err error) {
	o := e.o
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	var n int64
	err = o.f.tx(false, func(tx *sql.Tx) error {
		var attempts int
		err := tx.QueryRow(`UPDATE `+o.table+` SET attempts = attempts + 1 WHERE seq = ? RETURNING attempts`, e.Seq).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		e.Attempts = attempts
		if o.opts.MaxAttempts > 0 && attempts >= o.opts.MaxAttempts {
			n, err = o.quarantine(tx, e.Seq, reason)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("count attempt of entry %d: %w", e.Seq, err)
	}
	o.quarantined(n, int64(len(e.Payload)))
	return n > 0, nil
}

// Quarantine moves the entry out of the queue into the quarantine table,
// with the reason, so that it is never retried but can still be inspected.
func (e *Entry) Quarantine(reason string) error {
	o := e.o
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	var n int64
	err := o.f.tx(false, func(tx *sql.Tx) (err error) {
		n, err = o.quarantine(tx, e.Seq, reason)
		return err
	})
	if err != nil {
		return fmt.Errorf("quarantine entry %d: %w", e.Seq, err)
	}
	o.quarantined(n, int64(len(e.Payload)))
	return nil
}

func (o *Outbox) quarantine(tx *sql.Tx, seq int64, reason string) (int64, error) {
	res, err := tx.Exec(`INSERT INTO `+o.qtable+` (seq, enqueued, quarantined, attempts, reason, payload)
		SELECT seq, enqueued, ?, attempts, ?, payload FROM `+o.table+` WHERE seq = ?`,
		o.opts.Now().UnixNano(), reason, seq)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, err
	}
	if _, err := tx.Exec(`DELETE FROM `+o.table+` WHERE seq = ?`, seq); err != nil {
		return 0, err
	}
	_, err = tx.Exec(`DELETE FROM `+o.qtable+` WHERE seq NOT IN
		(SELECT seq FROM `+o.qtable+` ORDER BY seq DESC LIMIT ?)`, maxQuarantined)
	return n, err
}

// quarantined updates the counters after n entries of size bytes each moved
// to quarantine. Called with o.f.mu held.
func (o *Outbox) quarantined(n, size int64) {
	if n == 0 {
		return
	}
	o.quarantinedTotal += n
	o.quarantinedNow = min(o.quarantinedNow+n, maxQuarantined)
	o.sub(n, n*size)
}

// sub updates the counters after n entries of bytes total left the queue.
// Called with o.f.mu held.
func (o *Outbox) sub(n, bytes int64) {
	o.depth -= n
	o.bytes -= bytes
	if o.depth <= 0 && o.empty != nil {
		close(o.empty)
		o.empty = nil
	}
}

// tx runs fn in a transaction. durable selects synchronous=FULL (the commit
// is fsynced before tx returns) or NORMAL (the commit reaches stable storage
// with the next fsync: losing it to power loss re-sends or re-counts an
// entry, never loses one). Called with f.mu held.
func (f *outboxFile) tx(durable bool, fn func(*sql.Tx) error) error {
	if f.conn == nil {
		return errors.New("outbox closed")
	}
	ctx := context.Background()
	if durable != f.durable {
		mode := "NORMAL"
		if durable {
			mode = "FULL"
		}
		if _, err := f.conn.ExecContext(ctx, "PRAGMA synchronous="+mode); err != nil {
			return err
		}
		f.durable = durable
	}
	tx, err := f.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// Peek returns up to n of the oldest entries, oldest first, or ErrEmpty.
// Entries past their TTL are deleted (and counted) on the way. The caller
// must decide the fate of every entry returned before calling Peek again.
func (o *Outbox) Peek(n int) ([]*Entry, error) { return o.PeekAfter(0, n) }

// PeekAfter is Peek for the entries after sequence number after: a sender
// with entries in flight asks for the ones that follow them.
func (o *Outbox) PeekAfter(after int64, n int) ([]*Entry, error) {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return nil, errors.New("outbox closed")
	}
	for {
		entries, expired, err := o.head(after, n)
		if err != nil {
			return nil, fmt.Errorf("peek: %w", err)
		}
		if len(expired) > 0 {
			if err := o.expire(expired); err != nil {
				return nil, fmt.Errorf("expire: %w", err)
			}
		}
		if len(entries) > 0 {
			return entries, nil
		}
		if len(expired) == 0 {
			return nil, ErrEmpty
		}
	}
}

type expiredRow struct{ seq, size int64 }

// head reads the first n rows after seq after and splits them into live
// and expired ones.
func (o *Outbox) head(after int64, n int) ([]*Entry, []expiredRow, error) {
	rows, err := o.f.conn.QueryContext(context.Background(),
		`SELECT seq, enqueued, attempts, size, payload FROM `+o.table+` WHERE seq > ? ORDER BY seq LIMIT ?`, after, n)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cutoff := o.opts.Now().Add(-o.opts.TTL)
	var entries []*Entry
	var expired []expiredRow
	for rows.Next() {
		e := &Entry{o: o}
		var ns, size int64
		if err := rows.Scan(&e.Seq, &ns, &e.Attempts, &size, &e.Payload); err != nil {
			return nil, nil, err
		}
		e.Enqueued = time.Unix(0, ns)
		if o.opts.TTL > 0 && e.Enqueued.After(saneEpoch) && e.Enqueued.Before(cutoff) {
			expired = append(expired, expiredRow{e.Seq, size})
			continue
		}
		entries = append(entries, e)
	}
	return entries, expired, rows.Err()
}

func (o *Outbox) expire(rows []expiredRow) error {
	var n, bytes int64
	err := o.f.tx(false, func(tx *sql.Tx) error {
		for _, r := range rows {
			res, err := tx.Exec(`DELETE FROM `+o.table+` WHERE seq = ?`, r.seq)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
				bytes += r.size
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.expired += n
	o.sub(n, bytes)
	return nil
}
