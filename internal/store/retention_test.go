package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/read"
)

// metricValue returns the value of the named counter or gauge with the given
// label values (name=value pairs), or -1 when it is not exported.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return -1
}

func insertN(t *testing.T, s *Store, first time.Time, n, crop int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range n {
		rec := sampleRecord(first.Add(time.Duration(i)*time.Second), crop)
		id, err := s.Insert(context.Background(), &rec)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func ids(t *testing.T, s *Store) []int64 {
	t.Helper()
	var out []int64
	if err := s.Query(context.Background(), time.Time{}, func(r read.Record) error {
		out = append(out, r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRetentionByAge(t *testing.T) {
	cfg := testCfg()
	cfg.Retention = 24 * time.Hour
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	insertN(t, s, now.Add(-48*time.Hour), 3, 100)         // two days old
	kept := insertN(t, s, now.Add(-23*time.Hour), 2, 100) // within a day

	n, err := s.Enforce(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("Enforce evicted %d, want 3", n)
	}
	if got := ids(t, s); len(got) != 2 || got[0] != kept[0] || got[1] != kept[1] {
		t.Fatalf("left %v, want %v", got, kept)
	}
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "age"); v != 3 {
		t.Fatalf("evictions{reason=age} = %v, want 3", v)
	}
	if v := metricValue(t, reg, "edge_reads_stored_total"); v != 5 {
		t.Fatalf("edge_reads_stored_total = %v, want 5", v)
	}
	// Ids are not reused after eviction.
	next := insertN(t, s, now, 1, 10)
	if next[0] <= kept[1] {
		t.Fatalf("new read got id %d, not above %d", next[0], kept[1])
	}
}

func TestEvictionByMaxBytesShrinksFile(t *testing.T) {
	cfg := testCfg()
	cfg.MaxBytes = 1 << 20 // the smallest cap the config allows
	path := filepath.Join(t.TempDir(), "reads.db")
	s, reg := openTest(t, path, cfg)
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	all := insertN(t, s, now.Add(-time.Hour), 150, 20000) // ~3 MiB of crops
	if sz := s.sizeOnDisk(); sz <= int64(cfg.MaxBytes) {
		t.Fatalf("test data takes only %d bytes", sz)
	}

	n, err := s.Enforce(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	left := ids(t, s)
	if n == 0 || n+len(left) != len(all) {
		t.Fatalf("evicted %d, left %d of %d", n, len(left), len(all))
	}
	// The newest reads are the ones kept.
	if left[len(left)-1] != all[len(all)-1] || left[0] != all[n] {
		t.Fatalf("kept ids %d..%d, want %d..%d", left[0], left[len(left)-1], all[n], all[len(all)-1])
	}
	main, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.Stat(path + "-wal")
	if total := main.Size() + wal.Size(); total > int64(cfg.MaxBytes) {
		t.Fatalf("database takes %d bytes on disk after eviction (main %d, wal %d), cap %d",
			total, main.Size(), wal.Size(), cfg.MaxBytes)
	}
	t.Logf("evicted %d of %d reads; %d bytes on disk, cap %d", n, len(all), main.Size()+wal.Size(), cfg.MaxBytes)
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "size"); v != float64(n) {
		t.Fatalf("evictions{reason=size} = %v, want %d", v, n)
	}
	if v := metricValue(t, reg, "edge_store_bytes"); v <= 0 || v > float64(cfg.MaxBytes) {
		t.Fatalf("edge_store_bytes = %v", v)
	}
	// Under the cap nothing more goes.
	if n, err := s.Enforce(context.Background(), now); err != nil || n != 0 {
		t.Fatalf("second Enforce evicted %d (%v)", n, err)
	}
}

func TestEvictionByLowDiskSpace(t *testing.T) {
	cfg := testCfg()
	cfg.MinFreeBytes = 1 << 20
	path := filepath.Join(t.TempDir(), "reads.db")
	s, reg := openTest(t, path, cfg)
	// A simulated 4 MiB filesystem on which other files take 1.5 MiB: free
	// space is what the database file leaves.
	var asked atomic.Value
	s.FreeSpace = func(dir string) (uint64, error) {
		asked.Store(dir)
		return uint64(max(0, 4<<20-3<<19-s.sizeOnDisk())), nil
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	all := insertN(t, s, now.Add(-time.Hour), 120, 20000) // ~2.4 MiB
	n, err := s.Enforce(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := asked.Load(); got != filepath.Dir(path) {
		t.Fatalf("free space asked for %v, want the database's folder", got)
	}
	free, _ := s.FreeSpace(filepath.Dir(path))
	if free < uint64(cfg.MinFreeBytes) {
		t.Fatalf("free space %d after eviction, want ≥ %d", free, cfg.MinFreeBytes)
	}
	left := ids(t, s)
	t.Logf("evicted %d of %d reads; %d bytes free", n, len(all), free)
	if n == 0 || len(left) == 0 || left[len(left)-1] != all[len(all)-1] || n+len(left) != len(all) {
		t.Fatalf("evicted %d, left %d of %d", n, len(left), len(all))
	}
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "disk"); v != float64(n) {
		t.Fatalf("evictions{reason=disk} = %v, want %d", v, n)
	}
}

func TestDiskFullOfOtherFilesEmptiesStoreAndStops(t *testing.T) {
	cfg := testCfg()
	cfg.MinFreeBytes = 1 << 20
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)
	s.FreeSpace = func(string) (uint64, error) { return 0, nil }
	now := time.Now()
	insertN(t, s, now.Add(-time.Minute), 5, 1000)
	n, err := s.Enforce(context.Background(), now)
	if err != nil || n != 5 {
		t.Fatalf("Enforce evicted %d (%v), want all 5", n, err)
	}
}

func TestRunEnforcesPeriodically(t *testing.T) {
	cfg := testCfg()
	cfg.Retention = time.Hour
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)
	var now atomic.Int64
	now.Store(time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC).UnixNano())
	s.Now = func() time.Time { return time.Unix(0, now.Load()) }
	s.Interval = 5 * time.Millisecond
	// Each pass ends by asking for the free space: the test waits for
	// passes, not for time, so a loaded machine only makes it slower.
	s.cfg.MinFreeBytes = 1
	ctx, cancel := context.WithCancel(context.Background())
	passes := make(chan struct{})
	s.FreeSpace = func(string) (uint64, error) {
		select {
		case passes <- struct{}{}:
		case <-ctx.Done():
		}
		return 1 << 40, nil
	}
	insertN(t, s, s.Now().Add(-30*time.Minute), 1, 10)

	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	<-passes // the pass at start
	if n, err := s.Count(context.Background()); err != nil || n != 1 {
		t.Fatalf("the read 30 minutes old: %d stored (%v), want kept", n, err)
	}
	// The clock moves on an hour: the pass after the next tick deletes it
	// (one already under way may have read the clock before).
	now.Add(int64(time.Hour))
	<-passes
	<-passes
	if n, err := s.Count(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d reads (%v) two passes after the read expired", n, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

// TestInsertOverMaxBytesWakesRetention: an Insert that takes the database
// over store.max_bytes wakes Run at once, so the cap holds within a pass and
// not within store's Interval (an hour here: the ticker never fires).
func TestInsertOverMaxBytesWakesRetention(t *testing.T) {
	cfg := testCfg()
	cfg.MaxBytes = 1 << 20
	cfg.MinFreeBytes = 1 // so that each pass ends by asking for the free space
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)
	passes := make(chan struct{}, 100)
	s.FreeSpace = func(string) (uint64, error) { passes <- struct{}{}; return 1 << 40, nil }
	s.Interval = time.Hour
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }

	// Under the cap, an Insert asks for nothing.
	insertN(t, s, now.Add(-2*time.Hour), 10, 20000)
	if len(s.wake) != 0 {
		t.Fatal("an Insert under store.max_bytes woke the retention loop")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	}()
	waitPass := func(what string) {
		t.Helper()
		select {
		case <-passes: // the free-space check is the last step of a pass
		case <-time.After(10 * time.Second):
			t.Fatalf("no retention pass %s", what)
		}
	}
	waitPass("at start")
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "size"); v != 0 {
		t.Fatalf("the pass at start evicted %v reads under the cap", v)
	}

	// ~1.6 MiB more: the Insert that crosses the cap wakes Run.
	insertN(t, s, now.Add(-time.Hour), 80, 20000)
	// A woken pass may run while the inserts go on, and the later ones put
	// the data over the cap again: each of those wakes Run once more, so
	// passes come until the data is under the cap (or none comes: fail).
	for used := int64(cfg.MaxBytes) + 1; used > int64(cfg.MaxBytes); {
		waitPass(fmt.Sprintf("after the cap was crossed (%d bytes of data, cap %d)", used, cfg.MaxBytes))
		var err error
		if used, err = s.usedBytes(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "size"); v <= 0 {
		t.Fatalf("the passes after the cap was crossed evicted nothing")
	}
}

// TestUnsetClockReadsKept: reads stamped before the clock was set (a
// gateway booting in 1970) are never deleted by age, whose cutoff they
// would all fall before; they are flagged; eviction by size takes reads in
// the order they were stored, so a read stamped 1970 after older reads
// goes after them.
func TestUnsetClockReadsKept(t *testing.T) {
	cfg := testCfg()
	cfg.Retention = 24 * time.Hour
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	old := insertN(t, s, now.Add(-48*time.Hour), 2, 100)  // two days old: deleted
	boot := insertN(t, s, time.Unix(95, 0).UTC(), 2, 100) // 95 s after boot, clock unset
	recent := insertN(t, s, now.Add(-time.Hour), 1, 100)  // kept
	if _, err := s.Enforce(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(t, s), append(append([]int64(nil), boot...), recent...); !slices.Equal(got, want) {
		t.Fatalf("left %v, want the unset-clock reads %v and the recent %v (the old %v deleted)", got, boot, recent, old)
	}
	if v := metricValue(t, reg, "edge_store_evictions_total", "reason", "age"); v != 2 {
		t.Errorf("evictions{reason=age} = %v, want 2", v)
	}
	rec, err := s.Get(context.Background(), boot[0])
	if err != nil || !rec.ClockUnset() || !Export(rec, true).ClockUnset {
		t.Errorf("read %d stamped %s: not flagged clock_unset (%v)", boot[0], rec.CapturedAt, err)
	}
	// By size, the oldest stored go first, whatever their stamps.
	n, err := s.deleteOldest(context.Background(), 1)
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if got := ids(t, s); got[0] != boot[1] {
		t.Errorf("eviction by size deleted %v first; want %d, the first stored", got, boot[0])
	}
}
