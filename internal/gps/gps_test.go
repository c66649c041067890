package gps

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

var testCfg = config.GPS{MaxAge: 5 * time.Second}

// testLog routes logs to t.Log.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// gather returns the value of a metric (name and optional label=value), or
// ok=false when it is not exported.
func gather(t *testing.T, reg *prometheus.Registry, name, label, value string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			if have[label] != value {
				continue
			}
			if m.Counter != nil {
				return m.Counter.GetValue(), true
			}
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func TestOpenRejectsBadSources(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "track.nmea")
	for _, tc := range []struct{ source, want string }{
		{"gps0", `'gps.source' "gps0": unknown source; use gpsd://host:port, nmea:PATH[?baud=N], static:LAT,LON or none`},
		{"http://x", `'gps.source' "http://x": unknown source`},
		{"static:52.5", `'gps.source' "static:52.5": want static:LAT,LON in decimal degrees`},
		{"static:91,13", `'gps.source' "static:91,13": latitude "91" must be a number from -90 to 90`},
		{"static:52.5,east", `'gps.source' "static:52.5,east": longitude "east" must be a number from -180 to 180`},
		{"static:NaN,1", `latitude "NaN" must be a number`},
		{"gpsd://", `'gps.source' "gpsd://": want gpsd://host:port`},
		{"gpsd://host:99999", `want gpsd://host:port`},
		{"nmea:", `'gps.source' "nmea:": want nmea:PATH`},
		{"nmea:/dev/ttyUSB0?baud=1234", `baud "1234" must be one of 4800, 9600, 19200`},
		{"nmea:/dev/ttyUSB0?speed=9600", `unknown option "speed=9600"`},
		{"nmea:" + missing, "no such file or directory"},
		{"nmea:" + filepath.Dir(missing), "is a folder, not a device or track file"},
	} {
		_, err := Open(tc.source, testCfg, nil, nil)
		if err == nil {
			t.Errorf("Open(%q) succeeded", tc.source)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %q, want it to contain %q", tc.source, err, tc.want)
		}
	}
}

// run runs src until the end of the test.
func run(t *testing.T, src Source) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// stop runs src and ends it at once: Run returns, with nil.
func stop(t *testing.T, src Source) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestStaticAndNone(t *testing.T) {
	reg := prometheus.NewRegistry()
	src, err := Open("static:-33.8688, 151.2093", testCfg, testLog(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f := src.Nearest(at)
	if f == nil || f.Lat != -33.8688 || f.Lon != 151.2093 || !f.Time.Equal(at) {
		t.Fatalf("static Nearest = %+v", f)
	}
	if v, ok := gather(t, reg, "edge_gps_fix_age_seconds", "", ""); !ok || v != 0 {
		t.Fatalf("static fix age %v (exported %v), want 0", v, ok)
	}
	none, err := Open("none", testCfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := none.Nearest(at); f != nil {
		t.Fatalf("none gave a fix %+v", f)
	}
}

func TestHistoryNearestAndBound(t *testing.T) {
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	h := &history{limit: 4}
	// Out of order, as RMC and GGA of neighbouring seconds may arrive.
	for _, s := range []int{0, 2, 1, 4, 3} {
		h.add(read.Fix{Position: read.Position{Lat: float64(s)}, Time: base.Add(time.Duration(s) * time.Second)})
	}
	if h.len() != 4 {
		t.Fatalf("history holds %d fixes, limit 4", h.len())
	}
	for _, tc := range []struct {
		at   time.Duration
		want float64 // Lat of the fix, -1 for none
	}{
		{1400 * time.Millisecond, 1},
		{1600 * time.Millisecond, 2},
		{4 * time.Second, 4},
		{6 * time.Second, 4},  // 2 s after the newest, within max age 2 s
		{7 * time.Second, -1}, // too far from any fix
		{0, -1},               // the oldest fix was dropped; the next is 1 s away, but max age is 0.5 s below
	} {
		maxAge := 2 * time.Second
		if tc.at == 0 {
			maxAge = 500 * time.Millisecond
		}
		f := h.nearest(base.Add(tc.at), maxAge)
		switch {
		case tc.want < 0 && f != nil:
			t.Errorf("nearest(+%v) = %+v, want none", tc.at, f)
		case tc.want >= 0 && (f == nil || f.Lat != tc.want):
			t.Errorf("nearest(+%v) = %+v, want lat %v", tc.at, f, tc.want)
		}
	}
	// Same time: replaced, not duplicated.
	h.add(read.Fix{Position: read.Position{Lat: 44}, Time: base.Add(4 * time.Second)})
	if f := h.nearest(base.Add(4*time.Second), 0); h.len() != 4 || f == nil || f.Lat != 44 {
		t.Fatalf("fix of the same time not replaced: %+v, %d fixes", f, h.len())
	}
	if d, ok := h.age(base.Add(10 * time.Second)); !ok || d != 6*time.Second {
		t.Fatalf("age = %v, %v; want 6s", d, ok)
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
