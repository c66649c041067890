package events

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/hotlist"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

type fixture struct {
	t     *testing.T
	dir   string
	st    *store.Store
	ob    *uplink.Outbox
	dest  Destination
	outl  *Outlets
	hot   *hotlist.List
	clock time.Time
	caps  config.Events // the outlets' settings (open)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.UTC),
		caps: config.Defaults().Events}
	var err error
	if f.st, err = store.Open(filepath.Join(f.dir, "reads.db"), config.Defaults().Store, nil, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	entries, _, err := hotlist.Parse(strings.NewReader("ABC1234,stolen,high\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.hot = hotlist.New(entries, 1)
	f.open()
	return f
}

// open opens the outbox file and its queues (again, after close).
func (f *fixture) open() {
	f.t.Helper()
	if f.outl != nil { // a restart: the old handle goes first, as with a process
		f.outl.Close()
		f.ob.Close()
	}
	var err error
	if f.ob, err = uplink.OpenOutbox(filepath.Join(f.dir, "outbox.db"), uplink.OutboxOptions{}); err != nil {
		f.t.Fatal(err)
	}
	o, err := OpenOutlets(f.caps, f.ob, nil, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.dest, f.outl = o.Dests[0], o
	ob := f.ob
	f.t.Cleanup(func() { o.Close(); ob.Close() })
}

func (f *fixture) producer(opts Options) *Producer {
	f.t.Helper()
	p := New(f.st, f.ob, []Destination{f.dest}, f.hot, opts, nil, nil)
	if err := p.Prepare(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) record(plate string) read.Record {
	f.clock = f.clock.Add(time.Second)
	return read.Record{CapturedAt: f.clock, Camera: "front", Plate: read.Plate(plate), Confidence: 0.91234,
		Region: "us", Box: image.Rect(1, 2, 3, 4), Frames: 3, Crop: []byte{0xff, 0xd8, 0xff, 0xd9},
		Fix: &read.Fix{Position: read.Position{Lat: 48.1, Lon: 11.5}, Time: f.clock}}
}

// take removes and decodes every message of q.
func take(t *testing.T, q *uplink.Outbox) []Message {
	t.Helper()
	es, err := q.Peek(1000)
	if errors.Is(err, uplink.ErrEmpty) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for _, e := range es {
		var m Message
		dec := json.NewDecoder(strings.NewReader(string(e.Payload)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("payload %s: %v", e.Payload, err)
		}
		out = append(out, m)
		if err := e.Remove(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestProducerEventsAndAlerts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	old := f.record("ABC1234")
	if _, err := f.st.Insert(ctx, &old); err != nil { // history: stored before events existed
		t.Fatal(err)
	}
	p := f.producer(Options{Reads: true, DeviceID: "dev-1"})
	flush := func() {
		t.Helper()
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	if got := take(t, f.dest.Reads); len(got) != 0 {
		t.Fatalf("history sent: %d events", len(got))
	}
	if got := take(t, f.dest.Alerts); len(got) != 0 {
		t.Fatalf("history alerted: %d", len(got))
	}

	// A pass first stored with a look-alike of a listed plate: alert at once.
	a := f.record("A8C1235")
	if _, err := f.st.InsertProvisional(ctx, &a); err != nil {
		t.Fatal(err)
	}
	flush()
	alerts := take(t, f.dest.Alerts)
	if len(alerts) != 1 || alerts[0].Final || alerts[0].Alert == nil || alerts[0].Alert.ListedPlate != "ABC1234" ||
		alerts[0].Alert.Edits != 1 || alerts[0].Alert.Priority != "high" || alerts[0].RecordID != a.ID {
		t.Fatalf("alerts %+v", alerts)
	}
	uid, _ := f.st.UID(ctx)
	if alerts[0].EventID != EventID(uid, TypeAlert, a.ID) || alerts[0].Schema != SchemaVersion || alerts[0].Crop != "" {
		t.Fatalf("alert %+v", alerts[0])
	}
	if got := take(t, f.dest.Reads); len(got) != 0 {
		t.Fatalf("a provisional read sent as an event: %+v", got)
	}
	// Its end: one read event, no second alert.
	a.Plate = "A8C1234"
	if _, err := f.st.Finalize(ctx, &a); err != nil {
		t.Fatal(err)
	}
	// A pass whose first text does not match but whose final text does.
	b := f.record("QQQ1111")
	if _, err := f.st.InsertProvisional(ctx, &b); err != nil {
		t.Fatal(err)
	}
	flush()
	if got := take(t, f.dest.Alerts); len(got) != 0 {
		t.Fatalf("alerted again or on a non-match: %+v", got)
	}
	b.Plate = "ABC1234"
	if _, err := f.st.Finalize(ctx, &b); err != nil {
		t.Fatal(err)
	}
	flush()
	reads := take(t, f.dest.Reads)
	if len(reads) != 2 || reads[0].RecordID != a.ID || reads[1].RecordID != b.ID || !reads[0].Final ||
		reads[0].Plate != "A8C1234" || reads[0].Confidence != 0.912 || reads[0].DeviceID != "dev-1" ||
		reads[0].Position == nil || reads[0].Position.Lat != 48.1 || !reads[0].CapturedAt.Equal(a.CapturedAt) ||
		reads[0].EventID != EventID(uid, TypeRead, a.ID) {
		t.Fatalf("read events %+v", reads)
	}
	if got := take(t, f.dest.Alerts); len(got) != 1 || got[0].RecordID != b.ID || !got[0].Final {
		t.Fatalf("alert on the final text: %+v", got)
	}
	if n := testutil.ToFloat64(p.alerts.WithLabelValues("high")); n != 2 {
		t.Errorf("edge_hotlist_alerts_total{priority=high} %v, want 2", n)
	}
	if n := testutil.ToFloat64(p.enqueued.WithLabelValues(TypeRead)); n != 2 {
		t.Errorf("read events counted %v, want 2", n)
	}
}

// A new producer on the same files (a restart) decides nothing twice; one
// that sends crops puts them in.
func TestProducerRestartSendsNothingTwice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := f.producer(Options{Reads: true})
	r := f.record("ABC1234")
	if _, err := f.st.Insert(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f.open()
	p2 := f.producer(Options{Reads: true, IncludeCrop: true})
	if err := p2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Reads); len(got) != 1 {
		t.Fatalf("%d read events after the restart, want the 1 of before", len(got))
	}
	if got := take(t, f.dest.Alerts); len(got) != 1 {
		t.Fatalf("%d alerts after the restart, want 1", len(got))
	}
	s := f.record("ZZZ9999")
	if _, err := f.st.Insert(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if err := p2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Reads); len(got) != 1 || got[0].Crop != "/9j/2Q==" {
		t.Fatalf("read event with crop: %+v", got)
	}
}

// TestProducerWithdrawal: a read alerted on and then withdrawn (its pass's
// vote fell under the keep rules) is followed on the alert queue by one
// withdrawal with its record_id and the alert it takes back; a read not
// alerted on, or withdrawn before the producer reached it, sends nothing; a
// withdrawal whose commit failed goes out at the producer's next step.
func TestProducerWithdrawal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := f.producer(Options{Reads: true, DeviceID: "dev-1"})
	provisional := func(plate string) read.Record {
		t.Helper()
		r := f.record(plate)
		if _, err := f.st.InsertProvisional(ctx, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	withdraw := func(r read.Record, plate string) {
		t.Helper()
		if err := f.st.Withdraw(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		r.Plate, r.Confidence = read.Plate(plate), 0.61
		if err := p.Withdrawn(r); err != nil {
			t.Fatal(err)
		}
	}

	a := provisional("ABC1234")
	other := provisional("QQQ1111")
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Alerts); len(got) != 1 || got[0].RecordID != a.ID {
		t.Fatalf("alerts %+v, want the one of read %d", got, a.ID)
	}
	withdraw(a, "A8C1284")
	withdraw(other, "QQQ1117")
	if err := p.Withdrawn(a); err != nil { // told twice: taken back once
		t.Fatal(err)
	}
	got := take(t, f.dest.Alerts)
	uid, _ := f.st.UID(ctx)
	if len(got) != 1 {
		t.Fatalf("%d messages on the alert queue after the withdrawals, want 1: %+v", len(got), got)
	}
	w := got[0]
	if w.Type != TypeWithdrawal || w.RecordID != a.ID || w.EventID != EventID(uid, TypeWithdrawal, a.ID) || !w.Final ||
		w.Plate != "A8C1284" || w.Confidence != 0.61 || w.DeviceID != "dev-1" || w.Alert == nil ||
		w.Alert.ListedPlate != "ABC1234" || w.Alert.Priority != "high" {
		t.Fatalf("withdrawal %+v", w)
	}

	// Withdrawn before the producer looked: never alerted on, nothing to take back.
	b := provisional("ABC1234")
	withdraw(b, "ABC1234")
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Alerts); len(got) != 0 {
		t.Fatalf("a read withdrawn before the producer reached it sent %+v", got)
	}
	if got := take(t, f.dest.Reads); len(got) != 0 {
		t.Fatalf("read events of withdrawn reads: %+v", got)
	}
	// A withdrawal whose commit fails goes out at the next step.
	c := provisional("ABC1234")
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Alerts); len(got) != 1 || got[0].RecordID != c.ID {
		t.Fatalf("alerts %+v, want the one of read %d", got, c.ID)
	}
	ob := p.ob
	ro, err := uplink.OpenOutbox(ob.Path(), uplink.OutboxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	p.ob = ro // every commit fails
	if err := f.st.Withdraw(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Withdrawn(c); err == nil {
		t.Fatal("Withdrawn reported no error for a failed commit")
	}
	if got := take(t, f.dest.Alerts); len(got) != 0 {
		t.Fatalf("alert queue after a failed commit: %+v", got)
	}
	p.ob = ob
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := take(t, f.dest.Alerts); len(got) != 1 || got[0].Type != TypeWithdrawal || got[0].RecordID != c.ID {
		t.Fatalf("alert queue after the next step: %+v, want the withdrawal of read %d", got, c.ID)
	}
	if n := testutil.ToFloat64(p.enqueued.WithLabelValues(TypeWithdrawal)); n != 2 {
		t.Errorf("withdrawals counted %v, want 2", n)
	}
}

// TestProducerSkipsMessagesOverTheCap: a message larger than its queue's
// byte cap (a crop under a small events.max_bytes), which the outbox would
// refuse at every try, is left out and counted, and the producer goes on
// to the next reads instead of stopping at it.
func TestProducerSkipsMessagesOverTheCap(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.caps.MaxBytes = 1 << 10
	f.open()
	p := f.producer(Options{Reads: true, IncludeCrop: true})
	big := f.record("ABC1234")
	big.Crop = make([]byte, 2<<10)
	small := f.record("ABC1234")
	for _, r := range []*read.Record{&big, &small} {
		if _, err := f.st.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush stopped at a message over the cap: %v", err)
	}
	for name, q := range map[string]*uplink.Outbox{"alert": f.dest.Alerts, "read": f.dest.Reads} {
		if got := take(t, q); len(got) != 1 || got[0].RecordID != small.ID {
			t.Errorf("%s queue: %+v, want the message of read %d alone", name, got, small.ID)
		}
	}
	for _, typ := range []string{TypeAlert, TypeRead} {
		if n := testutil.ToFloat64(p.tooLarge.WithLabelValues(typ)); n != 1 {
			t.Errorf("edge_events_too_large_total{type=%q} %v, want 1", typ, n)
		}
	}
}
