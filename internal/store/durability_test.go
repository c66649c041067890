package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
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

// TestDeletedReadsNotLeftInFile: the plate text and crop of a read deleted
// by retention do not stay readable in the database file (freed cells of
// the pages that still hold other reads, or free pages) once the store is
// closed.
func TestDeletedReadsNotLeftInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	cfg := testCfg()
	cfg.Retention = time.Hour
	s, err := Open(path, cfg, testLog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	for i := range 40 {
		at, plate := now.Add(-2*time.Hour), fmt.Sprintf("GONE%03d", i) // expired
		if i%2 == 1 {
			at, plate = now, fmt.Sprintf("KEPT%03d", i)
		}
		rec := sampleRecord(at, 3000)
		rec.Plate, rec.Candidates = read.Plate(plate), nil
		rec.Crop = bytes.Repeat([]byte(plate), 400)
		if _, err := s.Insert(context.Background(), &rec); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Enforce(context.Background(), now); err != nil || n != 20 {
		t.Fatalf("Enforce deleted %d (%v), want 20", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("GONE")); i >= 0 {
		t.Errorf("the database file still holds a deleted read's plate or crop: %q", b[i:i+7])
	}
	if !bytes.Contains(b, []byte("KEPT001")) {
		t.Error("the kept reads are not in the file: the test looks in the wrong place")
	}
}
