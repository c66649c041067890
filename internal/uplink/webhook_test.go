package uplink

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/config"
)

// webhookServer is an HTTPS server that answers 503 to the first `down`
// POSTs, 400 to the poison payload, 401 without the token, and 200
// otherwise, recording what it took.
type webhookServer struct {
	*httptest.Server
	caFile string

	mu    sync.Mutex
	down  int
	taken [][]byte
	seen  int
}

func newWebhookServer(t *testing.T, token string, down int, poison []byte) *webhookServer {
	t.Helper()
	ws := &webhookServer{down: down}
	ws.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ws.mu.Lock()
		defer ws.mu.Unlock()
		ws.seen++
		switch {
		case r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("Content-Type") != "application/json":
			w.WriteHeader(http.StatusUnauthorized)
		case ws.down > 0:
			ws.down--
			w.WriteHeader(http.StatusServiceUnavailable)
		case bytes.Equal(body, poison):
			w.WriteHeader(http.StatusBadRequest)
		default:
			ws.taken = append(ws.taken, body)
		}
	}))
	t.Cleanup(ws.Close)
	ws.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ws.Certificate().Raw})
	if err := os.WriteFile(ws.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return ws
}

func (ws *webhookServer) got() [][]byte {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([][]byte(nil), ws.taken...)
}

// The poster delivers every entry once the server is up, alerts first,
// with the token and the pinned CA; a payload the server refuses is
// charged and quarantined, the rest gets through.
func TestPosterDeliversThroughOutage(t *testing.T) {
	poison := []byte(`{"n":99}`)
	ws := newWebhookServer(t, "s3cret", 3, poison)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	alerts := openQueue(t, ob, "webhook_alerts", OutboxOptions{MaxAttempts: 2})
	reads := openQueue(t, ob, "webhook_reads", OutboxOptions{MaxAttempts: 2})
	enqueue(t, reads, brokertest.Sample(10, 0), poison, brokertest.Sample(11, 0))
	enqueue(t, alerts, brokertest.Sample(1, 0))
	cfg := config.Webhook{URL: ws.URL + "/hook", TokenFile: tokenFile, CAFile: ws.caFile, Timeout: 2 * time.Second}
	reg := prometheus.NewRegistry()
	p, err := NewPoster(cfg, 10*time.Millisecond, 50*time.Millisecond, []*Outbox{alerts, reads}, "edge_events_webhook", nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := testContext(t, 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	if err := p.WaitDrained(ctx); err != nil {
		t.Fatalf("not drained: %v", err)
	}
	cancel()
	<-done
	got := ns(entriesOf(ws.got()))
	if !equalInts(got, []int{1, 10, 11}) {
		t.Fatalf("server took %v, want [1 10 11] (the alert first, the poison left out)", got)
	}
	if s, _ := reads.Stats(); s.Quarantined != 1 {
		t.Fatalf("reads stats %+v, want the poison quarantined", s)
	}
	if v := testutil.ToFloat64(p.posted.WithLabelValues("failed")); v != 3 {
		t.Errorf("failed posts %v, want 3 (the outage)", v)
	}
	if v := testutil.ToFloat64(p.posted.WithLabelValues("rejected")); v != 2 {
		t.Errorf("rejected posts %v, want 2 (max_attempts of the poison)", v)
	}
}

func TestPosterRefusesPlainHTTP(t *testing.T) {
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	_, err := NewPoster(config.Webhook{URL: "http://fleet.example/hook", Timeout: time.Second}, time.Second, time.Minute,
		[]*Outbox{ob}, "edge_x", nil, nil)
	if err == nil || err.Error() != `'events.webhook.url' must be an https:// URL without credentials, not "http://fleet.example/hook"` {
		t.Fatalf("got %v", err)
	}
}

func entriesOf(payloads [][]byte) []*Entry {
	out := make([]*Entry, len(payloads))
	for i, p := range payloads {
		out[i] = &Entry{Payload: p}
	}
	return out
}

func testContext(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(t.Context(), d)
}
