package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMigrationBacksUpExistingData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reads.db")
	s, _ := openTest(t, path, testCfg())
	rec := sampleRecord(time.Now(), 1000)
	if _, err := s.Insert(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A later build adds a column.
	next := append(append([]migration(nil), migrations...),
		migration{name: "plate colour", sql: `ALTER TABLE reads ADD COLUMN colour TEXT NOT NULL DEFAULT ''`})
	db, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(db, path, next, testLog(t)); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(next) {
		t.Fatalf("user_version %d (%v), want %d", v, err, len(next))
	}
	if _, err := db.Exec(`UPDATE reads SET colour = 'white'`); err != nil {
		t.Fatalf("new column missing: %v", err)
	}

	bak := path + ".v1.bak"
	fi, err := os.Stat(bak)
	if err != nil {
		t.Fatalf("no backup before migrating: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup has mode %v, want 0600", fi.Mode().Perm())
	}
	// The backup is the old schema with the data.
	old, err := sql.Open("sqlite3", dsn(bak, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var n int
	if err := old.QueryRow("SELECT count(*) FROM reads").Scan(&n); err != nil || n != 1 {
		t.Fatalf("backup holds %d reads (%v), want 1", n, err)
	}
	if err := old.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != 1 {
		t.Fatalf("backup at version %d (%v), want 1", v, err)
	}

	// This build refuses the newer schema instead of writing into it.
	db.Close()
	_, err = Open(path, testCfg(), testLog(t), nil)
	if err == nil || !strings.Contains(err.Error(), "schema version 2 is newer than this build knows (1)") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestFailedMigrationLeavesVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	s, _ := openTest(t, path, testCfg())
	s.Close()
	bad := append(append([]migration(nil), migrations...), migration{name: "broken", sql: `ALTER TABLE nope ADD COLUMN x`})
	db, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = migrate(db, path, bad, testLog(t))
	if err == nil || !strings.Contains(err.Error(), "migration 2 (broken)") {
		t.Fatalf("migrate with a broken step: %v", err)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != 1 {
		t.Fatalf("user_version %d after a failed migration, want 1", v)
	}
}

func TestOpenRefusesForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, testCfg(), testLog(t), nil); err == nil || !strings.Contains(err.Error(), "not a read store") {
		t.Fatalf("Open of a foreign database: %v", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reads.db")
	if _, err := OpenReadOnly(path, nil); err == nil {
		t.Fatal("OpenReadOnly of a missing file succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("OpenReadOnly created the file")
	}
	s, _ := openTest(t, path, testCfg())
	rec := sampleRecord(time.Now(), 100)
	if _, err := s.Insert(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	// While the writer is open, as the reads command runs beside the agent.
	ro, err := OpenReadOnly(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, err := ro.Get(ctx, rec.ID); err != nil || got.Plate != rec.Plate {
		t.Fatalf("Get through read-only store: %v", err)
	}
	if _, err := ro.Insert(ctx, &rec); err == nil {
		t.Fatal("Insert into a read-only store succeeded")
	}
	if _, err := ro.Enforce(ctx, time.Now()); err != ErrReadOnly {
		t.Fatalf("Enforce on a read-only store: %v", err)
	}
}
