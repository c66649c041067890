package uplink

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// TestMain installs paho's loggers before any test makes a client, as main
// does: paho reads its logger globals without a lock, and SetPahoLogger
// assigns them on its first call.
func TestMain(m *testing.M) {
	SetPahoLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// TestConnectsAndOutagesLogNoRoutineWarnings runs the publisher against a
// real Mosquitto through two connections and an outage: paho's routine
// chatter (store wiped at each connect, acks not found, Disconnect of a lost
// connection, failed dials) is at DEBUG, no paho line is at WARN or above,
// and the publisher warns once per new cause (the connection lost, then the
// broker refusing), not at every retry.
func TestConnectsAndOutagesLogNoRoutineWarnings(t *testing.T) {
	integration(t)
	logs := &records{}
	SetPahoLogger(slog.New(logs))
	t.Cleanup(func() { SetPahoLogger(slog.New(slog.DiscardHandler)) })
	b := brokertest.Start(t, brokertest.Options{})
	sub := brokertest.Subscribe(t, b.URL(), topic, nil)
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	p, err := New(testConfig(b.URL()), ob, slog.New(logs), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		enqueue(t, ob, brokertest.Sample(i, 50))
	}
	start(t, p)
	checkArrivals(t, sub, ids(0, 10), 30*time.Second)
	b.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(p.m.connectFailures) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	b.Start()
	for i := 10; i < 20; i++ {
		enqueue(t, ob, brokertest.Sample(i, 50))
	}
	checkArrivals(t, sub, ids(0, 20), 30*time.Second)
	waitDrained(t, p, 10*time.Second)

	var wiped, retries, warned int
	for _, r := range logs.all() {
		detail := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "detail" {
				detail = a.Value.String()
			}
			return true
		})
		switch {
		case r.Message == "mqtt client" && strings.Contains(detail, "invalid message type (*packets.PublishPacket) in store"):
			// The test's subscriber (brokertest, a paho client with a
			// persistent session, which shares paho's loggers in this
			// process) found a message it was handed before the broker
			// stopped. The uplink subscribes to nothing: no PUBLISH ever
			// comes into its store.
		case r.Message == "mqtt client" && r.Level >= slog.LevelWarn:
			t.Errorf("paho logged at %s: %s", r.Level, detail)
		case r.Message == "mqtt client" && strings.Contains(detail, "memorystore wiped"):
			wiped++
		case r.Message == "uplink interrupted; will retry":
			retries++
			if r.Level >= slog.LevelWarn {
				warned++
			}
		}
	}
	if wiped < 2 {
		t.Errorf("paho's store wiped %d times at DEBUG, want one per connect (2 or more): the routing is not seen", wiped)
	}
	if retries < 5 || warned != 2 {
		t.Errorf("%d retries logged, %d at WARN; want 5 or more, 2 at WARN (connection lost, broker refusing)", retries, warned)
	}
}
