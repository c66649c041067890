package uplink

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/config"
)

// openQueue opens the named queue of ob's file until the test ends.
func openQueue(t *testing.T, ob *Outbox, name string, opts OutboxOptions) *Outbox {
	t.Helper()
	q, err := ob.Queue(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// The queues of one file are apart: each has its own entries and caps, and
// a purge of the samples' queue (a withdrawal) leaves the others whole.
func TestQueuesAreApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	samples := openTest(t, path, OutboxOptions{MaxEntries: 2})
	events := openQueue(t, samples, "reads", OutboxOptions{MaxEntries: 3})
	enqueue(t, samples, brokertest.Sample(1, 0), brokertest.Sample(2, 0), brokertest.Sample(3, 0))
	enqueue(t, events, brokertest.Sample(10, 0), brokertest.Sample(11, 0), brokertest.Sample(12, 0), brokertest.Sample(13, 0))
	if got := ns(peekAll(t, samples)); !equalInts(got, []int{2, 3}) {
		t.Fatalf("samples %v, want [2 3] (cap 2)", got)
	}
	if got := ns(peekAll(t, events)); !equalInts(got, []int{11, 12, 13}) {
		t.Fatalf("events %v, want [11 12 13] (cap 3)", got)
	}
	if n, err := samples.Purge(); err != nil || n != 2 {
		t.Fatalf("purge: %d %v, want 2", n, err)
	}
	if got := ns(peekAll(t, events)); !equalInts(got, []int{11, 12, 13}) {
		t.Fatalf("events after the samples' purge %v, want [11 12 13]", got)
	}
	if s, _ := events.Stats(); s.Depth != 3 || s.Dropped != 1 {
		t.Fatalf("events stats %+v, want depth 3, 1 dropped", s)
	}
	if names, err := samples.Queues(); err != nil || len(names) != 1 || names[0] != "reads" {
		t.Fatalf("queues %v %v, want [reads]", names, err)
	}
	if _, err := samples.Queue("Reads;", OutboxOptions{}); err == nil {
		t.Fatal("a queue name that is no identifier was taken")
	}
}

// Commit puts entries in several queues and moves a cursor in one
// transaction: after a reopen both are there, or (a failed commit) neither.
func TestCommitMovesCursorWithEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	ob := openTest(t, path, OutboxOptions{})
	a := openQueue(t, ob, "alerts", OutboxOptions{})
	r := openQueue(t, ob, "reads", OutboxOptions{MaxBytes: 1024})
	if _, ok, err := ob.Cursor("reads"); err != nil || ok {
		t.Fatalf("fresh cursor: set %v, %v", ok, err)
	}
	err := ob.Commit("reads", 7, []Put{{a, brokertest.Sample(1, 0)}, {r, brokertest.Sample(2, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	// A payload over the byte cap fails the whole commit: no entry, no move.
	err = ob.Commit("reads", 9, []Put{{a, brokertest.Sample(3, 0)}, {r, bytes.Repeat([]byte("x"), 2048)}})
	if err == nil {
		t.Fatal("a payload over the cap was taken")
	}
	ob.Close()
	a.Close()
	r.Close()

	ob = openTest(t, path, OutboxOptions{})
	a = openQueue(t, ob, "alerts", OutboxOptions{})
	r = openQueue(t, ob, "reads", OutboxOptions{})
	if v, ok, err := ob.Cursor("reads"); err != nil || !ok || v != 7 {
		t.Fatalf("cursor %d (set %v) %v, want 7", v, ok, err)
	}
	if got := ns(peekAll(t, a)); !equalInts(got, []int{1}) {
		t.Fatalf("alerts %v, want [1]", got)
	}
	if got := ns(peekAll(t, r)); !equalInts(got, []int{2}) {
		t.Fatalf("reads %v, want [2]", got)
	}
	other := openTest(t, filepath.Join(t.TempDir(), "other.db"), OutboxOptions{})
	if err := ob.Commit("", 0, []Put{{other, brokertest.Sample(4, 0)}}); err == nil {
		t.Fatal("a queue of another file was taken")
	}
}

// A publisher with two routes sends the first route's entries ahead of any
// queued in the second, and keeps each queue's order.
func TestPublisherRoutesInPriority(t *testing.T) {
	fb := newFakeBroker(t, func([]byte) action { return ack })
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	alerts := openQueue(t, ob, "alerts", OutboxOptions{})
	reads := openQueue(t, ob, "reads", OutboxOptions{})
	var plain [][]byte
	for i := range 2 * window {
		plain = append(plain, brokertest.Sample(100+i, 0))
	}
	enqueue(t, reads, plain...)
	enqueue(t, alerts, brokertest.Sample(1, 0), brokertest.Sample(2, 0))
	link := testConfig(fb.url()).MQTTLink
	reg := prometheus.NewRegistry()
	p, err := NewPublisher(Spec{Section: "events", Link: link, Metrics: "edge_events",
		Routes: []Route{{alerts, "a", "events.alert_topic"}, {reads, "r", "events.topic"}}}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, p)
	waitDrained(t, p, 10*time.Second)
	got := fb.ackedPayloads()
	if len(got) != 2+len(plain) || !bytes.Equal(got[0], brokertest.Sample(1, 0)) || !bytes.Equal(got[1], brokertest.Sample(2, 0)) {
		t.Fatalf("broker got %d payloads, the alerts not first", len(got))
	}
	for i, pl := range plain {
		if !bytes.Equal(got[2+i], pl) {
			t.Fatalf("read %d out of order", i)
		}
	}
	if n, err := testutilCount(reg, "edge_events_outbox_entries"); err != nil || n != 2 {
		t.Fatalf("edge_events_outbox_entries series %d %v, want one per queue", n, err)
	}
	if _, err := NewPublisher(Spec{Section: "events", Link: config.Defaults().Events.MQTTLink,
		Routes: []Route{{alerts, "a/#", "events.alert_topic"}}, Metrics: "edge_x"}, nil, nil); err == nil ||
		err.Error() != `'events.alert_topic' must be a topic name without + or #, not "a/#"` {
		t.Fatalf("wildcard topic: %v", err)
	}
}

func testutilCount(reg *prometheus.Registry, name string) (int, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric()), nil
		}
	}
	return 0, nil
}
