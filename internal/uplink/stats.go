package uplink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Stats describes an outbox.
type Stats struct {
	Depth       int64         // entries queued
	Bytes       int64         // payload bytes queued
	OldestAge   time.Duration // age of the oldest queued entry; 0 when empty
	Quarantined int64         // entries in quarantine

	// Counted since the outbox was opened.
	Expired          int64 // entries deleted unsent after their TTL
	Dropped          int64 // entries deleted by the entry or byte cap
	QuarantinedTotal int64 // entries moved to quarantine
}

// Stats reads the outbox's figures. On a read-only outbox the queue figures
// are read from the file, so they follow another process's writes.
func (o *Outbox) Stats() (Stats, error) {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return Stats{}, errors.New("outbox closed")
	}
	ctx := context.Background()
	if o.opts.ReadOnly {
		if err := o.count(ctx); err != nil {
			return Stats{}, fmt.Errorf("outbox stats: %w", err)
		}
	}
	s := Stats{
		Depth: o.depth, Bytes: o.bytes, Quarantined: o.quarantinedNow,
		Expired: o.expired, Dropped: o.dropped, QuarantinedTotal: o.quarantinedTotal,
	}
	var ns int64
	err := o.f.conn.QueryRowContext(ctx, `SELECT enqueued FROM `+o.table+` ORDER BY seq LIMIT 1`).Scan(&ns)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Stats{}, fmt.Errorf("outbox stats: %w", err)
	default:
		s.OldestAge = max(o.opts.Now().Sub(time.Unix(0, ns)), 0)
	}
	return s, nil
}

// Purge deletes every queued and quarantined entry of this queue (the
// file's other queues keep theirs) and returns how many there were. Deleted
// pages are overwritten (secure_delete, on for every delete of the file)
// and the WAL is truncated, so no payload stays readable in the files.
func (o *Outbox) Purge() (int, error) {
	if o.opts.ReadOnly {
		return 0, errors.New("outbox opened read-only")
	}
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return 0, errors.New("outbox closed")
	}
	ctx := context.Background()
	var n int64
	err := o.f.tx(true, func(tx *sql.Tx) error {
		for _, table := range []string{o.table, o.qtable} {
			res, err := tx.Exec("DELETE FROM " + table)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	o.quarantinedNow = 0
	o.sub(o.depth, o.bytes)
	if _, err := o.f.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return int(n), fmt.Errorf("purge: checkpoint: %w", err)
	}
	return int(n), nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Wait returns a channel that is closed once the outbox holds an entry
// (already closed when it holds one now).
func (o *Outbox) Wait() <-chan struct{} {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.depth > 0 {
		return closedChan
	}
	if o.wake == nil {
		o.wake = make(chan struct{})
	}
	return o.wake
}

// Drained returns a channel that is closed once the outbox holds no entry
// (already closed when it is empty now). Quarantined entries do not count.
func (o *Outbox) Drained() <-chan struct{} {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.depth <= 0 {
		return closedChan
	}
	if o.empty == nil {
		o.empty = make(chan struct{})
	}
	return o.empty
}

// waitAny returns a channel that is closed once one of queues, all in one
// file, holds an entry (already closed when one does now). It may also
// close when another queue of the file gets an entry: the caller looks
// again.
func waitAny(queues []*Outbox) <-chan struct{} {
	f := queues[0].f
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range queues {
		if q.depth > 0 {
			return closedChan
		}
	}
	if f.wake == nil {
		f.wake = make(chan struct{})
	}
	return f.wake
}

// waitAllDrained returns nil once every one of queues is empty at once, or
// ctx's error.
func waitAllDrained(ctx context.Context, queues []*Outbox) error {
	for {
		for _, q := range queues {
			select {
			case <-q.Drained():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		all := true
		for _, q := range queues {
			select {
			case <-q.Drained():
			default:
				all = false // refilled while another drained
			}
		}
		if all {
			return nil
		}
	}
}
