package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestLastIDCountsEveryReadEverStored: LastID is 0 on a new store, the id
// of the newest read, provisional ones included, and stays at the highest
// id given after every read was evicted and after a reopen (the improvement
// programme's consent boundary relies on ids never going back).
func TestLastIDCountsEveryReadEverStored(t *testing.T) {
	ctx := context.Background()
	cfg := testCfg()
	cfg.Retention = time.Hour
	path := filepath.Join(t.TempDir(), "reads.db")
	s, _ := openTest(t, path, cfg)
	lastID := func(want int64, when string) {
		t.Helper()
		if id, err := s.LastID(ctx); err != nil || id != want {
			t.Fatalf("LastID %s = %d, %v; want %d", when, id, err, want)
		}
	}
	lastID(0, "of a new store")
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	final := insertN(t, s, now.Add(-2*time.Hour), 2, 100)
	prov := sampleRecord(now.Add(-2*time.Hour), 100)
	if _, err := s.InsertProvisional(ctx, &prov); err != nil {
		t.Fatal(err)
	}
	if prov.ID <= final[1] {
		t.Fatalf("provisional read got id %d after %d", prov.ID, final[1])
	}
	lastID(prov.ID, "after a provisional read")
	if n, err := s.Enforce(ctx, now); err != nil || n != 3 {
		t.Fatalf("Enforce evicted %d, %v; want all 3", n, err)
	}
	lastID(prov.ID, "after every read was evicted")
	s.Close()
	s, _ = openTest(t, path, cfg)
	lastID(prov.ID, "after a reopen")
}
