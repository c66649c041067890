package uplink

import (
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

const topic = "alpr/improvement/samples"

func integration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs mosquitto; runs without -short")
	}
	brokertest.Binary(t) // fails with the install command when missing
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, brokertest.SampleID(i))
	}
	return out
}

// checkArrivals fails unless every id of want arrived and every message
// carries an id of want or extra (a duplicate repeats one seen before).
func checkArrivals(t *testing.T, sub *brokertest.Subscriber, want []string, d time.Duration, extra ...string) {
	t.Helper()
	if missing := sub.WaitFor(want, d); missing != nil {
		t.Fatalf("%d of %d samples never arrived, first %s", len(missing), len(want), missing[0])
	}
	counts, total, bad := sub.Counts()
	known := make(map[string]bool, len(want))
	for _, id := range append(want, extra...) {
		known[id] = true
	}
	for id := range counts {
		if !known[id] {
			t.Errorf("received id %s that was never enqueued", id)
		}
	}
	if bad != 0 {
		t.Errorf("%d messages without a sample_id", bad)
	}
	t.Logf("%d samples, %d messages, %d duplicates", len(want), total, total-len(want))
}

// (a) The broker is down when the agent starts and comes up later.
func TestBrokerDownAtStartIntegration(t *testing.T) {
	integration(t)
	b := brokertest.Start(t, brokertest.Options{})
	sub := brokertest.Subscribe(t, b.URL(), topic, nil)
	b.Stop()

	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	p, err := New(testConfig(b.URL()), ob, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		enqueue(t, ob, brokertest.Sample(i, 500))
	}
	start(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(p.m.connectFailures) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	if s, _ := ob.Stats(); s.Depth != 300 {
		t.Fatalf("depth %d while the broker is down, want 300", s.Depth)
	}
	b.Start()
	checkArrivals(t, sub, ids(0, 300), 30*time.Second)
	waitDrained(t, p, 10*time.Second)
}

// (b) The broker restarts 20 times during a stream.
func TestBrokerRestartsIntegration(t *testing.T) {
	integration(t)
	b := brokertest.Start(t, brokertest.Options{})
	sub := brokertest.Subscribe(t, b.URL(), topic, nil)
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{MaxAttempts: 10})
	p, err := New(testConfig(b.URL()), ob, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	stop := make(chan struct{})
	produced := make(chan int)
	go func() { // a stream that lasts as long as the restarts
		i := 0
		defer func() { produced <- i }()
		for ; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := ob.Enqueue(brokertest.Sample(i, 300)); err != nil {
				t.Error(err)
				return
			}
			if i%5 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for range 20 {
		time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
		b.Restart()
	}
	close(stop)
	n := <-produced
	checkArrivals(t, sub, ids(0, n), 60*time.Second)
	waitDrained(t, p, 10*time.Second)
	if s, _ := ob.Stats(); s.QuarantinedTotal != 0 {
		t.Fatalf("%d entries quarantined by broker restarts", s.QuarantinedTotal)
	}
	t.Logf("published %v, acked %v, retries %v, connects %v", testutil.ToFloat64(p.m.published),
		testutil.ToFloat64(p.m.acked), testutil.ToFloat64(p.m.retries), testutil.ToFloat64(p.m.connectAttempts))
}

// (d) TLS with a pinned CA and a client certificate made at test time.
func TestTLSIntegration(t *testing.T) {
	integration(t)
	dir := t.TempDir()
	good := makePKI(t, dir, "good")
	other := makePKI(t, dir, "other")
	b := brokertest.Start(t, brokertest.Options{TLS: &brokertest.TLSFiles{CAFile: good.CA, CertFile: good.ServerCert, KeyFile: good.ServerKey}})
	sub := brokertest.Subscribe(t, b.URL(), topic, nil)

	cfg := testConfig(b.TLSURL())
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = good.CA, good.ClientCert, good.ClientKey
	ob := openTest(t, filepath.Join(dir, "o.db"), OutboxOptions{})
	p, err := New(cfg, ob, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		enqueue(t, ob, brokertest.Sample(i, 100))
	}
	start(t, p)
	checkArrivals(t, sub, ids(0, 50), 20*time.Second)

	for _, tc := range []struct {
		name, want string
		edit       func(c *tlsFields)
	}{
		{"no client certificate", "", func(c *tlsFields) { c.cert, c.key = "", "" }},
		{"broker not signed by the pinned CA", "does not chain to 'uplink.ca_file'", func(c *tlsFields) { c.ca = other.CA }},
		{"client certificate of another CA", "", func(c *tlsFields) { c.cert, c.key = other.ClientCert, other.ClientKey }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tlsFields{good.CA, good.ClientCert, good.ClientKey}
			tc.edit(&f)
			c := cfg
			c.CAFile, c.CertFile, c.KeyFile = f.ca, f.cert, f.key
			ob2 := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
			p2, err := New(c, ob2, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			failures := 0
			err = p2.connection(t.Context(), &failures)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("connection: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

type tlsFields struct{ ca, cert, key string }

// (e) Wrong credentials: a clear error, backoff, no busy loop; the file is
// read at every attempt, so correcting it is enough.
func TestWrongCredentialsIntegration(t *testing.T) {
	integration(t)
	b := brokertest.Start(t, brokertest.Options{Users: map[string]string{"edge": "right-pass"}})
	creds := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(creds, []byte("edge\nwrong-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	enqueue(t, ob, brokertest.Sample(1, 10))
	cfg := testConfig(b.URL())
	cfg.CredentialsFile = creds
	logs := &records{}
	p, err := New(cfg, ob, slog.New(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(p.m.connectFailures) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	text := logs.text()
	if !strings.Contains(text, "uplink.credentials_file") {
		t.Fatalf("no clear error in the logs:\n%s", text)
	}
	if strings.Contains(text, "wrong-pass") {
		t.Fatal("the password appears in the logs")
	}
	assertBackoff(t, logs.times("uplink interrupted; will retry"), cfg)

	if err := os.WriteFile(creds, []byte("edge\nright-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, p, 10*time.Second)
}

func (h *records) times(msg string) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, r := range h.r {
		if r.Message == msg {
			out = append(out, r.Time)
		}
	}
	return out
}
