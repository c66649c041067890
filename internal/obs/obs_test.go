package obs

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

func TestServerMetricsAndHealth(t *testing.T) {
	reg := NewRegistry()
	promauto.With(reg).NewCounter(prometheus.CounterOpts{Name: "edge_test_total", Help: "test"}).Add(3)
	var health Health
	broken := errors.New("camera front: no frame for 12s")
	var fail, storeFail error
	health.AddInput("camera front", func() error { return fail })
	health.Add("store", func() error { return storeFail })
	srv, err := Listen("127.0.0.1:0", reg, &health, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	body, code := get(t, "http://"+srv.addr()+"/metrics")
	if code != 200 || !strings.Contains(body, "edge_test_total 3") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	if body, code = get(t, "http://"+srv.addr()+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz healthy: %d %s", code, body)
	}
	fail = broken
	if body, code = get(t, "http://"+srv.addr()+"/healthz"); code != 503 || !strings.Contains(body, `"status":"degraded"`) ||
		!strings.Contains(body, "no frame for 12s") {
		t.Errorf("/healthz with a camera down: %d %s", code, body)
	}
	storeFail = errors.New("store folder is not writable")
	if body, code = get(t, "http://"+srv.addr()+"/healthz"); code != 503 || !strings.Contains(body, `"status":"unhealthy"`) ||
		!strings.Contains(body, "no frame for 12s") || !strings.Contains(body, "not writable") {
		t.Errorf("/healthz with a camera and the store down: %d %s", code, body)
	}
	if _, code = get(t, "http://"+srv.addr()+"/debug/pprof/"); code != 404 {
		t.Errorf("pprof served without being enabled: %d", code)
	}
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v", in, got)
		}
	}
}

// TestServerTimeoutsAndPprof: every connection has read, write and idle
// timeouts; pprof is refused on an address other than loopback.
func TestServerTimeoutsAndPprof(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), &Health{}, true, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if s := srv.srv; s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 {
		t.Errorf("timeouts: read header %v, read %v, write %v, idle %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
	if _, err := Listen("0.0.0.0:0", prometheus.NewRegistry(), &Health{}, true, log); err == nil ||
		err.Error() != `pprof is served on a loopback address only, not "0.0.0.0:0"` {
		t.Errorf("pprof on 0.0.0.0: %v", err)
	}
}
