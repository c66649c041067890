package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDBFlagTakenVerbatim: --db is a path, not YAML: '#', ': ' and '['
// in it reach the file system as written.
func TestDBFlagTakenVerbatim(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gate #2: [rear] {x}.db")
	fillOutbox(t, path, 2)
	var out, errOut bytes.Buffer
	if err := outboxCmd(context.Background(), []string{"status", "--db", path}, &out, &errOut); err != nil {
		t.Fatalf("outbox status --db %q: %v", path, err)
	}
	if !strings.Contains(out.String(), "outbox       "+path+"\n") || !strings.Contains(out.String(), "queued       2 entries") {
		t.Errorf("status of %q:\n%s", path, out.String())
	}
	out.Reset()
	if err := outboxCmd(context.Background(), []string{"purge", "--db", path}, &out, &errOut); err != nil {
		t.Fatalf("outbox purge --db %q: %v", path, err)
	}
	if out.String() != "purged 2 entries from "+path+"\n" {
		t.Errorf("purge: %q", out.String())
	}
}

// TestDBFlagNotSQLite: a --db naming an existing file that is not an
// SQLite database is refused, naming --db, and the file is left alone.
func TestDBFlagNotSQLite(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	const text = "store:\n  path: somewhere\n"
	if err := os.WriteFile(notes, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(dir, "v.mp4")
	if err := os.WriteFile(video, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"outbox", "status", "--db", notes},
		{"outbox", "purge", "--db", notes},
		{"reads", "--db", notes},
		{"replay", "--db", notes, video},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		want := `--db "` + notes + `": the file exists and is not an SQLite database`
		if err == nil || err.Error() != want {
			t.Errorf("%v: %v; want %s", args, err, want)
		}
		if b, _ := os.ReadFile(notes); string(b) != text {
			t.Errorf("%v changed the file: %q", args, b)
		}
	}
}
