package improvement

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

// The holding queue. Samples wait here, on the vehicle, until their bucket
// is released. Plate and event hashes exist only while the bucket is open
// (they are set to NULL when it is decided), salts only while a sample uses
// them or they are current, and every delete overwrites the freed pages
// (secure_delete).
const queueSchema = `
CREATE TABLE IF NOT EXISTS salts (
	id      INTEGER PRIMARY KEY,
	key     BLOB NOT NULL,
	created INTEGER NOT NULL            -- unix ns
);
CREATE TABLE IF NOT EXISTS buckets (
	start      INTEGER NOT NULL,        -- unix s
	seconds    INTEGER NOT NULL,
	jitter     INTEGER NOT NULL,        -- ns, drawn once per bucket
	last_offer INTEGER NOT NULL,        -- unix ns of the latest sample made for it
	decided    INTEGER,                 -- unix ns; NULL while samples may join
	PRIMARY KEY (start, seconds)
);
CREATE TABLE IF NOT EXISTS samples (
	id             INTEGER PRIMARY KEY,
	bucket_start   INTEGER NOT NULL,
	bucket_seconds INTEGER NOT NULL,
	cell           TEXT NOT NULL,       -- geohash, '' without a fix
	event          BLOB UNIQUE,         -- HMAC of the read event, NULL once decided
	plate          BLOB,                -- HMAC of the plate text, NULL once decided
	salt           INTEGER,             -- salts.id of both HMACs
	ready          INTEGER NOT NULL DEFAULT 0,
	payload        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_bucket ON samples (bucket_start, bucket_seconds);
CREATE TABLE IF NOT EXISTS daily (
	day  TEXT PRIMARY KEY,              -- UTC date
	made INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cursor (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	final_seq  INTEGER NOT NULL,        -- the highest final_seq decided (made a sample of, or not)
	following  INTEGER NOT NULL,        -- 1: every final read above final_seq is owed a decision
	store_path TEXT NOT NULL,           -- the read store final_seq counts in
	boundary   INTEGER                  -- the highest read id given when consent began: those at or below it are never sampled; NULL: unknown
);
CREATE TABLE IF NOT EXISTS consent (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	withdrawn INTEGER NOT NULL,         -- unix ns
	reason    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS owed_purge (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	since INTEGER NOT NULL              -- unix ns of a withdrawal whose purge of the outbox is owed; resume leaves it
);`

// openQueue opens (creating with mode 0600) the holding queue at path, in
// WAL mode with synchronous=FULL: a sample or a withdrawal that was
// committed survives power loss.
func openQueue(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("'improvement.queue_path' is empty")
	}
	// Opening for writing switches the file to WAL and creates tables:
	// never to somebody else's file. Any table of ours marks the file as
	// ours: a kill while the schema was made leaves only the first ones.
	if err := sqlitefile.CheckOwn(path, "salts", "buckets", "samples", "daily", "cursor", "consent", "owed_purge"); err != nil {
		return nil, fmt.Errorf("'improvement.queue_path': %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("improvement queue directory: %w", err)
	}
	// SQLite gives the -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("improvement queue: %w", err)
	}
	err = f.Chmod(0o600)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("improvement queue: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate&_secure_delete=on"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("improvement queue %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := migrateCursor(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("improvement queue %s: cursor: %w", path, err)
	}
	if _, err := db.Exec(queueSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("improvement queue %s: %w", path, err)
	}
	return db, nil
}

// migrateCursor brings the cursor of an older holding queue up to date, in
// one transaction.
//
// A queue written before reads became provisional counted read ids
// (read_id). The read store's own migration gave each read of that time its
// id as final_seq, and gives later reads final_seqs above every id, so the
// value counts final_seq unchanged; only the column is renamed. Every read
// was final when stored then, so none was stored before consent and the
// consent boundary is 0.
//
// A queue written after, but before the consent boundary, gets a NULL
// boundary: Follow sets it to the newest read id of the store, so that a
// read stored provisional before the opt-in and made final since is never
// sampled (the reads left undecided by the last run are not sampled
// either).
func migrateCursor(db *sql.DB) error {
	column := func(tx *sql.Tx, name string) (bool, error) {
		var n int
		err := tx.QueryRow(`SELECT count(*) FROM pragma_table_info('cursor') WHERE name = ?`, name).Scan(&n)
		return n > 0, err
	}
	return inTx(db, func(tx *sql.Tx) error {
		if ok, err := column(tx, "store_path"); err != nil || !ok {
			return err // a new queue: queueSchema makes the table
		}
		fromIDs, err := column(tx, "read_id")
		if err != nil {
			return err
		}
		if fromIDs {
			if _, err := tx.Exec(`ALTER TABLE cursor RENAME COLUMN read_id TO final_seq`); err != nil {
				return err
			}
		}
		if ok, err := column(tx, "boundary"); err != nil || ok {
			return err
		}
		if _, err := tx.Exec(`ALTER TABLE cursor ADD COLUMN boundary INTEGER`); err != nil {
			return err
		}
		if fromIDs {
			_, err = tx.Exec(`UPDATE cursor SET boundary = 0`)
		}
		return err
	})
}

// purgeQueue deletes every held sample, bucket and salt in tx and returns
// how many samples there were. The reads stored from now on are not owed a
// sample: the cursor stops following until the programme is enabled again.
func purgeQueue(tx *sql.Tx) (int, error) {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM samples`).Scan(&n); err != nil {
		return 0, err
	}
	for _, q := range []string{`DELETE FROM samples`, `DELETE FROM buckets`, `DELETE FROM salts`, `UPDATE cursor SET following = 0`} {
		if _, err := tx.Exec(q); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// inTx runs fn in a transaction on db.
func inTx(db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// checkpoint truncates the WAL so that deleted samples are gone from it too.
func checkpoint(db *sql.DB) error {
	_, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// purgeOwed reports whether a withdrawal's purge of the outbox is owed: the
// withdrawal was recorded by a command that could not purge the outbox (the
// running agent held it), and no purge of the outbox followed yet, whether
// or not consent was resumed since.
func purgeOwed(q interface {
	QueryRow(string, ...any) *sql.Row
}) (bool, error) {
	var owed bool
	err := q.QueryRow(`SELECT EXISTS (SELECT 1 FROM owed_purge)`).Scan(&owed)
	return owed, err
}

// consentMarker reads the persistent withdrawal, if any.
func consentMarker(q interface {
	QueryRow(string, ...any) *sql.Row
}) (withdrawn bool, since time.Time, reason string, err error) {
	var ns int64
	err = q.QueryRow(`SELECT withdrawn, reason FROM consent WHERE id = 1`).Scan(&ns, &reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, time.Time{}, "", nil
	case err != nil:
		return false, time.Time{}, "", err
	}
	return true, time.Unix(0, ns).UTC(), reason, nil
}
