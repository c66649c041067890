package store

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// migration brings the schema from version i to i+1, where i is its index in
// the list. PRAGMA user_version holds the version of a database.
type migration struct {
	name string
	sql  string
}

// migrations is the ordered schema history. Append only: never edit or
// reorder a migration that has shipped.
var migrations = []migration{
	{name: "reads table", sql: `
CREATE TABLE reads (
	id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused after eviction
	captured_at INTEGER NOT NULL,  -- Unix nanoseconds, UTC
	camera      TEXT    NOT NULL,
	plate       TEXT    NOT NULL,
	confidence  REAL    NOT NULL,
	char_confs  TEXT    NOT NULL,  -- JSON array of numbers
	region      TEXT    NOT NULL,
	box_x0 INTEGER NOT NULL, box_y0 INTEGER NOT NULL, box_x1 INTEGER NOT NULL, box_y1 INTEGER NOT NULL,
	candidates  TEXT    NOT NULL,  -- JSON array of {"text","confidence"}
	fix_lat     REAL,              -- the fix columns are NULL without a fix
	fix_lon     REAL,
	fix_time    INTEGER,
	frames      INTEGER NOT NULL,
	crop_x0 INTEGER NOT NULL, crop_y0 INTEGER NOT NULL, crop_x1 INTEGER NOT NULL, crop_y1 INTEGER NOT NULL,
	size        INTEGER NOT NULL,  -- approximate bytes of the row, for eviction by size
	crop        BLOB,              -- blobs last: scanning the other columns skips them
	frame       BLOB
);
CREATE INDEX reads_captured_at ON reads (captured_at, id);
`},
	// A read is stored when its pass is confirmed (provisional) and updated
	// with the pass's final record when the pass ends. final_seq numbers
	// the reads in the order they became final, store-wide and never
	// reused (final_counter keeps the last one given): the improvement
	// programme follows it. The reads stored before this migration were all
	// final, in id order: they keep their id as final_seq, so that a cursor
	// that counted read ids counts final_seq from now on unchanged.
	{name: "provisional reads", sql: `
ALTER TABLE reads ADD COLUMN final INTEGER NOT NULL DEFAULT 1; -- 0 while the pass goes on
ALTER TABLE reads ADD COLUMN final_seq INTEGER;                 -- NULL while provisional
UPDATE reads SET final_seq = id;
CREATE UNIQUE INDEX reads_final_seq ON reads (final_seq);
CREATE INDEX reads_provisional ON reads (id) WHERE final = 0;
CREATE TABLE final_counter (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL               -- the last final_seq given
);
INSERT INTO final_counter (id, seq) VALUES (1, max(
	coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'reads'), 0),
	coalesce((SELECT max(id) FROM reads), 0)));
`},
	// The local API finds a plate's reads, newest first, through reads_plate.
	// store_info.uid is random, made once per store: with a read's id it
	// names the read's events for good (ids restart in a new store file).
	{name: "plate index and store id", sql: `
CREATE INDEX reads_plate ON reads (plate, captured_at, id);
CREATE TABLE store_info (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	uid TEXT NOT NULL
);
INSERT INTO store_info (id, uid) VALUES (1, lower(hex(randomblob(16))));
`},
}

// migrate applies the migrations the database at path lacks, each in its own
// transaction together with its user_version. A database that already holds
// data is first copied to path.v<N>.bak (mode 0600), which is removed once
// every migration has committed: kept, its reads would escape retention
// and the disk cap. After a failed migration it stays, for the operator.
func migrate(db *sql.DB, path string, list []migration, log *slog.Logger) error {
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	switch {
	case version == len(list):
		return nil
	case version > len(list):
		return fmt.Errorf("schema version %d is newer than this build knows (%d); the agent was downgraded", version, len(list))
	}
	var tables int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		return err
	}
	if version == 0 && tables > 0 {
		return errors.New("the file holds tables but no schema version: not a read store")
	}
	var bak string
	if tables > 0 {
		bak = fmt.Sprintf("%s.v%d.bak", path, version)
		if err := backup(db, bak); err != nil {
			return fmt.Errorf("backup before migration: %w", err)
		}
		log.Info("backed up the database before migrating it", "backup", bak, "from", version, "to", len(list))
	}
	for v := version; v < len(list); v++ {
		start := time.Now()
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(list[v].sql); err != nil {
			return errors.Join(fmt.Errorf("migration %d (%s): %w", v+1, list[v].name, err), tx.Rollback())
		}
		// PRAGMA takes no bound parameters; v+1 is an int.
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return errors.Join(err, tx.Rollback())
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d (%s): %w", v+1, list[v].name, err)
		}
		log.Info("migrated the database", "version", v+1, "migration", list[v].name, "took", time.Since(start))
	}
	if bak != "" {
		if err := os.Remove(bak); err != nil {
			return fmt.Errorf("removing the backup after the migration: %w", err)
		}
		log.Info("migration done; backup removed", "backup", bak)
	}
	return nil
}

// backup writes a consistent copy of the database to dst with VACUUM INTO,
// replacing an older backup of the same name.
func backup(db *sql.DB, dst string) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// VACUUM INTO accepts an existing empty file, which keeps our mode 0600.
	if err := createPrivate(dst); err != nil {
		return err
	}
	_, err := db.Exec("VACUUM INTO ?", dst)
	return err
}
