package uplink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

// ErrEmpty is returned by Peek when no entry is queued.
var ErrEmpty = errors.New("outbox is empty")

// ErrTooLarge is returned by Enqueue for a payload larger than the outbox's
// byte cap: it could never be kept without dropping everything else.
var ErrTooLarge = errors.New("payload is larger than the outbox byte cap")

// saneEpoch: entries stamped before it were enqueued while the clock was not
// yet set (a gateway without a battery-backed clock boots in 1970). Their age
// is unknown, so the TTL does not expire them; the caps still bound them.
var saneEpoch = read.ClockFloor

// maxQuarantined bounds the quarantine table; the oldest rows go first.
const maxQuarantined = 1000

// fileSchema is what every outbox file holds besides its queues: the
// cursors that let a producer enqueue and record how far it got in one
// transaction.
const fileSchema = `
CREATE TABLE IF NOT EXISTS cursors (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);`

// queueSchema is one queue's tables; %[1]s is the queue table, %[2]s its
// quarantine.
const queueSchema = `
CREATE TABLE IF NOT EXISTS %[1]s (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even when the queue empties
	enqueued INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	size     INTEGER NOT NULL,
	payload  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS %[2]s (
	seq         INTEGER PRIMARY KEY,
	enqueued    INTEGER NOT NULL,
	quarantined INTEGER NOT NULL,
	attempts    INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	payload     BLOB NOT NULL
);`

// OutboxOptions bounds an outbox queue. Zero values mean "no bound".
type OutboxOptions struct {
	MaxEntries  int           // entries at most; the oldest are dropped and counted
	MaxBytes    int64         // payload bytes at most; the oldest are dropped and counted
	TTL         time.Duration // entries older than this expire unsent, counted
	MaxAttempts int           // failed attempts before Entry.Failed quarantines
	// ReadOnly opens an existing outbox for Stats only, without taking the
	// writer lock, so it works while the agent runs. (OpenOutbox only: the
	// queues of a file share its mode.)
	ReadOnly bool
	Now      func() time.Time // the clock; time.Now when nil (OpenOutbox only)
}

// outboxFile is one SQLite file and its writer lock, shared by the queues
// in it. Its mutex serialises every use of its one connection.
type outboxFile struct {
	path     string
	readOnly bool
	now      func() time.Time
	lock     *os.File

	mu      sync.Mutex
	conn    *sql.Conn
	db      *sql.DB
	durable bool // the connection's synchronous mode is FULL
	refs    int  // open queues; the last Close closes the file
	wake    chan struct{}
}

// Outbox is one durable FIFO queue of payloads in an SQLite file, ordered by
// an INTEGER PRIMARY KEY sequence. A file holds the samples' queue (the one
// OpenOutbox returns) and may hold others (Queue), each with its own tables,
// caps and figures. One process writes a file at a time (an flock on
// PATH.lock enforces that); the methods are safe for concurrent use.
type Outbox struct {
	f      *outboxFile
	name   string // "" for the samples' queue
	table  string
	qtable string
	opts   OutboxOptions
	closed bool

	depth            int64
	bytes            int64
	quarantinedNow   int64
	quarantinedTotal int64 // since open
	expired          int64 // since open
	dropped          int64 // by the caps, since open
	wake             chan struct{}
	empty            chan struct{}
}

// OpenOutbox opens (creating with mode 0600 when absent) the outbox file at
// path and returns its samples' queue.
func OpenOutbox(path string, opts OutboxOptions) (*Outbox, error) {
	if path == "" {
		return nil, errors.New("outbox path is empty")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// Opening for writing switches the file to WAL and creates tables:
	// never to somebody else's file. Any table of ours marks the file as
	// ours: a kill while the schema was made leaves only the first ones.
	if err := sqlitefile.CheckOwn(path, "cursors", "outbox", "quarantine"); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	f := &outboxFile{path: path, readOnly: opts.ReadOnly, now: opts.Now, durable: true}
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
		f.lock = lock
		// SQLite gives the -wal and -shm files the mode of the database file.
		fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			f.unlock()
			return nil, fmt.Errorf("outbox %s: %w", path, err)
		}
		fh.Close()
	}
	// synchronous=FULL: in WAL mode the WAL is fsynced at every commit, so an
	// Enqueue that returned survives power loss. Remove and Failed switch to NORMAL
	// (see outboxFile.tx): losing one of those to power loss only re-sends an entry.
	// secure_delete: every delete (an acknowledged, expired, dropped or
	// purged entry) overwrites the payload's bytes, so they do not linger
	// in freed cells and free pages; the WAL's older frames go when it is
	// checkpointed and truncated (Purge, Close); until then they stay in it.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=" + mode +
		"&_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate&_secure_delete=on"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		f.unlock()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	f.db = db
	if err := f.init(); err != nil {
		f.closeAll()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	o, err := f.queue("", opts)
	if err != nil {
		f.closeAll()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	return o, nil
}

func (f *outboxFile) init() error {
	ctx := context.Background()
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return err
	}
	f.conn = conn
	if !f.readOnly {
		if _, err := conn.ExecContext(ctx, fileSchema); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	return nil
}

var queueName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Queue opens (creating when absent) the queue name of o's file, with its
// own caps (opts' ReadOnly and Now are the file's). Close it as any queue;
// the file closes with the last of them. Names are lower case letters,
// digits and '_'; "" is the samples' queue, never handed out here.
func (o *Outbox) Queue(name string, opts OutboxOptions) (*Outbox, error) {
	if !queueName.MatchString(name) {
		return nil, fmt.Errorf("outbox queue name %q: must be 1 to 32 of a-z, 0-9 and _, starting with a letter", name)
	}
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return nil, errors.New("outbox closed")
	}
	q, err := o.f.queue(name, opts)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: queue %s: %w", o.f.path, name, err)
	}
	return q, nil
}

// queue makes the queue name of f, creating its tables unless read-only.
// Called with f.mu held, or before f is shared.
func (f *outboxFile) queue(name string, opts OutboxOptions) (*Outbox, error) {
	opts.ReadOnly, opts.Now = f.readOnly, f.now
	o := &Outbox{f: f, name: name, table: "outbox", qtable: "quarantine", opts: opts}
	if name != "" {
		o.table, o.qtable = "outbox_"+name, "quarantine_"+name
	}
	ctx := context.Background()
	if !f.readOnly {
		if _, err := f.conn.ExecContext(ctx, fmt.Sprintf(queueSchema, o.table, o.qtable)); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	if err := o.count(ctx); err != nil {
		return nil, fmt.Errorf("not an outbox: %w", err)
	}
	f.refs++
	return o, nil
}

// count reads the queue's depth, bytes and quarantine size from the file.
// Called with f.mu held.
func (o *Outbox) count(ctx context.Context) error {
	row := o.f.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(size), 0),
		(SELECT count(*) FROM %s) FROM %s`, o.qtable, o.table))
	return row.Scan(&o.depth, &o.bytes, &o.quarantinedNow)
}

// Queues lists the named queues the file holds (not the samples' one),
// read from the file: in a read-only outbox, those another process made.
func (o *Outbox) Queues() ([]string, error) {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return nil, errors.New("outbox closed")
	}
	rows, err := o.f.conn.QueryContext(context.Background(),
		`SELECT substr(name, 8) FROM sqlite_master WHERE type = 'table' AND name LIKE 'outbox\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Name is the queue's name; "" for the samples' queue.
func (o *Outbox) Name() string { return o.name }

func (f *outboxFile) unlock() {
	if f.lock != nil {
		f.lock.Close()
		f.lock = nil
	}
}

// closeAll closes the database and releases the writer lock. Called with
// f.mu held, or before f is shared.
func (f *outboxFile) closeAll() error {
	var err error
	if f.conn != nil {
		err = f.conn.Close()
		f.conn = nil
	}
	if f.db != nil {
		err = errors.Join(err, f.db.Close())
		f.db = nil
	}
	f.unlock()
	return err
}

// Close closes the queue; the last queue of a file to close closes the
// database and releases the writer lock.
func (o *Outbox) Close() error {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if o.f.refs--; o.f.refs > 0 {
		return nil
	}
	return o.f.closeAll()
}

// Path is the database file.
func (o *Outbox) Path() string { return o.f.path }

// Fits reports whether payload is within the queue's byte cap
// (OutboxOptions.MaxBytes): Enqueue and Commit refuse a larger one with
// ErrTooLarge, however often they are tried.
func (o *Outbox) Fits(payload []byte) bool {
	return o.opts.MaxBytes <= 0 || int64(len(payload)) <= o.opts.MaxBytes
}

// Enqueue appends one payload. It returns once the entry is on stable
// storage. When the caps are exceeded the oldest entries are dropped.
func (o *Outbox) Enqueue(payload []byte) error {
	return o.EnqueueBatch([][]byte{payload})
}

// EnqueueBatch appends payloads in order in one transaction (one fsync).
func (o *Outbox) EnqueueBatch(payloads [][]byte) error {
	puts := make([]Put, len(payloads))
	for i, p := range payloads {
		puts[i] = Put{Queue: o, Payload: p}
	}
	return o.Commit("", 0, puts)
}

// Put is one payload for one queue.
type Put struct {
	Queue   *Outbox
	Payload []byte
}

// Commit appends each put to its queue, in order, and sets the cursor
// named cursor to value (none when cursor is ""), in one transaction that
// is on stable storage when Commit returns. Every queue must be in o's
// file. A producer that records in the cursor how far it got in its source
// enqueues each item once, across crashes: what it enqueued and how far it
// got are committed together.
func (o *Outbox) Commit(cursor string, value int64, puts []Put) error {
	if o.opts.ReadOnly {
		return errors.New("outbox opened read-only")
	}
	added := map[*Outbox]*dropResult{} // per queue: entries and bytes added
	for _, p := range puts {
		if p.Queue.f != o.f {
			return errors.New("enqueue: a queue of another outbox file")
		}
		if len(p.Payload) == 0 {
			return errors.New("empty payload")
		}
		if !p.Queue.Fits(p.Payload) {
			return fmt.Errorf("%w (%d > %d bytes)", ErrTooLarge, len(p.Payload), p.Queue.opts.MaxBytes)
		}
		if added[p.Queue] == nil {
			added[p.Queue] = &dropResult{}
		}
		added[p.Queue].n++
		added[p.Queue].bytes += int64(len(p.Payload))
	}
	f := o.f
	f.mu.Lock()
	defer f.mu.Unlock()
	now := o.opts.Now().UnixNano()
	drops := map[*Outbox]dropResult{}
	err := f.tx(true, func(tx *sql.Tx) error {
		for _, p := range puts {
			if _, err := tx.Exec(`INSERT INTO `+p.Queue.table+` (enqueued, size, payload) VALUES (?, ?, ?)`,
				now, len(p.Payload), p.Payload); err != nil {
				return err
			}
		}
		for q, a := range added {
			d, err := q.dropOldest(tx, q.depth+a.n, q.bytes+a.bytes)
			if err != nil {
				return err
			}
			drops[q] = d
		}
		if cursor == "" {
			return nil
		}
		_, err := tx.Exec(`INSERT INTO cursors (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, cursor, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	for q, a := range added {
		d := drops[q]
		q.depth += a.n - d.n
		q.bytes += a.bytes - d.bytes
		q.dropped += d.n
		if q.wake != nil {
			close(q.wake)
			q.wake = nil
		}
	}
	if len(added) > 0 && f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
	return nil
}

// Cursor returns the value Commit last set for the cursor name, and false
// when it was never set.
func (o *Outbox) Cursor(name string) (int64, bool, error) {
	o.f.mu.Lock()
	defer o.f.mu.Unlock()
	if o.f.conn == nil {
		return 0, false, errors.New("outbox closed")
	}
	var v int64
	err := o.f.conn.QueryRowContext(context.Background(), `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("outbox cursor %s: %w", name, err)
	}
	return v, true, nil
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
		rows, err := tx.Query(`SELECT seq, size FROM `+o.table+` WHERE seq > ? ORDER BY seq LIMIT 256`, last)
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
		if _, err := tx.Exec(`DELETE FROM `+o.table+` WHERE seq <= ?`, last); err != nil {
			return d, err
		}
	}
	return d, nil
}
