// Package store keeps read records in an SQLite file: WAL journal, one
// writer, versioned migrations, file mode 0600, and retention by age, by
// database size and by free disk space.
//
// Durability: every connection runs with journal_mode=WAL and
// synchronous=FULL, so the WAL is fsynced at each commit and a read that
// Insert reported stored survives not only a crash or SIGKILL of the agent
// (which WAL with synchronous=NORMAL would already survive) but also the power
// cut of a vehicle's ignition, which NORMAL may lose. Reads arrive a few per
// second at most, so the fsync per insert is affordable (see BenchmarkInsert).
//
// One row per vehicle pass: the agent stores a pass's read as soon as the
// pass is confirmed (InsertProvisional) and replaces it with the pass's
// final record when the pass ends (Finalize), which gives the read its
// final_seq, the order in which the improvement programme takes final reads
// (QueryFinalAfter).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

// busyTimeout is how long a statement waits for a lock held by another
// connection (the reads command, a backup) before it fails.
const busyTimeout = 10 * time.Second

// walSizeLimit is the size the WAL is truncated to after a checkpoint.
const walSizeLimit = 4 << 20

// walCheckpointPages is the WAL size, in pages, at which a commit
// checkpoints it (SQLite's default is 1000). Pages new to the database sit
// in the WAL until then, and a checkpoint must grow the main file by them:
// at most 1 MiB of 4 KiB pages, so that the reserve file's room always
// covers the checkpoint that a full disk's evictions start with.
const walCheckpointPages = 256

// ErrReadOnly is returned by the writing methods of a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// Store is the read store. Its methods are safe for concurrent use; writes are
// serialised on a single connection.
type Store struct {
	path string
	cfg  config.Store
	log  *slog.Logger
	m    *metrics

	wmu sync.Mutex // serialises every write (insert, eviction, vacuum)
	w   *sql.DB    // the single writer connection; nil when read-only
	r   *sql.DB    // readers (query_only)

	wake     chan struct{} // an Insert asks Run for a retention pass now
	pageSize int64
	disk     diskState // why the disk counts as full, for Check

	// FreeSpace reports the bytes available to the agent on the filesystem
	// holding dir. It defaults to a unix.Statfs lookup; tests replace it to
	// simulate a full disk. Set it before Run or Enforce is first called.
	FreeSpace func(dir string) (uint64, error)
	// Interval is the period at which Run enforces retention (default 1m).
	// An Insert that takes the database over store.max_bytes does not wait
	// for it: it wakes Run at once.
	Interval time.Duration
	// Now is the clock Run passes to Enforce (default time.Now).
	Now func() time.Time
	// Heart, when set, is beaten by Run at every pass and before each wait,
	// for the watchdog (live.Loops). Set it before Run.
	Heart *live.Heart
}

// Open opens or creates the store at path: it creates the parent folders
// (0700), the file with mode 0600 (SQLite gives the -wal and -shm files the
// same mode), and brings the schema up to date, keeping a backup copy of an
// existing database before migrating it. Open is for the store's one writer
// (the agent): it makes final, as they are, the reads a previous run left
// provisional. The metrics are registered on reg
// (nil: not registered).
func Open(path string, cfg config.Store, log *slog.Logger, reg prometheus.Registerer) (*Store, error) {
	if path == "" {
		return nil, errors.New("'store.path' must not be empty")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Opening for writing switches the file to WAL and creates tables:
	// never to somebody else's file.
	if err := sqlitefile.CheckOwn(path, "reads"); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{path: path, cfg: cfg, log: log, Interval: time.Minute, Now: time.Now, FreeSpace: statfsFree,
		wake: make(chan struct{}, 1)}
	// _txlock=immediate: a write transaction takes the write lock at BEGIN,
	// so it never fails half-way on a lock upgrade.
	s.w = sql.OpenDB(connector{
		// secure_delete=FAST zeroes the cells a DELETE frees in the pages it
		// writes anyway (plate text, positions); the pages it frees whole
		// (crops) go at the next incremental vacuum, which truncates them
		// off the file. ON would also rewrite each freed crop page into the
		// WAL: twice the writes, and no room for them on a full disk.
		dsn: dsn(path, "_journal_mode=WAL", "_synchronous=FULL", "_auto_vacuum=incremental",
			"_txlock=immediate", "_foreign_keys=on", "_secure_delete=fast"),
		// Truncate the WAL back to this size after a checkpoint, so that a
		// burst (or a long export holding a snapshot) does not leave a big
		// file behind.
		driver: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec(fmt.Sprintf("PRAGMA journal_size_limit = %d; PRAGMA wal_autocheckpoint = %d",
				walSizeLimit, walCheckpointPages), nil)
			return err
		}},
	})
	s.w.SetMaxOpenConns(1)
	s.w.SetConnMaxIdleTime(0)
	if err := s.w.Ping(); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := migrate(s.w, path, migrations, log); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if n, err := finalizeLeftovers(context.Background(), s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store %s: finalising the reads left provisional: %w", path, err)
	} else if n > 0 {
		log.Info("reads left provisional by the last run made final as they are", "reads", n)
	}
	if err := ensureIncrementalVacuum(s.w, log); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := s.w.QueryRow("PRAGMA page_size").Scan(&s.pageSize); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	// Files created before this process (an older agent, a copy) get 0600 too.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.w.Close()
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
	}
	s.r = sql.OpenDB(connector{dsn: dsn(path, "_query_only=1"), driver: &sqlite3.SQLiteDriver{}})
	s.r.SetMaxOpenConns(4)
	s.m = newMetrics(reg, s.sizeOnDisk)
	s.keepReserve()
	return s, nil
}

// OpenReadOnly opens an existing store for reading only (the reads command),
// without creating, migrating or changing it. Its schema must be the one this
// build writes.
func OpenReadOnly(path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	r := sql.OpenDB(connector{dsn: dsn(path, "mode=ro", "_query_only=1"), driver: &sqlite3.SQLiteDriver{}})
	var v int
	if err := r.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		r.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if v != len(migrations) {
		r.Close()
		return nil, fmt.Errorf("store %s: schema version %d, this build reads version %d (start the agent once to migrate it)", path, v, len(migrations))
	}
	return &Store{path: path, log: log, r: r, m: newMetrics(nil, nil), Now: time.Now}, nil
}

// Close closes the database. The last connection to close checkpoints the WAL
// into the main file.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		s.wmu.Lock()
		errs = append(errs, s.w.Close())
		s.wmu.Unlock()
	}
	return errors.Join(errs...)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// dir is the folder of the database file.
func (s *Store) dir() string { return filepath.Dir(s.path) }

// connector opens connections with a driver of our own, so that no driver is
// registered globally and each connection can run a hook.
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// createPrivate creates path with mode 0600 when it does not exist. An empty
// file is a valid empty SQLite database, and SQLite copies its mode to the
// -wal and -shm files it creates beside it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn builds a go-sqlite3 URI for path with the given parameters.
func dsn(path string, params ...string) string {
	// In a file: URI, '?' and '#' end the path and '%' starts an escape.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	params = append(params, fmt.Sprintf("_busy_timeout=%d", busyTimeout.Milliseconds()))
	return "file:" + esc + "?" + strings.Join(params, "&")
}

// ensureIncrementalVacuum switches a database that was created without
// auto_vacuum=INCREMENTAL (not by this package) to it, so that evictions can
// give space back to the filesystem. It rewrites the file once.
func ensureIncrementalVacuum(db *sql.DB, log *slog.Logger) error {
	var mode int
	if err := db.QueryRow("PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return err
	}
	if mode == 2 {
		return nil
	}
	log.Warn("rewriting the database once to enable incremental vacuum", "auto_vacuum", mode)
	if _, err := db.Exec("PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return err
	}
	_, err := db.Exec("VACUUM")
	return err
}

// sizeOnDisk is the bytes the database takes on disk: the main file and its
// WAL.
func (s *Store) sizeOnDisk() int64 {
	var n int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// writer returns the writer connection pool, or ErrReadOnly.
func (s *Store) writer() (*sql.DB, error) {
	if s.w == nil {
		return nil, ErrReadOnly
	}
	return s.w, nil
}

// withTx runs fn in a write transaction, serialised with every other write.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	w, err := s.writer()
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
