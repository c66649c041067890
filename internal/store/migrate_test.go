package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

// storeWithRead makes a store at path holding one read.
func storeWithRead(t *testing.T, path string) {
	t.Helper()
	s, _ := openTest(t, path, testCfg())
	rec := sampleRecord(time.Now(), 1000)
	if _, err := s.Insert(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestMigrationRemovesBackup: a migration that commits leaves no backup
// behind (its reads would escape retention); this build then refuses the
// newer schema instead of writing into it.
func TestMigrationRemovesBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	storeWithRead(t, path)
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
	if m, _ := filepath.Glob(path + ".v*.bak"); len(m) != 0 {
		t.Errorf("backups left after a migration that committed: %v", m)
	}

	db.Close()
	_, err = Open(path, testCfg(), testLog(t), nil)
	want := fmt.Sprintf("schema version %d is newer than this build knows (%d)", len(next), len(migrations))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

// TestFailedMigrationKeepsBackup: the backup of a database whose migration
// failed stays, mode 0600, with the old schema and the data.
func TestFailedMigrationKeepsBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	storeWithRead(t, path)
	bad := append(append([]migration(nil), migrations...), migration{name: "broken", sql: `ALTER TABLE nope ADD COLUMN x`})
	db, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(db, path, bad, testLog(t)); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	bak := fmt.Sprintf("%s.v%d.bak", path, len(migrations))
	fi, err := os.Stat(bak)
	if err != nil {
		t.Fatalf("no backup after a failed migration: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup has mode %v, want 0600", fi.Mode().Perm())
	}
	old, err := sql.Open("sqlite3", dsn(bak, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var n, v int
	if err := old.QueryRow("SELECT count(*) FROM reads").Scan(&n); err != nil || n != 1 {
		t.Fatalf("backup holds %d reads (%v), want 1", n, err)
	}
	if err := old.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("backup at version %d (%v), want %d", v, err, len(migrations))
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
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migration %d (broken)", len(bad))) {
		t.Fatalf("migrate with a broken step: %v", err)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version %d after a failed migration, want %d", v, len(migrations))
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
	if _, err := Open(path, testCfg(), testLog(t), nil); !errors.Is(err, sqlitefile.ErrForeign) {
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

// TestMigrationToProvisionalReads: a store of the first schema (every read
// final, no final_seq) migrates with its reads final, each with its id as
// final_seq, so that a cursor that counted read ids goes on counting the
// same reads; final_seq then continues above the highest id ever given,
// an evicted one included.
func TestMigrationToProvisionalReads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reads.db")
	db, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, path, migrations[:1], testLog(t)); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := db.Exec(`INSERT INTO reads (captured_at, camera, plate, confidence, char_confs, region,
			box_x0, box_y0, box_x1, box_y1, candidates, frames, crop_x0, crop_y0, crop_x1, crop_y1, size, crop)
			VALUES (?, 'front', ?, 0.9, '[]', '', 0, 0, 10, 5, '[]', 3, 0, 0, 10, 5, 200, x'ffd8')`,
			time.Date(2025, 6, 10, 12, i, 0, 0, time.UTC).UnixNano(), fmt.Sprintf("OLD%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM reads WHERE id IN (2, 4)`); err != nil { // evicted before the upgrade
		t.Fatal(err)
	}
	db.Close()

	s, _ := openTest(t, path, testCfg())
	ids, seqs := finals(t, s, 0)
	if !slices.Equal(ids, []int64{1, 3}) || !slices.Equal(seqs, []int64{1, 3}) {
		t.Errorf("migrated reads %v with final_seq %v, want 1 and 3, each its id", ids, seqs)
	}
	if ids, _ := finals(t, s, 1); !slices.Equal(ids, []int64{3}) {
		t.Errorf("above a cursor at read 1: %v, want [3]", ids)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != 4 {
		t.Errorf("LastSeq after the migration = %d, %v; want 4, the highest id ever given", seq, err)
	}
	rec := sampleRecord(time.Now(), 10)
	if seq, err := s.Finalize(ctx, &rec); err != nil || seq != 5 || rec.ID != 5 {
		t.Errorf("first read after the migration: id %d final_seq %d, %v; want 5 and 5", rec.ID, seq, err)
	}
}
