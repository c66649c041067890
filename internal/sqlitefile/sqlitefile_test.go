package sqlitefile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

func TestCheckOwn(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello: world\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	other := foreignDB(t)
	before, _ := os.ReadFile(other)
	if err := sqlitefile.CheckOwn(filepath.Join(dir, "absent.db"), "reads"); err != nil {
		t.Errorf("absent: %v", err)
	}
	if err := sqlitefile.CheckOwn(empty, "reads"); err != nil {
		t.Errorf("empty: %v", err)
	}
	if err := sqlitefile.CheckOwn(text, "reads"); !errors.Is(err, sqlitefile.ErrNotSQLite) {
		t.Errorf("text file: %v; want ErrNotSQLite", err)
	}
	if err := sqlitefile.CheckOwn(other, "reads"); !errors.Is(err, sqlitefile.ErrForeign) {
		t.Errorf("foreign database: %v; want ErrForeign", err)
	}
	if err := sqlitefile.CheckOwn(other, "customers"); err != nil {
		t.Errorf("own database: %v", err)
	}
	after, _ := os.ReadFile(other)
	if !bytes.Equal(before, after) {
		t.Error("CheckOwn changed the file it checked")
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(other + suffix); err == nil {
			t.Errorf("CheckOwn left %s behind", other+suffix)
		}
	}
}
