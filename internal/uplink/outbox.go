package uplink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// ErrEmpty is returned by Peek when no entry is queued.
var ErrEmpty = errors.New("outbox is empty")

// ErrTooLarge is returned by Enqueue for a payload larger than the outbox's
// byte cap: it could never be kept without dropping everything else.
var ErrTooLarge = errors.New("payload is larger than the outbox byte cap")

// saneEpoch: entries stamped before it were enqueued while the clock was not
// yet set (a gateway without a battery-backed clock boots in 1970). Their age
// is unknown, so the TTL does not expire them; the caps still bound them.
var saneEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// maxQuarantined bounds the quarantine table; the oldest rows go first.
const maxQuarantined = 1000

const schema = `
CREATE TABLE IF NOT EXISTS outbox (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even when the queue empties
	enqueued INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	size     INTEGER NOT NULL,
	payload  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
	seq         INTEGER PRIMARY KEY,
	enqueued    INTEGER NOT NULL,
	quarantined INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	payload     BLOB NOT NULL
);`

// OutboxOptions bounds an outbox. Zero values mean "no bound".
type OutboxOptions struct {
	MaxEntries  int           // entries at most; the oldest are dropped and counted
	MaxBytes    int64         // payload bytes at most; the oldest are dropped and counted
	TTL         time.Duration // entries older than this expire unsent, counted
	MaxAttempts int           // failed attempts before Entry.Failed quarantines
	// ReadOnly opens an existing outbox for Stats only, without taking the
	// writer lock, so it works while the agent runs.
	ReadOnly bool
	Now      func() time.Time // the clock; time.Now when nil
}

// Outbox is a durable FIFO of payloads in an SQLite file, ordered by an
// INTEGER PRIMARY KEY sequence. One process writes it at a time (an flock on
// PATH.lock enforces that); its methods are safe for concurrent use.
type Outbox struct {
	opts OutboxOptions
	path string
	lock *os.File

	mu               sync.Mutex
	conn             *sql.Conn
	db               *sql.DB
	durable          bool // the connection's synchronous mode is FULL
	depth            int64
	bytes            int64
	quarantinedNow   int64
	quarantinedTotal int64 // since open
	expired          int64 // since open
	dropped          int64 // by the caps, since open
	wake             chan struct{}
	empty            chan struct{}
}

// OpenOutbox opens (creating with mode 0600 when absent) the outbox at path.
func OpenOutbox(path string, opts OutboxOptions) (*Outbox, error) {
	if path == "" {
		return nil, errors.New("outbox path is empty")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	o := &Outbox{opts: opts, path: path, durable: true}
	mode := "rw"
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", path, err)
		}
		mode = "ro"
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("outbox directory: %w", err)
		}
		lock, err := lockFile(path + ".lock")
		if err != nil {
			return nil, err
		}
		o.lock = lock
		// SQLite gives the -wal and -shm files the mode of the database file.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			o.unlock()
			return nil, fmt.Errorf("outbox %s: %w", path, err)
		}
		f.Close()
	}
	// synchronous=FULL: in WAL mode the WAL is fsynced at every commit, so an
	// Enqueue that returned survives power loss. Remove and Failed switch to NORMAL
	// (see Outbox.tx): losing one of those to power loss only re-sends an entry.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=" + mode +
		"&_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		o.unlock()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	o.db = db
	if err := o.init(); err != nil {
		db.Close()
		o.unlock()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	return o, nil
}

func (o *Outbox) init() error {
	ctx := context.Background()
	conn, err := o.db.Conn(ctx)
	if err != nil {
		return err
	}
	o.conn = conn
	if !o.opts.ReadOnly {
		if _, err := conn.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	row := conn.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0),
		(SELECT count(*) FROM quarantine) FROM outbox`)
	if err := row.Scan(&o.depth, &o.bytes, &o.quarantinedNow); err != nil {
		return fmt.Errorf("not an outbox: %w", err)
	}
	return nil
}

func (o *Outbox) unlock() {
	if o.lock != nil {
		o.lock.Close()
		o.lock = nil
	}
}

// Close closes the database and releases the writer lock.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	if o.conn != nil {
		err = o.conn.Close()
		o.conn = nil
	}
	if o.db != nil {
		err = errors.Join(err, o.db.Close())
		o.db = nil
	}
	o.unlock()
	return err
}

// Path is the database file.
func (o *Outbox) Path() string { return o.path }

// Enqueue appends one payload. It returns once the entry is on stable
// storage. When the caps are exceeded the oldest entries are dropped.
func (o *Outbox) Enqueue(payload []byte) error {
	return o.EnqueueBatch([][]byte{payload})
}

// EnqueueBatch appends payloads in order in one transaction (one fsync).
func (o *Outbox) EnqueueBatch(payloads [][]byte) error {
	if o.opts.ReadOnly {
		return errors.New("outbox opened read-only")
	}
	var size int64
	for _, p := range payloads {
		if len(p) == 0 {
			return errors.New("empty payload")
		}
		if o.opts.MaxBytes > 0 && int64(len(p)) > o.opts.MaxBytes {
			return fmt.Errorf("%w (%d > %d bytes)", ErrTooLarge, len(p), o.opts.MaxBytes)
		}
		size += int64(len(p))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.opts.Now().UnixNano()
	var drop dropResult
	err := o.tx(true, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`INSERT INTO outbox (enqueued, size, payload) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range payloads {
			if _, err := st.Exec(now, len(p), p); err != nil {
				return err
			}
		}
		drop, err = o.dropOldest(tx, o.depth+int64(len(payloads)), o.bytes+size)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	o.depth += int64(len(payloads)) - drop.n
	o.bytes += size - drop.bytes
	o.dropped += drop.n
	if o.wake != nil {
		close(o.wake)
		o.wake = nil
	}
	return nil
}

type dropResult struct{ n, bytes int64 }

// dropOldest deletes the oldest entries, inside the enqueue transaction,
// until depth entries of bytes total fit the caps.
func (o *Outbox) dropOldest(tx *sql.Tx, depth, bytes int64) (dropResult, error) {
	var d dropResult
	var last int64
	over := func() bool {
		return (o.opts.MaxEntries > 0 && depth-d.n > int64(o.opts.MaxEntries)) ||
			(o.opts.MaxBytes > 0 && bytes-d.bytes > o.opts.MaxBytes)
	}
	for over() {
		rows, err := tx.Query(`SELECT seq, size FROM outbox WHERE seq > ? ORDER BY seq LIMIT 256`, last)
		if err != nil {
			return d, err
		}
		read := false
		for over() && rows.Next() {
			read = true
			var sz int64
			if err := rows.Scan(&last, &sz); err != nil {
				rows.Close()
				return d, err
			}
			d.n++
			d.bytes += sz
		}
		if err := rows.Close(); err != nil {
			return d, err
		}
		if !read {
			break // nothing left to drop
		}
	}
	if d.n > 0 {
		if _, err := tx.Exec(`DELETE FROM outbox WHERE seq <= ?`, last); err != nil {
			return d, err
		}
	}
	return d, nil
}
