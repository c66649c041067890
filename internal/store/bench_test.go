package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkInsert measures durable inserts of a read with a 20 KB crop. Set
// EDGE_STORE_BENCH_DIR to measure on a given filesystem (t.TempDir may be a
// tmpfs, where fsync costs nothing).
func BenchmarkInsert(b *testing.B) {
	dir := os.Getenv("EDGE_STORE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "bench"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	s, err := Open(filepath.Join(dir, "reads.db"), testCfg(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := sampleRecord(time.Now(), 20<<10)
	b.SetBytes(int64(len(rec.Crop)))
	b.ResetTimer()
	for b.Loop() {
		r := rec
		if _, err := s.Insert(context.Background(), &r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}
