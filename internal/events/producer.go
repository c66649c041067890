package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/hotlist"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// Cursors the producer keeps in the outbox file, each moved in the same
// transaction as the messages it enqueued.
const (
	alertCursor = "events.alerts.last_id" // the last read id checked against the hotlist
	readCursor  = "events.reads.last_seq" // the last final_seq a read event was decided for
)

// batch is how many reads one transaction takes: enough to catch up a
// backlog quickly, small enough that an alert waits for few others.
const batch = 64

// poll is how often the producer looks at the store without being told:
// reads made final by the store itself (those a killed run left
// provisional) are found this way.
const poll = time.Second

// recentAlerts bounds the ids of reads alerted on that the producer
// remembers: far more than the reads whose passes are under way at once.
const recentAlerts = 4096

// Store is what the producer reads from the read store.
type Store interface {
	QueryAfterID(ctx context.Context, id int64, limit int, fn func(rec read.Record, final bool) error) error
	QueryFinalAfter(ctx context.Context, seq int64, fn func(rec read.Record, seq int64) error) error
	LastID(ctx context.Context) (int64, error)
	LastSeq(ctx context.Context) (int64, error)
	UID(ctx context.Context) (string, error)
}

// Matcher matches a plate against the hotlist (hotlist.Watcher).
type Matcher interface {
	Match(plate read.Plate) (hotlist.Match, bool)
}

// Destination is the pair of queues of one way out (the broker, the
// webhook): alerts, and read events.
type Destination struct {
	Alerts, Reads *uplink.Outbox
}

// Options set what the producer sends.
type Options struct {
	Reads       bool   // a read event for each stored read (events.enabled)
	IncludeCrop bool   // the crop in each message (events.include_crop)
	DeviceID    string // identity.device_id, in each message
}

// Producer follows the read store and enqueues a read event for each read
// that became final (when Options.Reads) and an alert for each read that
// matches the hotlist: as soon as the read is first stored, or when its
// final text matches where its first did not. What it enqueued and how far
// it got are committed together (uplink.Outbox.Commit), so every read is
// decided once across crashes and restarts.
type Producer struct {
	st    Store
	ob    *uplink.Outbox // a queue of the outbox file, for its cursors
	dests []Destination
	hot   Matcher
	opts  Options
	log   *slog.Logger
	wake  chan struct{}
	heart *live.Heart

	mu       sync.Mutex // one step at a time
	uid      string
	lastID   int64
	lastSeq  int64
	alerted  map[int64]hotlist.Match // reads alerted on, what each matched
	alertIDs []int64                 // alerted, oldest first
	// unsent are withdrawals whose commit failed, tried again before each
	// step's batches: an alert once out is never left standing.
	unsent []uplink.Put

	enqueued *prometheus.CounterVec
	tooLarge *prometheus.CounterVec
	alerts   *prometheus.CounterVec
}

// New makes a producer; nothing is read until Prepare. hot may be nil (no
// hotlist). reg receives its metrics (nil: not exported).
func New(st Store, ob *uplink.Outbox, dests []Destination, hot Matcher, opts Options, log *slog.Logger, reg prometheus.Registerer) *Producer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	p := &Producer{
		st: st, ob: ob, dests: dests, hot: hot, opts: opts, log: log.With("component", "events"),
		wake: make(chan struct{}, 1), alerted: map[int64]hotlist.Match{},
		enqueued: f.NewCounterVec(prometheus.CounterOpts{Name: "edge_events_enqueued_total",
			Help: "Messages put in the outbox by type (read, alert, withdrawal), one per destination."}, []string{"type"}),
		tooLarge: f.NewCounterVec(prometheus.CounterOpts{Name: "edge_events_too_large_total",
			Help: "Messages not sent because they are larger than their queue's byte cap (events.max_bytes), by type, one per destination."}, []string{"type"}),
		alerts: f.NewCounterVec(prometheus.CounterOpts{Name: "edge_hotlist_alerts_total",
			Help: "Reads that matched the hotlist, by the matched entry's priority."}, []string{"priority"}),
	}
	for _, pr := range hotlist.Priorities {
		p.alerts.WithLabelValues(pr)
	}
	return p
}

// SetHeart makes Run beat h at every turn and while it waits. Call it
// before Run.
func (p *Producer) SetHeart(h *live.Heart) { p.heart = h }

// Prepare reads the store's id and the cursors. A cursor never set (the
// first start of a producer on this outbox file) starts at the store's
// end: the reads stored before are history, not news.
func (p *Producer) Prepare(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if p.uid, err = p.st.UID(ctx); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		v    *int64
		last func(context.Context) (int64, error)
	}{{alertCursor, &p.lastID, p.st.LastID}, {readCursor, &p.lastSeq, p.st.LastSeq}} {
		v, ok, err := p.ob.Cursor(c.name)
		if err != nil {
			return err
		}
		if !ok {
			if v, err = c.last(ctx); err != nil {
				return err
			}
			if err := p.ob.Commit(c.name, v, nil); err != nil {
				return err
			}
		}
		*c.v = v
	}
	return nil
}

// Notify tells the producer that a read was stored; it never blocks. A
// nil producer ignores it.
func (p *Producer) Notify() {
	if p == nil {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run follows the store until ctx ends, looking again at every Notify and
// every second. Errors are logged and retried; nothing is skipped.
func (p *Producer) Run(ctx context.Context) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	failing := false
	for {
		p.heart.BeatIn(poll)
		err := p.Flush(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			p.log.Error("events: following the store failed; retrying", "error", err)
			failing = true
		case err == nil && failing:
			p.log.Info("events: following the store again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
		case <-t.C:
		}
	}
}

// Flush decides every read stored so far: it returns once the cursors
// reached the store's end, or at the first error.
func (p *Producer) Flush(ctx context.Context) error {
	for {
		n, err := p.step(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// errBatch stops a store query once a batch is full.
var errBatch = errors.New("batch full")

// step decides one batch of newly stored reads (alerts) and one of newly
// final reads (read events, alerts on a final text), and returns how many
// reads it decided.
func (p *Producer) step(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.commitWithdrawals(nil); err != nil {
		return 0, err
	}
	var puts []uplink.Put
	var alerted []alertNote
	last, n := p.lastID, 0
	err := p.st.QueryAfterID(ctx, p.lastID, batch, func(rec read.Record, final bool) error {
		last, n = rec.ID, n+1
		if put, note, ok := p.alert(rec, final); ok {
			puts, alerted = append(puts, put...), append(alerted, note)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := p.ob.Commit(alertCursor, last, puts); err != nil {
			return 0, err
		}
		p.committed(puts, alerted)
		p.lastID = last
	}

	puts, alerted = nil, nil
	lastSeq, m := p.lastSeq, 0
	err = p.st.QueryFinalAfter(ctx, p.lastSeq, func(rec read.Record, seq int64) error {
		if m == batch {
			return errBatch
		}
		lastSeq, m = seq, m+1
		if p.opts.Reads {
			puts = append(puts, p.puts(newMessage(TypeRead, p.uid, p.opts.DeviceID, rec, true, p.opts.IncludeCrop), false)...)
		}
		// A read not checked yet is the alert pass's (it sees it final);
		// one checked before that did not match may match by its final text.
		if _, done := p.alerted[rec.ID]; rec.ID <= p.lastID && !done && !slices.ContainsFunc(alerted, func(a alertNote) bool { return a.id == rec.ID }) {
			if put, note, ok := p.alert(rec, true); ok {
				puts, alerted = append(puts, put...), append(alerted, note)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errBatch) {
		return 0, err
	}
	if m > 0 {
		if err := p.ob.Commit(readCursor, lastSeq, puts); err != nil {
			return 0, err
		}
		p.committed(puts, alerted)
		p.lastSeq = lastSeq
	}
	return n + m, nil
}

// alertNote is an alert enqueued, counted and logged once its commit is
// done.
type alertNote struct {
	id     int64
	camera string
	plate  read.Plate
	match  hotlist.Match
}

// alert returns the alert messages of rec, one per destination, when its
// plate matches the hotlist.
func (p *Producer) alert(rec read.Record, final bool) ([]uplink.Put, alertNote, bool) {
	if _, done := p.alerted[rec.ID]; p.hot == nil || done {
		return nil, alertNote{}, false
	}
	match, ok := p.hot.Match(rec.Plate)
	if !ok {
		return nil, alertNote{}, false
	}
	m := withAlert(newMessage(TypeAlert, p.uid, p.opts.DeviceID, rec, final, p.opts.IncludeCrop), match)
	return p.puts(m, true), alertNote{rec.ID, rec.Camera, rec.Plate, match}, true
}

// puts encodes m for each destination's alert or read queue. A message
// larger than a queue's byte cap is left out of it, logged and counted:
// the outbox would refuse it at every try, and the producer would stop at
// it for good.
func (p *Producer) puts(m Message, alert bool) []uplink.Put {
	b, err := m.Marshal()
	if err != nil { // a Message always marshals; keep the read rather than panic
		p.log.Error("events: encoding a message failed", "id", m.RecordID, "error", err)
		return nil
	}
	out := make([]uplink.Put, 0, len(p.dests))
	for _, d := range p.dests {
		q := d.Reads
		if alert {
			q = d.Alerts
		}
		if !q.Fits(b) {
			p.tooLarge.WithLabelValues(m.Type).Inc()
			p.log.Error("events: a message is larger than its queue's byte cap (events.max_bytes) and is not sent",
				"type", m.Type, "id", m.RecordID, "queue", q.Name(), "bytes", len(b))
			continue
		}
		out = append(out, uplink.Put{Queue: q, Payload: b})
	}
	return out
}

// committed counts and logs what a commit enqueued and remembers the reads
// alerted.
func (p *Producer) committed(puts []uplink.Put, alerted []alertNote) {
	for _, put := range puts {
		typ := TypeRead
		for _, d := range p.dests {
			if put.Queue == d.Alerts {
				typ = TypeAlert
			}
		}
		p.enqueued.WithLabelValues(typ).Inc()
	}
	for _, a := range alerted {
		p.alerts.WithLabelValues(a.match.Priority).Inc()
		// Info level: no plate text, no label (the tenant's words about a person).
		p.log.Info("hotlist alert", "id", a.id, "camera", a.camera, "priority", a.match.Priority, "edits", a.match.Edits)
		p.log.Debug("hotlist alert", "id", a.id, "plate", string(a.plate), "listed", string(a.match.Plate), "label", a.match.Label)
		p.alerted[a.id] = a.match
		p.alertIDs = append(p.alertIDs, a.id)
	}
	for len(p.alertIDs) > recentAlerts {
		delete(p.alerted, p.alertIDs[0])
		p.alertIDs = p.alertIDs[1:]
	}
}

// Withdrawn tells the producer that rec, the final record of a vehicle
// pass, was too weak to keep and that its read (rec.ID) was deleted from
// the store. When an alert went out on that read, a withdrawal follows it
// on each destination's alert queue: the same record_id, the text the pass
// ended with, and the alert it takes back. Call it once the row is gone: a
// read the producer had not reached by then is never alerted on, and one
// it is deciding is decided first (one step at a time). A withdrawal whose
// commit fails is kept and committed at the next step; the error is
// returned for the caller to log. A nil producer ignores it.
func (p *Producer) Withdrawn(rec read.Record) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	match, ok := p.alerted[rec.ID]
	if !ok {
		return nil
	}
	delete(p.alerted, rec.ID)
	m := withAlert(newMessage(TypeWithdrawal, p.uid, p.opts.DeviceID, rec, true, p.opts.IncludeCrop), match)
	// Info level: no plate text, as for the alert.
	p.log.Info("hotlist alert withdrawn: its read was withdrawn at the end of its pass", "id", rec.ID,
		"camera", rec.Camera, "priority", match.Priority)
	return p.commitWithdrawals(p.puts(m, true))
}

// commitWithdrawals commits the withdrawals kept from failed commits and
// puts, in that order, or keeps them all when the commit fails.
func (p *Producer) commitWithdrawals(puts []uplink.Put) error {
	p.unsent = append(p.unsent, puts...)
	if len(p.unsent) == 0 {
		return nil
	}
	if err := p.ob.Commit("", 0, p.unsent); err != nil {
		return fmt.Errorf("withdrawing hotlist alerts: %w", err)
	}
	p.enqueued.WithLabelValues(TypeWithdrawal).Add(float64(len(p.unsent)))
	p.unsent = nil
	return nil
}
