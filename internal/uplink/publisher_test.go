package uplink

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/config"
)

// testConfig is the default configuration with short timings.
func testConfig(broker string) config.Uplink {
	c := config.Defaults().Uplink
	c.Enabled = true
	c.Broker = broker
	c.BackoffMin = 20 * time.Millisecond
	c.BackoffMax = 160 * time.Millisecond
	c.AckTimeout = 300 * time.Millisecond
	c.ConnectTimeout = 2 * time.Second
	return c
}

// records collects log records for assertions.
type records struct {
	mu sync.Mutex
	r  []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.r = append(h.r, r.Clone())
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

func (h *records) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.r...)
}

func (h *records) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, r := range h.r {
		b.WriteString(r.Level.String() + " " + r.Message)
		r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
		b.WriteString("\n")
	}
	return b.String()
}

// start runs p until the test ends.
func start(t *testing.T, p *Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitDrained(t *testing.T, p *Publisher, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := p.WaitDrained(ctx); err != nil {
		s, _ := p.queues[0].Stats()
		t.Fatalf("outbox not drained: %v (%+v)", err, s)
	}
}

func enqueue(t *testing.T, ob *Outbox, payloads ...[]byte) {
	t.Helper()
	for _, p := range payloads {
		if err := ob.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPublisherDeliversInOrder(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	reg := prometheus.NewRegistry()
	p, err := New(testConfig(fb.url()), ob, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for i := range 100 {
		want = append(want, brokertest.Sample(i, 50))
	}
	enqueue(t, ob, want...)
	start(t, p)
	waitDrained(t, p, 10*time.Second)
	if got := fb.ackedPayloads(); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("broker got %d payloads, not the 100 enqueued in order", len(got))
	}
	for _, id := range fb.clientID {
		if len(id) != 22 || !strings.HasPrefix(id, "ea") {
			t.Errorf("client id %q", id)
		}
	}
	want100 := `
# HELP edge_uplink_acked_total Entries acknowledged by the broker (PUBACK) and removed from the outbox.
# TYPE edge_uplink_acked_total counter
edge_uplink_acked_total 100
# HELP edge_uplink_outbox_entries Entries queued in the outbox.
# TYPE edge_uplink_outbox_entries gauge
edge_uplink_outbox_entries 0
# HELP edge_uplink_published_total PUBLISH packets sent, resends included.
# TYPE edge_uplink_published_total counter
edge_uplink_published_total 100
# HELP edge_uplink_retries_total Failed publish attempts (no PUBACK in time or connection lost), each charged to the oldest unacknowledged entry.
# TYPE edge_uplink_retries_total counter
edge_uplink_retries_total 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want100), "edge_uplink_acked_total",
		"edge_uplink_outbox_entries", "edge_uplink_published_total", "edge_uplink_retries_total"); err != nil {
		t.Fatal(err)
	}
}

// A message that makes the broker drop the connection is charged each time
// and quarantined after max_attempts; the others get through.
func TestPublisherQuarantinesPoison(t *testing.T) {
	poison := []byte(`{"sample_id":"poison"}`)
	fb := newFakeBroker(t, func(p []byte) action {
		if bytes.Equal(p, poison) {
			return hangUp
		}
		return ack
	})
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{MaxAttempts: 3})
	cfg := testConfig(fb.url())
	reg := prometheus.NewRegistry()
	p, err := New(cfg, ob, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	good := [][]byte{brokertest.Sample(1, 0), brokertest.Sample(2, 0), brokertest.Sample(3, 0), brokertest.Sample(4, 0)}
	enqueue(t, ob, good[0], good[1], poison, good[2], good[3])
	start(t, p)
	waitDrained(t, p, 10*time.Second)
	acked := fb.ackedPayloads()
	for _, g := range good {
		if !slices.ContainsFunc(acked, func(a []byte) bool { return bytes.Equal(a, g) }) {
			t.Errorf("%s never acknowledged", g)
		}
	}
	s, _ := ob.Stats()
	if s.Quarantined != 1 || s.QuarantinedTotal != 1 {
		t.Fatalf("stats %+v, want the poison entry in quarantine", s)
	}
	// At least max_attempts: when the broker hangs up, the kernel may drop
	// the PUBACK of the entry before the poison too (RST), charging it once.
	if r := testutil.ToFloat64(p.m.retries); r < 3 {
		t.Fatalf("retries %v, want ≥ 3 (max_attempts)", r)
	}
	var q []byte
	if err := ob.f.conn.QueryRowContext(t.Context(), `SELECT payload FROM quarantine`).Scan(&q); err != nil || !bytes.Equal(q, poison) {
		t.Fatalf("quarantined %q %v", q, err)
	}
}

// A PUBACK that never comes is a failed attempt after ack_timeout.
func TestPublisherAckTimeout(t *testing.T) {
	slow := []byte(`{"sample_id":"never-acked"}`)
	fb := newFakeBroker(t, func(p []byte) action {
		if bytes.Equal(p, slow) {
			return ignore
		}
		return ack
	})
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{MaxAttempts: 2})
	cfg := testConfig(fb.url())
	cfg.AckTimeout = 100 * time.Millisecond
	logs := &records{}
	p, err := New(cfg, ob, slog.New(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, ob, slow, brokertest.Sample(1, 0))
	start(t, p)
	waitDrained(t, p, 10*time.Second)
	if r := testutil.ToFloat64(p.m.retries); r != 2 {
		t.Fatalf("retries %v, want 2", r)
	}
	if s, _ := ob.Stats(); s.Quarantined != 1 {
		t.Fatalf("stats %+v", s)
	}
	// The quarantine empties the outbox before it is logged.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.text(), "entry quarantined") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	if !strings.Contains(logs.text(), "no PUBACK within 100ms") || !strings.Contains(logs.text(), "entry quarantined") {
		t.Fatalf("logs:\n%s", logs.text())
	}
}

// Nothing is published while the gate is closed; entries wait, and go out
// once it opens.
func TestPublisherGate(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	var open atomic.Bool
	checked := make(chan struct{}, 100)
	gate := func() (bool, error) {
		select {
		case checked <- struct{}{}:
		default:
		}
		return open.Load(), nil
	}
	p, err := New(testConfig(fb.url()), ob, nil, nil, WithGate(gate), withPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, ob, brokertest.Sample(1, 0), brokertest.Sample(2, 0))
	start(t, p)
	for range 5 {
		<-checked
	}
	if n := len(fb.ackedPayloads()); n != 0 || testutil.ToFloat64(p.m.published) != 0 {
		t.Fatalf("%d published with the gate closed", n)
	}
	open.Store(true)
	waitDrained(t, p, 10*time.Second)
	if n := len(fb.ackedPayloads()); n != 2 {
		t.Fatalf("%d delivered, want 2", n)
	}
}

// A gate that closes while the publisher waits for bandwidth (a withdrawal
// committed meanwhile) stops the entry it was waiting for: the gate is read
// after the wait, right before the entry is handed to the client.
func TestPublisherGateReadAfterBandwidthWait(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	cfg := testConfig(fb.url())
	cfg.BandwidthLimit = 1 // byte/s: every entry waits for bandwidth
	var open atomic.Bool
	open.Store(true)
	closedSeen := make(chan struct{}, 100)
	gate := func() (bool, error) {
		if !open.Load() {
			select {
			case closedSeen <- struct{}{}:
			default:
			}
		}
		return open.Load(), nil
	}
	p, err := New(cfg, ob, nil, nil, WithGate(gate), withPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	p.limiter.sleep = func(context.Context, time.Duration) bool {
		open.Store(false) // the withdrawal lands during the wait
		return true
	}
	enqueue(t, ob, brokertest.Sample(1, 0), brokertest.Sample(2, 0))
	start(t, p)
	<-closedSeen // the publisher read the closed gate after its wait
	if n := testutil.ToFloat64(p.m.published); n != 0 {
		t.Fatalf("%v entries handed to the client after the gate closed during the wait for bandwidth", n)
	}
}

// A gate that cannot tell (its state cannot be read) is closed, and the
// pause says why.
func TestPublisherGateErrorIsClosed(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	var logs records
	asked := make(chan struct{}, 100)
	gate := func() (bool, error) {
		select {
		case asked <- struct{}{}:
		default:
		}
		return true, errors.New("consent record unreadable")
	}
	p, err := New(testConfig(fb.url()), ob, slog.New(&logs), nil, WithGate(gate), withPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, ob, brokertest.Sample(1, 0))
	start(t, p)
	for range 3 {
		<-asked
	}
	if n := testutil.ToFloat64(p.m.published); n != 0 {
		t.Fatalf("%v published while the gate could not be read", n)
	}
	if !strings.Contains(logs.text(), "sending paused reason=gate closed: consent record unreadable") {
		t.Errorf("logs:\n%s", logs.text())
	}
}

func TestPublisherRequireInterface(t *testing.T) {
	if !interfaceUp("lo") || interfaceUp("edgeagent-no0") {
		t.Fatal("interfaceUp: lo must be up, a missing interface down")
	}
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	cfg := testConfig(fb.url())
	cfg.RequireInterface = "edgeagent-no0"
	p, err := New(cfg, ob, nil, nil, withPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	checked := make(chan string, 100)
	var up atomic.Bool
	p.ifaceUp = func(name string) bool {
		select {
		case checked <- name:
		default:
		}
		return up.Load() && interfaceUp("lo")
	}
	enqueue(t, ob, brokertest.Sample(1, 0))
	start(t, p)
	for range 5 {
		if name := <-checked; name != "edgeagent-no0" {
			t.Fatalf("checked %q", name)
		}
	}
	if len(fb.connectTimes()) != 0 {
		t.Fatal("connected while the required interface was down")
	}
	up.Store(true)
	waitDrained(t, p, 10*time.Second)
}

// Refused credentials give a clear error and a growing delay between
// attempts, never a busy loop.
func TestPublisherBadCredentialsBacksOff(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	fb.refuse.Store(true)
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	enqueue(t, ob, brokertest.Sample(1, 0))
	logs := &records{}
	cfg := testConfig(fb.url())
	p, err := New(cfg, ob, slog.New(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for len(fb.connectTimes()) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	assertBackoff(t, fb.connectTimes(), cfg)
	if !strings.Contains(logs.text(), "bad user name or password: the broker refused the credentials of 'uplink.credentials_file'") {
		t.Fatalf("logs:\n%s", logs.text())
	}
}

// assertBackoff checks that attempt i+1 came no sooner than the smallest
// jittered delay after attempt i.
func assertBackoff(t *testing.T, at []time.Time, cfg config.Uplink) {
	t.Helper()
	if len(at) < 6 {
		t.Fatalf("%d connection attempts, want 6", len(at))
	}
	for i := 1; i < len(at); i++ {
		lo := min(cfg.BackoffMin<<(i-1), cfg.BackoffMax) / 2 // retry's least delay: half the step
		if gap := at[i].Sub(at[i-1]); gap < lo {
			t.Errorf("attempt %d came %v after the previous one, want ≥ %v", i+1, gap, lo)
		}
	}
}
