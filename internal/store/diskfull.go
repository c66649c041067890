package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/sys/unix"
)

// reserveBytes is the size of the reserve file kept beside the database.
// On a disk that others filled to the last block, even a DELETE cannot
// commit: its pages go to the WAL first, and the checkpoint that follows
// grows the main file by the pages new to it. Removing the reserve gives
// the evictions room: the checkpoint (at most walCheckpointPages, 1 MiB)
// and then the deletions' and one vacuum step's frames (vacuumStep).
const reserveBytes = 2 << 20

// isDiskFull reports whether err is SQLite's or the kernel's "no space".
func isDiskFull(err error) bool {
	var se sqlite3.Error
	return (errors.As(err, &se) && se.Code == sqlite3.ErrFull) || errors.Is(err, syscall.ENOSPC)
}

// diskState is what the store's health check reports about space: why the
// disk counts as full, or nil.
type diskState struct {
	mu       sync.Mutex
	writeErr error // the last write failed for lack of space; nil once one succeeds or space returned
	lowErr   error // free space stays under store.min_free_bytes with no read left to delete
}

func (d *diskState) set(write, low *error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if write != nil {
		d.writeErr = *write
	}
	if low != nil {
		d.lowErr = *low
	}
}

// Check is the store's health: nil, or why the disk is full for it (a
// write refused for lack of space, free space under store.min_free_bytes
// with nothing left to delete).
func (s *Store) Check() error {
	s.disk.mu.Lock()
	defer s.disk.mu.Unlock()
	return errors.Join(s.disk.writeErr, s.disk.lowErr)
}

// wrote records the outcome of a write for Check: a failure for lack of
// space turns the health red and wakes retention, which deletes the oldest
// reads; the next write that succeeds clears it.
func (s *Store) wrote(err error) {
	switch {
	case err == nil:
		var none error
		s.disk.set(&none, nil)
	case isDiskFull(err):
		full := fmt.Errorf("disk full: a read could not be stored (%v); deleting the oldest reads", err)
		s.disk.set(&full, nil)
		s.wakeRetention()
	}
}

// reservePath is the reserve file of the database.
func (s *Store) reservePath() string { return s.path + ".reserve" }

// keepReserve makes the reserve file when it is missing and the disk has
// room for it beyond store.min_free_bytes. A reserve that cannot be made
// now is made at a later retention pass.
func (s *Store) keepReserve() {
	if _, err := os.Stat(s.reservePath()); err == nil {
		return
	}
	if s.FreeSpace != nil {
		if free, err := s.FreeSpace(s.dir()); err != nil || free < uint64(s.cfg.MinFreeBytes)+2*reserveBytes {
			return
		}
	}
	if err := allocate(s.reservePath(), reserveBytes); err != nil {
		_ = os.Remove(s.reservePath())
		s.log.Debug("no reserve file for now", "error", err)
	}
}

// releaseReserve removes the reserve file, so that deletions can commit on
// a full disk. It reports whether there was one.
func (s *Store) releaseReserve() bool {
	err := os.Remove(s.reservePath())
	if err == nil {
		s.log.Warn("disk full: reserve file released so that the oldest reads can be deleted")
	}
	return err == nil
}

// allocate creates path with size bytes of blocks really allocated (mode
// 0600), fsynced.
func allocate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		// Not every filesystem allocates; writing zeros does.
		_, err = f.Write(make([]byte, size))
		if err != nil {
			f.Close()
			return err
		}
	}
	return errors.Join(f.Sync(), f.Close())
}
