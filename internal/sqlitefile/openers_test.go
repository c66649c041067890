package sqlitefile_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/sqlitefile"
	"github.com/edge-agent/edge-agent/internal/store"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// TestOpenersRefuseForeignDatabase: the read store, the outbox and the
// improvement holding queue refuse somebody else's SQLite file, and a
// file that is not SQLite at all, and leave them byte for byte as they
// were (no switch to WAL, no table created, mode kept).
func TestOpenersRefuseForeignDatabase(t *testing.T) {
	openers := map[string]func(path string) error{
		"store": func(p string) error {
			s, err := store.Open(p, config.Defaults().Store, nil, nil)
			if err == nil {
				s.Close()
			}
			return err
		},
		"outbox": func(p string) error {
			o, err := uplink.OpenOutbox(p, uplink.OutboxOptions{})
			if err == nil {
				o.Close()
			}
			return err
		},
		"improvement queue": func(p string) error {
			c := config.Defaults().Improvement
			c.QueuePath = p
			_, err := improvement.StatusOffline(c)
			return err
		},
	}
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			for _, f := range []struct {
				kind string
				make func(t *testing.T) string
				want error
			}{{"foreign database", foreignDB, sqlitefile.ErrForeign}, {"text file", textFile, sqlitefile.ErrNotSQLite}} {
				p := f.make(t)
				before, _ := os.ReadFile(p)
				fi, _ := os.Stat(p)
				err := open(p)
				if !errors.Is(err, f.want) {
					t.Errorf("%s: %v; want %v", f.kind, err, f.want)
				}
				after, _ := os.ReadFile(p)
				if !bytes.Equal(before, after) {
					t.Errorf("%s: the file was changed (journal mode bytes %v → %v)", f.kind, before[18:20], after[18:20])
				}
				if fi2, _ := os.Stat(p); fi2.Mode() != fi.Mode() {
					t.Errorf("%s: mode %v → %v", f.kind, fi.Mode(), fi2.Mode())
				}
				for _, suffix := range []string{"-wal", "-shm"} {
					if _, err := os.Stat(p + suffix); err == nil {
						t.Errorf("%s: %s created", f.kind, p+suffix)
					}
				}
			}
		})
	}
}

func foreignDB(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite3", "file:"+p+"?_journal_mode=DELETE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func textFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(p, []byte("SQLite is not what this is; it is a text of more than twenty bytes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenersTakeTheirOwnHalfMadeFile: a kill while an outbox or holding
// queue made its schema leaves only its first tables; the next start takes
// the file as its own and completes it.
func TestOpenersTakeTheirOwnHalfMadeFile(t *testing.T) {
	half := func(t *testing.T, ddl string) string {
		p := filepath.Join(t.TempDir(), "half.db")
		db, err := sql.Open("sqlite3", p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ob, err := uplink.OpenOutbox(half(t, `CREATE TABLE cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`), uplink.OutboxOptions{})
	if err != nil {
		t.Errorf("outbox with only its cursors table: %v", err)
	} else {
		ob.Close()
	}
	c := config.Defaults().Improvement
	c.QueuePath = half(t, `CREATE TABLE salts (id INTEGER PRIMARY KEY, key BLOB NOT NULL, created INTEGER NOT NULL)`)
	if _, err := improvement.StatusOffline(c); err != nil {
		t.Errorf("holding queue with only its salts table: %v", err)
	}
}
