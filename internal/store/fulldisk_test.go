package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// smallDisk mounts a throw-away tmpfs of size bytes for the test: a real
// filesystem that fills up. It needs root (the tests run as root in CI).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("mounting a throw-away tmpfs needs root: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// fill writes path until the filesystem is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFullDisk fills a real (tmpfs) filesystem to the last block with
// another program's file while the store holds reads: the write that fails
// turns the store's health red, saying why; retention then deletes the
// oldest reads (the reserve file gives the DELETEs room to commit) and
// keeps the newest; writes work again and the health clears by itself.
// Evictions are counted only when they commit: on a disk full again, with
// no reserve left, nothing is deleted and nothing counted.
func TestFullDisk(t *testing.T) {
	dir := smallDisk(t, 8<<20)
	cfg := testCfg()
	cfg.MinFreeBytes = 1 << 20
	s, reg := openTest(t, filepath.Join(dir, "reads.db"), cfg)
	if _, err := os.Stat(s.reservePath()); err != nil {
		t.Fatalf("no reserve file after Open: %v", err)
	}
	ctx := context.Background()
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	all := insertN(t, s, now.Add(-time.Hour), 200, 20000) // ~4 MiB
	evicted := func() float64 { return metricValue(t, reg, "edge_store_evictions_total", "reason", "disk") }

	filler := filepath.Join(dir, "other-program.log")
	fill(t, filler)
	// The WAL's own blocks take a few more reads; then writes fail.
	rec := sampleRecord(now, 20000)
	for i := 0; ; i++ {
		id, err := s.Insert(ctx, &rec)
		if err != nil {
			break
		}
		if all = append(all, id); i == 1000 {
			t.Fatal("1000 Inserts on a full disk succeeded")
		}
	}
	if err := s.Check(); err == nil || !strings.HasPrefix(err.Error(), "disk full: a read could not be stored") {
		t.Fatalf("health after a write failed for lack of space: %v", err)
	}
	if _, err := s.Enforce(ctx, now); err != nil {
		t.Fatalf("Enforce on a full disk: %v", err)
	}
	left := ids(t, s)
	if len(left) == 0 || len(left) == len(all) || !slices.Equal(left, all[len(all)-len(left):]) {
		t.Fatalf("after Enforce on a full disk %d of %d reads left, want the newest and not all: %v", len(left), len(all), left)
	}
	if got := evicted(); got != float64(len(all)-len(left)) {
		t.Fatalf("evictions{reason=disk} %v, want the %d deleted", got, len(all)-len(left))
	}
	if _, err := s.Insert(ctx, &rec); err != nil {
		t.Fatalf("Insert after the oldest reads were deleted: %v", err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("health after a write succeeded again: %v", err)
	}

	// Full again, with an empty WAL and the reserve spent: a DELETE
	// cannot commit.
	if err := os.Remove(s.reservePath()); err != nil {
		t.Fatalf("no reserve made again once there was room: %v", err)
	}
	if err := s.lockedCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	fill(t, filler+".2")
	before, counted := ids(t, s), evicted()
	if _, err := s.Enforce(ctx, now); err == nil || !isDiskFull(err) {
		t.Fatalf("Enforce on a full disk without a reserve: %v; want disk full", err)
	}
	if after := ids(t, s); evicted()-counted != float64(len(before)-len(after)) {
		t.Fatalf("evictions counted %v, reads deleted %d: only committed deletions count", evicted()-counted, len(before)-len(after))
	}

	// Space returns: the reserve is made again and the health is clear.
	if err := errors.Join(os.Remove(filler), os.Remove(filler+".2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enforce(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.reservePath()); err != nil {
		t.Errorf("no reserve file once space returned: %v", err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("health once space returned: %v", err)
	}
}
