// Package sqlitefile tells, before a file is opened for writing, whether it
// is an SQLite database of ours: opening a database for writing switches it
// to WAL and creates tables, which must never happen to somebody else's file
// named by mistake in a config key or a --db flag.
package sqlitefile

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// header is the first 16 bytes of every SQLite 3 database file.
var header = []byte("SQLite format 3\x00")

// ErrNotSQLite is wrapped by the errors for a file that is not an SQLite
// database at all.
var ErrNotSQLite = errors.New("not an SQLite database")

// ErrForeign is wrapped by the errors for an SQLite database that holds
// tables but not the one that marks it as ours.
var ErrForeign = errors.New("an SQLite database of another program")

// IsSQLite reports nil when path does not exist, is empty (SQLite makes an
// empty file a database) or starts with the SQLite header; an error wrapping
// ErrNotSQLite otherwise. It only reads the file.
func IsSQLite(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, len(header))
	n, err := io.ReadFull(f, b)
	switch {
	case n == 0 && (err == io.EOF):
		return nil
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return err
	case !bytes.Equal(b[:n], header):
		return fmt.Errorf("%s: %w", path, ErrNotSQLite)
	}
	return nil
}

// CheckOwn reports nil when path may be opened for writing as a database
// whose tables include one of marks: it does not exist, is empty, or is an
// SQLite database that holds no table or one of marks. Anything else (not SQLite, or
// somebody else's tables) is an error naming the file, and the file is left
// as it was: it is read through a read-only connection that changes
// neither its journal mode nor its contents.
func CheckOwn(path string, marks ...string) error {
	if err := IsSQLite(path); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	tables, err := Tables(path)
	if err != nil {
		return err
	}
	if len(tables) == 0 || slices.ContainsFunc(marks, func(m string) bool { return slices.Contains(tables, m) }) {
		return nil
	}
	if len(tables) > 5 {
		tables = append(tables[:5], "…")
	}
	return fmt.Errorf("%s: %w (tables %v, none of %q): refusing to change it", path, ErrForeign, tables, marks)
}

// Tables lists the tables of the database at path, read-only.
func Tables(path string) ([]string, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_query_only=1"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
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
