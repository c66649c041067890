package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestInsertIsFsynced checks the durability settings of the writer
// connection itself, which a SIGKILL test cannot see (the kernel keeps what
// a killed process wrote; only a power cut loses what was not fsynced): WAL
// with synchronous=FULL, so every Insert, InsertProvisional and Finalize
// has fsynced the WAL before it returns.
func TestInsertIsFsynced(t *testing.T) {
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	rec := sampleRecord(time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC), 100)
	if _, err := s.Insert(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	var mode string
	var sync int
	if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("writer journal_mode %q (%v), want wal", mode, err)
	}
	if err := s.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("writer synchronous %d (%v), want 2 (FULL): commits are not fsynced before they return", sync, err)
	}
}
