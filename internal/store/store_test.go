package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// testCfg is the configuration defaults of store.*.
func testCfg() config.Store {
	return config.Store{
		Retention:    720 * time.Hour,
		MaxBytes:     1 << 30,
		MinFreeBytes: 0,
		CropQuality:  90,
	}
}

// testLog routes the store's logs to t.Log.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func openTest(t testing.TB, path string, cfg config.Store) (*Store, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := Open(path, cfg, testLog(t), reg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, reg
}

// sampleRecord is a record with every field set.
func sampleRecord(at time.Time, crop int) read.Record {
	c := bytes.Repeat([]byte{0xff, 0xd8, 0x42}, crop/3+1)[:crop]
	return read.Record{
		CapturedAt: at,
		Camera:     "front",
		Plate:      "ABC1234",
		Confidence: 0.93,
		CharConfs:  []float64{0.9, 0.95, 0.99, 0.8, 0.97, 0.96, 0.91},
		Region:     "us",
		Box:        image.Rect(100, 200, 260, 250),
		Candidates: []read.Candidate{{Text: "ABC1234", Confidence: 0.93}, {Text: "A8C1234", Confidence: 0.41}},
		Fix: &read.Fix{Position: read.Position{Lat: 52.520008, Lon: -13.404954},
			Time: at.Add(-300 * time.Millisecond)},
		Frames:  7,
		Crop:    c,
		CropBox: image.Rect(16, 5, 176, 55),
		Frame:   []byte("full frame jpeg"),
	}
}

func TestRoundTripEveryField(t *testing.T) {
	ctx := context.Background()
	cfg := testCfg()
	cfg.SaveFullFrame = true
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), cfg)

	at := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	want := sampleRecord(at, 20000)
	id, err := s.Insert(ctx, &want)
	if err != nil {
		t.Fatal(err)
	}
	if id <= 0 || want.ID != id {
		t.Fatalf("Insert returned id %d and set rec.ID %d", id, want.ID)
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Get returned\n%+v\nwant\n%+v", got, want)
	}

	// A read without fix, char confidences, candidates or crop, captured in
	// another zone, comes back with nil fields and its instant kept.
	bare := read.Record{CapturedAt: at.In(time.FixedZone("CET", 3600)).Add(time.Second), Camera: "rear", Plate: "X1"}
	if _, err := s.Insert(ctx, &bare); err != nil {
		t.Fatal(err)
	}
	var all []read.Record
	if err := s.Query(ctx, time.Time{}, func(r read.Record) error { all = append(all, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || !reflect.DeepEqual(all[0], want) {
		t.Fatalf("Query returned %d reads, first %+v", len(all), all[0])
	}
	b := all[1]
	if !b.CapturedAt.Equal(bare.CapturedAt) || b.Fix != nil || b.Crop != nil || b.Frame != nil || b.CharConfs != nil || b.Candidates != nil {
		t.Fatalf("bare read came back as %+v", b)
	}
}

func TestFullFrameOnlyWhenConfigured(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg()) // save_full_frame off
	rec := sampleRecord(time.Now(), 100)
	if _, err := s.Insert(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Frame != nil || !bytes.Equal(got.Crop, rec.Crop) {
		t.Fatalf("frame %d bytes, crop %d bytes; want no frame and the crop", len(got.Frame), len(got.Crop))
	}
}

func TestQuerySinceOldestFirstAndStop(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// Inserted out of capture order, as two cameras may deliver them.
	for _, min := range []int{3, 1, 4, 2, 0} {
		rec := sampleRecord(base.Add(time.Duration(min)*time.Minute), 10)
		if _, err := s.Insert(ctx, &rec); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Time
	err := s.Query(ctx, base.Add(2*time.Minute), func(r read.Record) error {
		got = append(got, r.CapturedAt)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{base.Add(2 * time.Minute), base.Add(3 * time.Minute), base.Add(4 * time.Minute)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Query since +2m returned %v, want %v", got, want)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Query(ctx, time.Time{}, func(read.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Query with failing fn: err %v after %d calls", err, n)
	}
	if _, err := s.Get(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(999) = %v, want ErrNotFound", err)
	}
}

func TestFilesAreMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sub")
	path := filepath.Join(dir, "reads.db")
	s, _ := openTest(t, path, testCfg())
	rec := sampleRecord(time.Now(), 10)
	if _, err := s.Insert(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("created folder has mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestWidenedModeIsTightenedOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	s, _ := openTest(t, path, testCfg())
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, testCfg())
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after reopen %v, want 0600", fi.Mode().Perm())
	}
}

func pragmaInt(t *testing.T, path, pragma string) int {
	t.Helper()
	var v int
	pragmaScan(t, path, pragma, &v)
	return v
}

func pragmaString(t *testing.T, path, pragma string) string {
	t.Helper()
	var v string
	pragmaScan(t, path, pragma, &v)
	return v
}

// pragmaScan reads a pragma through a connection of its own.
func pragmaScan(t *testing.T, path, pragma string, v any) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("PRAGMA " + pragma).Scan(v); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationFromEmptyFileAndIdempotentReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	s, _ := openTest(t, path, testCfg())
	rec := sampleRecord(time.Now(), 10)
	if _, err := s.Insert(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v := pragmaInt(t, path, "user_version"); v != len(migrations) {
		t.Fatalf("user_version %d, want %d", v, len(migrations))
	}
	if v := pragmaInt(t, path, "auto_vacuum"); v != 2 {
		t.Fatalf("auto_vacuum %d, want 2 (incremental)", v)
	}
	if m := pragmaString(t, path, "journal_mode"); m != "wal" {
		t.Fatalf("journal_mode %q, want wal", m)
	}
	for i := 0; i < 2; i++ {
		s2, _ := openTest(t, path, testCfg())
		if n, err := s2.Count(context.Background()); err != nil || n != 1 {
			t.Fatalf("reopen %d: %d reads, %v", i, n, err)
		}
		s2.Close()
	}
	if m, _ := filepath.Glob(path + ".v*.bak"); len(m) != 0 {
		t.Fatalf("reopening an up-to-date database made backups %v", m)
	}
}

func TestFailedInsertIsCounted(t *testing.T) {
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	rec := read.Record{Camera: "front", Plate: "X"} // no capture time
	if _, err := s.Insert(context.Background(), &rec); err == nil || !strings.Contains(err.Error(), "no capture time") {
		t.Fatalf("Insert without capture time: %v", err)
	}
	if rec.ID != 0 {
		t.Fatalf("failed Insert set ID %d", rec.ID)
	}
	s.Close()
	rec.CapturedAt = time.Now()
	if _, err := s.Insert(context.Background(), &rec); err == nil {
		t.Fatal("Insert into a closed store succeeded")
	}
	if v := metricValue(t, reg, "edge_store_write_errors_total"); v != 2 {
		t.Fatalf("edge_store_write_errors_total = %v, want 2", v)
	}
	if v := metricValue(t, reg, "edge_reads_stored_total"); v != 0 {
		t.Fatalf("edge_reads_stored_total = %v, want 0", v)
	}
}
