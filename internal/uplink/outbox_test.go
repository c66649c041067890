package uplink

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openTest(t *testing.T, path string, opts OutboxOptions) *Outbox {
	t.Helper()
	ob, err := OpenOutbox(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	return ob
}

func peekAll(t *testing.T, ob *Outbox) []*Entry {
	t.Helper()
	es, err := ob.Peek(1 << 20)
	if errors.Is(err, ErrEmpty) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func ns(es []*Entry) []int {
	var out []int
	for _, e := range es {
		var n int
		for _, part := range strings.Split(string(e.Payload), ",") {
			if v, ok := strings.CutPrefix(part, `"n":`); ok {
				for _, r := range v {
					n = n*10 + int(r-'0')
				}
			}
		}
		out = append(out, n)
	}
	return out
}

func TestOutboxKeepsOrderAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "outbox.db")
	ob, err := OpenOutbox(path, OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := ob.Enqueue(brokertest.Sample(i, 10)); err != nil {
			t.Fatal(err)
		}
	}
	head, err := ob.Peek(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := head[0].Remove(); err != nil {
		t.Fatal(err)
	}
	if err := head[1].Leave(); err != nil {
		t.Fatal(err)
	}
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}

	ob = openTest(t, path, OutboxOptions{})
	if got := ns(peekAll(t, ob)); !equalInts(got, []int{2, 3, 4, 5}) {
		t.Fatalf("after reopen: %v, want [2 3 4 5]", got)
	}
	s, err := ob.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Depth != 4 || s.Bytes != 4*int64(len(brokertest.Sample(2, 10))) {
		t.Fatalf("stats %+v", s)
	}
	for _, f := range []string{path, path + "-wal", path + ".lock"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), st.Mode().Perm())
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOutboxSingleWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	ob := openTest(t, path, OutboxOptions{})
	if err := ob.Enqueue([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err := OpenOutbox(path, OutboxOptions{})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second writer: %v", err)
	}
	ro := openTest(t, path, OutboxOptions{ReadOnly: true})
	if err := ob.Enqueue([]byte("y")); err != nil {
		t.Fatal(err)
	}
	s, err := ro.Stats()
	if err != nil || s.Depth != 2 {
		t.Fatalf("read-only stats while the writer runs: %+v %v", s, err)
	}
	if err := ro.Enqueue([]byte("z")); err == nil {
		t.Fatal("read-only outbox accepted an enqueue")
	}
	if _, err := OpenOutbox(filepath.Join(t.TempDir(), "missing.db"), OutboxOptions{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
}

func TestOutboxCapsDropOldest(t *testing.T) {
	dir := t.TempDir()
	t.Run("entries", func(t *testing.T) {
		ob := openTest(t, filepath.Join(dir, "n.db"), OutboxOptions{MaxEntries: 3})
		for i := 1; i <= 5; i++ {
			if err := ob.Enqueue(brokertest.Sample(i, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if got := ns(peekAll(t, ob)); !equalInts(got, []int{3, 4, 5}) {
			t.Fatalf("kept %v, want [3 4 5]", got)
		}
		if s, _ := ob.Stats(); s.Dropped != 2 || s.Depth != 3 {
			t.Fatalf("stats %+v, want 2 dropped, depth 3", s)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		size := int64(len(brokertest.Sample(1, 100)))
		ob := openTest(t, filepath.Join(dir, "b.db"), OutboxOptions{MaxBytes: 2*size + size/2})
		batch := [][]byte{brokertest.Sample(1, 100), brokertest.Sample(2, 100), brokertest.Sample(3, 100)}
		if err := ob.EnqueueBatch(batch); err != nil {
			t.Fatal(err)
		}
		if got := ns(peekAll(t, ob)); !equalInts(got, []int{2, 3}) {
			t.Fatalf("kept %v, want [2 3]", got)
		}
		if s, _ := ob.Stats(); s.Dropped != 1 || s.Bytes != 2*size {
			t.Fatalf("stats %+v, want 1 dropped, %d bytes", s, 2*size)
		}
		err := ob.Enqueue(make([]byte, 3*size))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized payload: %v", err)
		}
		if err := ob.Enqueue(nil); err == nil {
			t.Fatal("empty payload accepted")
		}
	})
}

func TestOutboxExpiry(t *testing.T) {
	c := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{TTL: time.Hour, Now: c.now})
	preClock := &clock{time.Unix(1000, 0)} // enqueued before the clock was set
	ob.opts.Now = preClock.now
	if err := ob.Enqueue(brokertest.Sample(0, 0)); err != nil {
		t.Fatal(err)
	}
	ob.opts.Now = c.now
	for i := 1; i <= 3; i++ {
		if err := ob.Enqueue(brokertest.Sample(i, 0)); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(30 * time.Minute)
	}
	// Now 90 min after #1, 60 after #2, 30 after #3.
	if s, _ := ob.Stats(); s.OldestAge <= 0 {
		t.Fatalf("oldest age %v", s.OldestAge)
	}
	c.t = c.t.Add(time.Second)
	if got := ns(peekAll(t, ob)); !equalInts(got, []int{0, 3}) {
		t.Fatalf("live entries %v, want [0 3] (#0 has no known age)", got)
	}
	s, _ := ob.Stats()
	if s.Expired != 2 || s.Depth != 2 {
		t.Fatalf("stats %+v, want 2 expired, depth 2", s)
	}
	c.t = c.t.Add(time.Hour)
	es := peekAll(t, ob)
	if got := ns(es); !equalInts(got, []int{0}) {
		t.Fatalf("live entries %v, want [0]", got)
	}
	if err := es[0].Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Peek(1); !errors.Is(err, ErrEmpty) {
		t.Fatalf("peek on empty: %v", err)
	}
}

func TestOutboxQuarantine(t *testing.T) {
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{MaxAttempts: 3})
	for i := 1; i <= 3; i++ {
		if err := ob.Enqueue(brokertest.Sample(i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	for attempt := 1; attempt <= 3; attempt++ {
		es, err := ob.Peek(1)
		if err != nil {
			t.Fatal(err)
		}
		if ns(es)[0] != 1 || es[0].Attempts != attempt-1 {
			t.Fatalf("attempt %d: head %v with %d attempts", attempt, ns(es), es[0].Attempts)
		}
		q, err := es[0].Failed("no PUBACK")
		if err != nil {
			t.Fatal(err)
		}
		if q != (attempt == 3) {
			t.Fatalf("attempt %d: quarantined=%v", attempt, q)
		}
	}
	es := peekAll(t, ob)
	if got := ns(es); !equalInts(got, []int{2, 3}) {
		t.Fatalf("after quarantine: %v, want [2 3]", got)
	}
	if err := es[1].Quarantine("malformed"); err != nil {
		t.Fatal(err)
	}
	s, _ := ob.Stats()
	if s.Quarantined != 2 || s.QuarantinedTotal != 2 || s.Depth != 1 {
		t.Fatalf("stats %+v", s)
	}
	var reason string
	var attempts int
	err := ob.f.conn.QueryRowContext(t.Context(), `SELECT reason, attempts FROM quarantine ORDER BY seq LIMIT 1`).Scan(&reason, &attempts)
	if err != nil || reason != "no PUBACK" || attempts != 3 {
		t.Fatalf("quarantine row: %q %d %v", reason, attempts, err)
	}
}

func TestOutboxPurgeLeavesNoPayloadOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	ob := openTest(t, path, OutboxOptions{MaxAttempts: 1})
	marker := []byte("PLATE-MARKER-7Q")
	for i := range 50 {
		p := append(brokertest.Sample(i, 200), marker...)
		if err := ob.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := ob.Peek(1)
	if _, err := es[0].Failed("x"); err != nil {
		t.Fatal(err)
	}
	n, err := ob.Purge()
	if err != nil || n != 50 {
		t.Fatalf("purge: %d %v, want 50", n, err)
	}
	select {
	case <-ob.Drained():
	default:
		t.Fatal("Drained not closed after purge")
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, marker) {
			t.Errorf("%s still holds a purged payload", filepath.Base(f))
		}
	}
	if s, _ := ob.Stats(); s.Depth != 0 || s.Bytes != 0 || s.Quarantined != 0 {
		t.Fatalf("stats after purge %+v", s)
	}
}

func TestOutboxWaitAndDrained(t *testing.T) {
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	wait, drained := ob.Wait(), ob.Drained()
	select {
	case <-drained:
	default:
		t.Fatal("empty outbox: Drained not closed")
	}
	select {
	case <-wait:
		t.Fatal("empty outbox: Wait closed")
	default:
	}
	if err := ob.Enqueue([]byte("a")); err != nil {
		t.Fatal(err)
	}
	<-wait // closed by the enqueue
	drained = ob.Drained()
	select {
	case <-drained:
		t.Fatal("Drained closed with one entry queued")
	default:
	}
	es, _ := ob.Peek(1)
	if err := es[0].Remove(); err != nil {
		t.Fatal(err)
	}
	<-drained
}

// TestRemovedPayloadsNotLeftInFile: a payload acknowledged (Remove),
// expired or dropped by a cap does not stay readable in the file's free
// pages or freed cells once the outbox is closed.
func TestRemovedPayloadsNotLeftInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	c := &clock{t: time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)}
	ob, err := OpenOutbox(path, OutboxOptions{MaxEntries: 3, TTL: time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	marker := func(what string, i int) []byte {
		return []byte(fmt.Sprintf("PAYLOAD-%s-%02d-%s", what, i, strings.Repeat("x", 40)))
	}
	for i := range 3 {
		if err := ob.Enqueue(marker("expired", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.t = c.t.Add(2 * time.Hour)
	for i := range 4 { // the first one goes on the cap, after the three expire
		if err := ob.Enqueue(marker("acked", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range peekAll(t, ob) {
		if err := e.Remove(); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(b, []byte("PAYLOAD-")); i >= 0 {
			t.Errorf("%s still holds a removed payload: %q", filepath.Base(p), b[i:i+24])
		}
	}
}
