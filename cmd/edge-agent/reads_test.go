package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

func TestReadsCmdExports(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reads.db")
	st, err := store.Open(path, config.Store{Retention: time.Hour, MaxBytes: 1 << 30}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for i, plate := range []read.Plate{"OLD1", "NEW2", "NEW3"} {
		at := now.Add(-48 * time.Hour)
		if i > 0 {
			at = now.Add(-time.Duration(3-i) * time.Hour)
		}
		rec := read.Record{CapturedAt: at, Camera: "front", Plate: plate, Confidence: 0.9, Crop: []byte{1, 2, 3}}
		if i == 2 {
			rec.Fix = &read.Fix{Position: read.Position{Lat: 1.5, Lon: 2.5}, Time: at}
		}
		if _, err := st.Insert(ctx, &rec); err != nil {
			t.Fatal(err)
		}
	}

	var out, errOut bytes.Buffer
	if err := readsCmd(ctx, []string{"--db", path, "--since", "24h", "--format", "jsonl"}, &out, &errOut); err != nil {
		t.Fatalf("reads: %v (%s)", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("--since 24h gave %d lines:\n%s", len(lines), out.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"captured_at", "camera", "plate", "confidence", "box", "lat", "lon"} {
		if _, ok := last[k]; !ok {
			t.Errorf("exported read lacks %q: %s", k, lines[1])
		}
	}
	if last["plate"] != "NEW3" || last["lat"] != 1.5 || last["lon"] != 2.5 {
		t.Fatalf("last read exported as %s", lines[1])
	}

	out.Reset()
	since := now.Add(-90 * time.Minute).Format(time.RFC3339)
	if err := readsCmd(ctx, []string{"--db", path, "--since", since, "--format", "tsv"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "id\tcaptured_at\t") || !strings.Contains(rows[1], "\tNEW3\t") {
		t.Fatalf("tsv since %s:\n%s", since, out.String())
	}

	out.Reset()
	if err := readsCmd(ctx, []string{"-db", path, "--format", "jsonl"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Fatalf("without --since: %d reads, want 3", n)
	}
	if !strings.Contains(out.String(), `"candidates"`) {
		t.Errorf("jsonl lacks the candidates:\n%s", out.String())
	}

	// The default is an aligned table, confidences rounded, no candidates.
	out.Reset()
	if err := readsCmd(ctx, []string{"-db", path}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	table := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(table) != 4 || !strings.HasPrefix(table[0], "ID  CAPTURED (UTC)") {
		t.Fatalf("table:\n%s", out.String())
	}
	col := strings.Index(table[0], "PLATE")
	for _, row := range table[1:] {
		if !strings.HasPrefix(row[col:], "OLD1") && !strings.HasPrefix(row[col:], "NEW") {
			t.Errorf("plate column not aligned in %q", row)
		}
		if !strings.Contains(row, " 0.90 ") || strings.Contains(row, "candidates") {
			t.Errorf("row %q", row)
		}
	}
	if !strings.Contains(table[3], "1.50000,2.50000") {
		t.Errorf("position of the last read: %q", table[3])
	}

	out.Reset()
	if err := readsCmd(ctx, []string{"-db", path, "--format", "csv"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	csvRows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(csvRows) != 4 || csvRows[0] != "id,captured_at,camera,plate,confidence,region,lat,lon,fix_time,frames,has_crop,final" ||
		!strings.Contains(csvRows[3], ",NEW3,0.90,,1.5,2.5,") {
		t.Fatalf("csv:\n%s", out.String())
	}
}

func TestReadsCmdErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "reads: --db or --config is required"},
		{[]string{"--db", missing, "--format", "xml"}, `reads: --format "xml": must be table, jsonl, tsv or csv`},
		{[]string{"--db", missing, "--since", "yesterday"}, `reads: --since: "yesterday" is neither an RFC 3339 time`},
		{[]string{"--db", missing}, "no such file or directory"},
		{[]string{"--db", missing, "extra"}, `reads: unexpected argument "extra"`},
	} {
		var out, errOut bytes.Buffer
		err := readsCmd(context.Background(), tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("reads %q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// reads finds the database through the config's store.path (and --set).
func TestReadsCmdFromConfig(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "reads.db")
	st, err := store.Open(db, config.Defaults().Store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := read.Record{CapturedAt: time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC), Camera: "front", Plate: "ABC1234", Confidence: 0.9}
	if _, err := st.Insert(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out, errb bytes.Buffer
	if err := readsCmd(context.Background(), []string{"--set", "store.path=" + db, "--format", "tsv"}, &out, &errb); err != nil {
		t.Fatalf("reads --set store.path: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "ABC1234") {
		t.Errorf("reads --set store.path printed:\n%s", out.String())
	}
}
