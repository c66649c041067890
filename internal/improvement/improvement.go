// Package improvement runs the opt-in improvement programme: it turns read
// records into de-identified samples (package sanitize), holds them on the
// vehicle in an SQLite queue, releases them under the programme's rules, and
// purges everything unsent when the tenant withdraws.
//
// Rules: nothing is made or released while improvement.enabled is false or
// consent was withdrawn; a bucket's samples are released only once the
// bucket has closed plus a random delay, in shuffled order; a (geohash cell,
// bucket) group smaller than improvement.min_per_cell is generalised one
// geohash level or dropped; at most improvement.max_per_plate samples of one
// plate per bucket, matched through an HMAC whose salt never leaves the
// holding queue and rotates; improvement.sample_rate and daily_cap bound how
// many samples are made. Every suppression is counted by reason.
//
// The hand-over from the read store is durable (Follow): only final reads
// (their vehicle pass ended) are sampled, the highest final_seq decided is
// kept in the holding queue with the samples, and the final reads above it
// are offered again from the store after a kill or power cut, or when the
// intake had no room. Reads stored while the programme is off are never
// sampled, not even when they become final after it is turned on: the
// highest read id at the opt-in or resumption is kept with the cursor, and
// no read at or below it becomes a sample.
package improvement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sanitize"
)

// Sink receives released payloads; the uplink outbox satisfies it.
type Sink interface {
	Enqueue(payload []byte) error
}

// Purger is implemented by a sink that can delete what it holds unsent; a
// withdrawal calls it so that samples already handed over are purged too.
type Purger interface {
	Purge() (int, error)
}

// Clock tells the time and waits; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// intakeSize bounds the records waiting to become samples. When it is full,
// Offer leaves a stored read to the catch-up from the read store (Follow),
// and drops a record that is not stored (no ID, or no Follow) and counts it
// (reason "busy").
const intakeSize = 16

// pollInterval is the longest the release loop sleeps: it re-reads the
// consent marker (set by "edge-agent improvement withdraw") this often.
const pollInterval = 30 * time.Second

// Programme is the improvement programme of one agent. Its methods are safe
// for concurrent use.
type Programme struct {
	id    config.Identity
	sink  Sink
	log   *slog.Logger
	clock Clock
	db    *sql.DB
	m     *metrics

	// consent is a second connection to the holding queue, for Consented:
	// it reads the withdrawal record without waiting for the worker's or
	// the release loop's transactions on db.
	consent *sql.DB
	resync  chan struct{} // Consented saw a withdrawal the programme has not followed: the release loop steps now
	heart   *live.Heart   // beaten by the release loop (Run); nil: not watched

	// mu serialises the changes of state (Apply, Withdraw, the release
	// step, Close) and guards withdrawn. Offer never takes it.
	mu        sync.Mutex
	withdrawn bool
	cfg       atomic.Pointer[config.Improvement]
	enabled   atomic.Bool // cfg.Enabled && !withdrawn && !closed

	intake    chan job
	room      chan struct{} // the worker took a job: the catch-up may feed
	done      chan struct{}
	ctx       context.Context // ends at Close
	cancel    context.CancelFunc
	worker    sync.WaitGroup // the worker and the catch-up loop
	started   bool           // Start ran; guarded by mu
	closeOnce sync.Once

	// The hand-over from the read store (Follow). offerMu orders OfferFinal,
	// the catch-up and the turning on and off, so that reads reach the
	// intake in final_seq order and none is both skipped and left out of
	// the catch-up.
	followed   atomic.Bool
	src        Reads
	srcPath    string
	catchMu    sync.Mutex // one catch-up at a time (the loop, Flush)
	offerMu    sync.Mutex
	lastQueued int64 // the highest final_seq put on the intake
	behind     bool  // final reads above lastQueued wait for the catch-up
	wake       chan struct{}
	// boundary is the consent boundary (Follow): a followed read with an id
	// at or below it was stored before the tenant's current opt-in or
	// resumption and is never sampled. Set, with the cursor, before the
	// programme is turned on; math.MaxInt64 while it is not known.
	boundary atomic.Int64
}

// job is a record to turn into a sample, or a barrier (flushed != nil) that
// the worker closes once every earlier record is done.
type job struct {
	rec     read.Record
	seq     int64 // the read's final_seq; 0 for a record not followed
	flushed chan struct{}
}

// New opens the holding queue at cfg.QueuePath and starts the worker that
// makes samples. When the programme is not enabled (or consent was
// withdrawn) and unsent samples remain from before, they are purged, from
// the sink too, and the purge is audited. log and reg may be nil; clock nil
// is the wall clock.
func New(cfg config.Improvement, id config.Identity, sink Sink, log *slog.Logger, reg prometheus.Registerer, clock Clock) (*Programme, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("improvement: no sink for released samples")
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if clock == nil {
		clock = SystemClock{}
	}
	db, err := openQueue(cfg.QueuePath)
	if err != nil {
		return nil, err
	}
	withdrawn, _, _, err := consentMarker(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("improvement queue: %w", err)
	}
	consent, err := openQueue(cfg.QueuePath)
	if err != nil {
		db.Close()
		return nil, err
	}
	p := &Programme{
		id: id, sink: sink, log: log.With("stage", "improvement"), clock: clock, db: db,
		m: newMetrics(reg, db), withdrawn: withdrawn, consent: consent, resync: make(chan struct{}, 1),
		intake: make(chan job, intakeSize), room: make(chan struct{}, 1), done: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.boundary.Store(math.MaxInt64) // no followed read is sampled before Follow knows the boundary
	p.cfg.Store(&cfg)
	p.setEnabled()
	owed, err := purgeOwed(db)
	if err != nil {
		db.Close()
		consent.Close()
		return nil, fmt.Errorf("improvement queue: %w", err)
	}
	if !p.enabled.Load() || owed {
		reason := "not enabled at start"
		if p.enabled.Load() {
			reason = "a withdrawal by command whose purge of the outbox no running agent made"
		}
		if _, err := p.purgeLocked("start", reason, false); err != nil {
			db.Close()
			consent.Close()
			return nil, err
		}
	}
	return p, nil
}

// Start starts the programme's goroutines: the maker of samples and, once
// Follow was called, the catch-up from the read store. New starts none;
// Close stops and joins them. Offered reads wait in the intake until Start.
func (p *Programme) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return
	}
	p.started = true
	p.worker.Add(1)
	go p.work()
	if p.followed.Load() {
		p.worker.Add(1)
		go p.catchUpLoop()
	}
}

// setEnabled derives the gate from cfg and the withdrawal; p.mu is held or
// p is not shared yet. Turned on while following a read store, the
// programme follows it from its newest read: reads stored while it was off
// are never owed a sample.
func (p *Programme) setEnabled() {
	cfg := p.cfg.Load()
	on := cfg.Enabled && !p.withdrawn
	select {
	case <-p.done:
		on = false
	default:
	}
	if p.followed.Load() {
		p.offerMu.Lock()
		if on && !p.enabled.Load() {
			if err := p.followNewest(); err != nil {
				// Which reads were stored before the consent is unknown:
				// none of the followed reads is sampled until a restart,
				// which starts from the newest read again.
				p.boundary.Store(math.MaxInt64)
				p.log.Warn("improvement: cannot record where sampling starts; no read is sampled until a restart", "err", err)
			}
		}
		if !on {
			p.behind = false
		}
		p.enabled.Store(on)
		p.offerMu.Unlock()
	} else {
		p.enabled.Store(on)
	}
	switch {
	case p.withdrawn:
		p.m.setState(StateWithdrawn)
	case cfg.Enabled:
		p.m.setState(StateOptedIn)
	default:
		p.m.setState(StateOptedOut)
	}
}

// Enabled reports whether the programme is on: improvement.enabled is true
// and consent was not withdrawn, as the programme last saw them. A
// withdrawal by command counts here only once the release loop has
// followed it; the uplink asks Consented instead.
func (p *Programme) Enabled() bool { return p.enabled.Load() }

// Offer hands over one read event that the programme does not follow from
// a read store (no Follow, or a record without ID). It never waits for the
// making of samples: when the programme is off it returns at once; when
// the intake is full, the record is dropped and counted (reason "busy").
// Once Follow was called, a stored read (rec.ID set) is taken from the
// store instead, when final: Offer then only wakes the catch-up, and the
// agent hands its final reads over with OfferFinal.
func (p *Programme) Offer(rec read.Record) {
	if rec.ID == 0 || !p.followed.Load() {
		if !p.enabled.Load() {
			return
		}
		select {
		case p.intake <- job{rec: rec}:
		default:
			p.m.suppress(ReasonBusy)
		}
		return
	}
	p.offerMu.Lock()
	defer p.offerMu.Unlock()
	if p.enabled.Load() {
		p.behind = true
		p.kick()
	}
}

// OfferFinal hands over a read of the followed store once it is final,
// with its final_seq (store.Finalize returns it). It never waits for the
// making of samples: when the programme is off it returns at once; when the
// intake is full, the read is left to the catch-up from the read store, as
// are the reads made final after it until the catch-up has reached them.
// Without Follow it is Offer.
func (p *Programme) OfferFinal(rec read.Record, seq int64) {
	if !p.followed.Load() || seq <= 0 {
		p.Offer(rec)
		return
	}
	p.offerMu.Lock()
	defer p.offerMu.Unlock()
	switch {
	case !p.enabled.Load(), seq <= p.lastQueued:
		return
	case p.behind:
		p.kick()
		return
	}
	select {
	case p.intake <- job{rec: rec, seq: seq}:
		p.lastQueued = seq
	default:
		p.behind = true
		p.kick()
	}
}

// Apply takes a reloaded configuration. Turning improvement.enabled off is
// a withdrawal: every unsent sample is purged and the purge audited. The
// queue and audit paths cannot change without a restart.
func (p *Programme) Apply(cfg config.Improvement) error {
	if err := validate(cfg); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.cfg.Load()
	if cfg.QueuePath != old.QueuePath || cfg.AuditPath != old.AuditPath {
		return errors.New("'improvement.queue_path' and 'improvement.audit_path' cannot change without a restart")
	}
	p.cfg.Store(&cfg)
	p.setEnabled()
	switch {
	case old.Enabled && !cfg.Enabled:
		_, err := p.purgeLocked("opt-out", "improvement.enabled turned off", false)
		return err
	case !old.Enabled && cfg.Enabled && !p.withdrawn:
		p.log.Info("improvement programme enabled")
		return appendAudit(cfg.AuditPath, auditEntry{Time: p.clock.Now(), Event: "opt-in", Reason: "improvement.enabled turned on"})
	}
	return nil
}

// Close stops making samples and closes the holding queue. Held samples stay
// for the next start. Offer after Close does nothing.
func (p *Programme) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		p.cancel()
		p.enabled.Store(false)
		p.worker.Wait()
		p.mu.Lock()
		err = errors.Join(p.db.Close(), p.consent.Close())
		p.mu.Unlock()
	})
	return err
}

// validate checks the settings the programme relies on, with the bounds of
// config.Improvement (the config loader checks them too).
func validate(c config.Improvement) error {
	if err := sanitize.CheckSettings(c); err != nil {
		return err
	}
	switch {
	case c.MinPerCell < 1:
		return fmt.Errorf("'improvement.min_per_cell' must be ≥ 1, not %d", c.MinPerCell)
	case c.BelowThreshold != "generalize" && c.BelowThreshold != "drop":
		return fmt.Errorf("'improvement.below_threshold' must be generalize or drop, not %q", c.BelowThreshold)
	case c.MaxPerPlate < 1:
		return fmt.Errorf("'improvement.max_per_plate' must be ≥ 1, not %d", c.MaxPerPlate)
	case c.SaltRotation < time.Hour:
		return fmt.Errorf("'improvement.salt_rotation' must be ≥ 1h, not %s", c.SaltRotation)
	case !(c.SampleRate >= 0 && c.SampleRate <= 1):
		return fmt.Errorf("'improvement.sample_rate' must be in 0..1, not %v", c.SampleRate)
	case c.DailyCap < 0:
		return fmt.Errorf("'improvement.daily_cap' must be ≥ 0, not %d", c.DailyCap)
	case c.ReleaseJitter < 0:
		return fmt.Errorf("'improvement.release_jitter' must be ≥ 0, not %s", c.ReleaseJitter)
	case c.QueuePath == "":
		return errors.New("'improvement.queue_path' is empty")
	case c.AuditPath == "":
		return errors.New("'improvement.audit_path' is empty")
	}
	return nil
}
