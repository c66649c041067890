package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/edge-agent/edge-agent/internal/read"
)

// Eviction reasons, the values of the reason label of
// edge_store_evictions_total.
const (
	reasonAge  = "age"
	reasonSize = "size"
	reasonDisk = "disk"
)

// sizeTarget is the share of store.max_bytes that an eviction by size brings
// the database down to, so that it does not run again at the next insert.
const sizeTarget = 0.9

// maxPasses bounds the delete-and-measure passes of one eviction by size or
// disk space.
const maxPasses = 16

// Run enforces retention now, then every s.Interval and at once whenever an
// Insert takes the database over store.max_bytes, until ctx ends. It logs a
// failed pass and goes on.
func (s *Store) Run(ctx context.Context) error {
	every := s.Interval
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Enforce(ctx, s.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("store retention failed", "err", err)
		}
		s.Heart.BeatIn(every)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// wakeRetention asks Run for a pass now. It never blocks: a pass already
// asked for covers this one too.
func (s *Store) wakeRetention() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// overMaxBytes reports whether the pages holding data exceed store.max_bytes,
// as evictForSize counts them, on the connection of tx (no file I/O: SQLite
// keeps these counts in memory).
func (s *Store) overMaxBytes(ctx context.Context, tx *sql.Tx) (bool, error) {
	limit := int64(s.cfg.MaxBytes)
	if limit <= 0 {
		return false, nil
	}
	var pages, free int64
	if err := tx.QueryRowContext(ctx, `SELECT page_count, freelist_count FROM pragma_page_count(), pragma_freelist_count()`).Scan(&pages, &free); err != nil {
		return false, err
	}
	return (pages-free)*s.pageSize > limit, nil
}

// Enforce deletes the reads captured before now - store.retention, then the
// oldest reads while the database is larger than store.max_bytes or the
// filesystem has less free space than store.min_free_bytes, and gives the
// freed pages back to the filesystem. It returns how many reads it deleted.
func (s *Store) Enforce(ctx context.Context, now time.Time) (evicted int, err error) {
	if _, err := s.writer(); err != nil {
		return 0, err
	}
	n, err := s.makingRoom(ctx, func() (int, error) { return s.deleteOlder(ctx, now.Add(-s.cfg.Retention)) })
	s.m.evictions.WithLabelValues(reasonAge).Add(float64(n))
	evicted += n
	if err != nil {
		return evicted, fmt.Errorf("retention by age: %w", err)
	}
	if n > 0 {
		if err := s.reclaim(ctx); err != nil {
			return evicted, err
		}
	}
	n, err = s.evictForSize(ctx)
	evicted += n
	if err != nil {
		return evicted, fmt.Errorf("retention by size: %w", err)
	}
	n, err = s.evictForDisk(ctx)
	evicted += n
	if err != nil {
		return evicted, fmt.Errorf("retention by free disk space: %w", err)
	}
	// With room for the reserve again, the disk is no longer full.
	s.keepReserve()
	if _, err := os.Stat(s.reservePath()); err == nil {
		var none error
		s.disk.set(&none, nil)
	}
	return evicted, nil
}

// makingRoom runs an eviction; when it fails for lack of space (a DELETE
// writes to the WAL before it frees anything), it releases the reserve
// file and runs it again. It counts only what committed: 0 on error.
func (s *Store) makingRoom(ctx context.Context, evict func() (int, error)) (int, error) {
	n, err := evict()
	if err != nil && isDiskFull(err) && s.releaseReserve() {
		// Write the WAL into the main file first, while the room is there.
		if err := s.lockedCheckpoint(ctx); err != nil {
			return 0, err
		}
		n, err = evict()
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// diskWant is the free space retention keeps: store.min_free_bytes, and
// after a write failed for lack of space at least room for the reserve
// file and a read, even with min_free_bytes 0.
func (s *Store) diskWant() uint64 {
	want := uint64(s.cfg.MinFreeBytes)
	s.disk.mu.Lock()
	defer s.disk.mu.Unlock()
	if s.disk.writeErr != nil {
		want = max(want, 2*reserveBytes)
	}
	return want
}

// evictForSize deletes the oldest reads while the live pages of the database
// exceed store.max_bytes.
func (s *Store) evictForSize(ctx context.Context) (int, error) {
	limit := int64(s.cfg.MaxBytes)
	if limit <= 0 {
		return 0, nil
	}
	total := 0
	for range maxPasses {
		used, err := s.usedBytes(ctx)
		if err != nil || used <= limit {
			return total, err
		}
		n, err := s.makingRoom(ctx, func() (int, error) { return s.deleteOldest(ctx, used-int64(float64(limit)*sizeTarget)) })
		total += n
		s.m.evictions.WithLabelValues(reasonSize).Add(float64(n))
		if err != nil {
			return total, err
		}
		if err := s.reclaim(ctx); err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// evictForDisk deletes the oldest reads while the filesystem holding the
// database has less than store.min_free_bytes available.
func (s *Store) evictForDisk(ctx context.Context) (int, error) {
	want := s.diskWant()
	if want == 0 || s.FreeSpace == nil {
		return 0, nil
	}
	total := 0
	for range maxPasses {
		free, err := s.FreeSpace(s.dir())
		if err != nil {
			return total, err
		}
		if free >= want {
			var none error
			s.disk.set(nil, &none)
			return total, nil
		}
		n, err := s.makingRoom(ctx, func() (int, error) { return s.deleteOldest(ctx, int64(want-free)) })
		total += n
		s.m.evictions.WithLabelValues(reasonDisk).Add(float64(n))
		if err != nil {
			return total, err
		}
		if n == 0 {
			s.log.Warn("disk space stays low with no read left to delete",
				"free_bytes", free, "min_free_bytes", want)
			low := fmt.Errorf("disk full: %d bytes free, under the %d the store keeps, and no read left to delete", free, want)
			s.disk.set(nil, &low)
			return total, nil
		}
		if err := s.reclaim(ctx); err != nil {
			return total, err
		}
	}
	return total, nil
}

// deleteOlder deletes the reads captured before cutoff, except those
// stamped before read.ClockFloor: their clock was not set, their age is
// unknown, and they are kept (the caps by size and disk space still bound
// them).
func (s *Store) deleteOlder(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reads WHERE captured_at >= ? AND captured_at < ?`,
			read.ClockFloor.UnixNano(), cutoff.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// deleteOldest deletes the oldest reads whose sizes add up to at least bytes
// (at least one read, when any is stored). Oldest in the order they were
// stored (their ids): capture stamps follow the clock, which may have been
// unset (1970) or jumped; the order of storing does not.
func (s *Store) deleteOldest(ctx context.Context, bytes int64) (int, error) {
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, size FROM reads ORDER BY id`)
		if err != nil {
			return err
		}
		var lastID, sum int64
		found := false
		for rows.Next() {
			var size int64
			if err := rows.Scan(&lastID, &size); err != nil {
				rows.Close()
				return err
			}
			found = true
			if sum += size; sum >= bytes {
				break
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if !found {
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM reads WHERE id <= ?`, lastID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// vacuumStep is how many free pages one incremental vacuum step gives
// back (1 MiB of 4 KiB pages): each step's moved pages go to the WAL first,
// which a TRUNCATE checkpoint then empties, so a step fits in the reserve
// file's room on a full disk.
const vacuumStep = 256

// reclaim returns the free pages to the filesystem, a step at a time:
// incremental vacuum moves them to the end of the file and truncates it (in
// the WAL), and a TRUNCATE checkpoint writes that into the main file and
// empties the WAL. A checkpoint first empties the WAL of the deletions.
func (s *Store) reclaim(ctx context.Context) error {
	w, err := s.writer()
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.checkpoint(ctx, w); err != nil {
		return err
	}
	for {
		var free int64
		if err := w.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return err
		}
		if free == 0 {
			return nil
		}
		// The pragma frees one page per step: go-sqlite3's Exec steps
		// once, so step it through a query to the end.
		rows, err := w.QueryContext(ctx, fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, vacuumStep))
		if err != nil {
			return fmt.Errorf("incremental vacuum: %w", err)
		}
		for rows.Next() {
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("incremental vacuum: %w", err)
		}
		if err := s.checkpoint(ctx, w); err != nil {
			return err
		}
	}
}

// lockedCheckpoint is checkpoint, serialised with every other write.
func (s *Store) lockedCheckpoint(ctx context.Context) error {
	w, err := s.writer()
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.checkpoint(ctx, w)
}

// checkpoint writes the WAL into the main file and truncates it.
func (s *Store) checkpoint(ctx context.Context, w *sql.DB) error {
	var busy, logPages, done int
	if err := w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		// A reader holds an old snapshot; the next pass finishes the job.
		s.log.Debug("checkpoint blocked by a reader", "wal_pages", logPages, "checkpointed", done)
	}
	return nil
}

// usedBytes is the size of the database's pages that hold data.
func (s *Store) usedBytes(ctx context.Context) (int64, error) {
	w, err := s.writer()
	if err != nil {
		return 0, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var pages, free, pageSize int64
	if err := w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, err
	}
	if err := w.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return 0, err
	}
	if err := w.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return 0, err
	}
	return (pages - free) * pageSize, nil
}

// statfsFree is the bytes available to an unprivileged user on the
// filesystem holding dir.
func statfsFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
