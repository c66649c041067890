package improvement

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	readstore "github.com/edge-agent/edge-agent/internal/store"
)

// provisional stores a new provisional read of a plate never used before,
// as the agent does when a pass is confirmed.
func provisional(t *testing.T, s *readstore.Store, at time.Time) read.Record {
	t.Helper()
	storedPlates++
	r := rec(fmt.Sprintf("PV%05d", storedPlates), at, "u33d")
	r.ID = 0
	if _, err := s.InsertProvisional(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// finalize ends r's pass in s and hands it over, as the agent does.
func (e *env) finalize(t *testing.T, s *readstore.Store, r read.Record) int64 {
	t.Helper()
	seq, err := s.Finalize(context.Background(), &r)
	if err != nil {
		t.Fatal(err)
	}
	e.p.OfferFinal(r, seq)
	return seq
}

// wantSampled checks which reads the holding queue holds a sample of.
func (e *env) wantSampled(t *testing.T, when string, yes, no []read.Record) {
	t.Helper()
	for _, r := range yes {
		if !sampled(t, e.p.db, r) {
			t.Errorf("%s: read %d (%s) has no sample", when, r.ID, r.Plate)
		}
	}
	for _, r := range no {
		if sampled(t, e.p.db, r) {
			t.Errorf("%s: read %d (%s), stored before the consent, was sampled", when, r.ID, r.Plate)
		}
	}
}

func (e *env) boundary(t *testing.T) int64 {
	t.Helper()
	b, ok, err := e.p.Boundary()
	if err != nil || !ok {
		t.Fatalf("Boundary() = %d, %v, %v", b, ok, err)
	}
	return b
}

// TestProvisionalBeforeOptInIsNeverSampled: passes confirmed (their
// provisional read stored) while the programme is off and ended after the
// opt-in get final_seqs above the cursor, yet are never sampled, in
// whichever order the passes end; a pass confirmed after the opt-in is.
// Each refusal is counted as before_consent.
func TestProvisionalBeforeOptInIsNeverSampled(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	off := cfg
	off.Enabled = false
	e, s := newFollowing(t, off)
	early := provisional(t, s, t0)
	late := provisional(t, s, t0.Add(time.Second))
	if err := e.p.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if b := e.boundary(t); b != late.ID {
		t.Fatalf("boundary %d after the opt-in, want the newest read id %d", b, late.ID)
	}
	after := provisional(t, s, t0.Add(2*time.Second))
	e.finalize(t, s, late)
	e.finalize(t, s, after)
	last := e.finalize(t, s, early) // ends last: the highest final_seq, the lowest id
	e.flush(t, false)
	e.wantSampled(t, "after the opt-in", []read.Record{after}, []read.Record{early, late})
	if n := e.counter(t, "suppressed", ReasonBeforeConsent); n != 2 || e.counter(t, "made") != 1 {
		t.Errorf("before_consent %v, made %v; want 2 and 1", n, e.counter(t, "made"))
	}
	if c := e.cursor(t); c != last {
		t.Errorf("cursor %d, want %d: a read refused for its consent is decided", c, last)
	}
}

// TestBoundarySurvivesRestartAndCrash: a pass confirmed before the opt-in is
// still open when the agent dies; the store makes it final when it opens
// again, above the cursor, and the next start, which follows the cursor of
// the last run, does not sample it: the boundary was kept with the cursor.
// A pass confirmed after the opt-in and left provisional by the same crash
// is sampled.
func TestBoundarySurvivesRestartAndCrash(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	off := cfg
	off.Enabled = false
	path := filepath.Join(t.TempDir(), "reads.db")
	s := openStore(t, path)
	e := newEnv(t, off)
	e.follow(t, s)
	before := provisional(t, s, t0)
	if err := e.p.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	b := e.boundary(t)
	after := provisional(t, s, t0.Add(time.Second))
	done := provisional(t, s, t0.Add(2*time.Second))
	e.finalize(t, s, done)
	e.flush(t, false)
	e.p.Close()
	s.Close() // the crash: before and after stay provisional

	s = openStore(t, path) // makes them final, above the cursor
	e.start(t)
	e.follow(t, s)
	e.flush(t, false)
	if got := e.boundary(t); got != b {
		t.Errorf("boundary %d after the restart, want %d", got, b)
	}
	e.wantSampled(t, "after the restart", []read.Record{after, done}, []read.Record{before})
	if n := e.counter(t, "suppressed", ReasonBeforeConsent); n != 1 {
		t.Errorf("before_consent %v after the restart, want 1", n)
	}

	// A pass confirmed before the opt-in that ends only now is refused too.
	e.p.Close()
	s.Close()
	s = openStore(t, path)
	old := provisional(t, s, t0.Add(3*time.Second))
	e.cfg = off
	e.start(t)
	e.follow(t, s)
	e.p.Close()
	e.cfg = cfg
	e.start(t) // opted in while stopped
	e.follow(t, s)
	e.finalize(t, s, old)
	e.flush(t, false)
	e.wantSampled(t, "after an opt-in while stopped", nil, []read.Record{old})
	if e.counter(t, "made") != 0 {
		t.Errorf("made %v", e.counter(t, "made"))
	}
}

// TestWithdrawResumeMovesTheBoundary: after a withdrawal and a resumption,
// no pass confirmed before the resumption is sampled, not even one
// confirmed while the tenant still took part (the withdrawal purged what
// was made of that time); a pass confirmed after the resumption is.
func TestWithdrawResumeMovesTheBoundary(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e, s := newFollowing(t, cfg)
	consented := provisional(t, s, t0)
	if _, err := e.p.Withdraw("test"); err != nil {
		t.Fatal(err)
	}
	withdrawn := provisional(t, s, t0.Add(time.Second))
	if err := ResumeOffline(cfg, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.flush(t, false) // the release step notices the resumption
	if !e.p.Enabled() {
		t.Fatal("not enabled after the resumption")
	}
	if b := e.boundary(t); b != withdrawn.ID {
		t.Fatalf("boundary %d after the resumption, want %d", b, withdrawn.ID)
	}
	resumed := provisional(t, s, t0.Add(2*time.Second))
	for _, r := range []read.Record{resumed, withdrawn, consented} {
		e.finalize(t, s, r)
	}
	e.flush(t, false)
	e.wantSampled(t, "after the resumption", []read.Record{resumed}, []read.Record{consented, withdrawn})
	if n := e.counter(t, "suppressed", ReasonBeforeConsent); n != 2 {
		t.Errorf("before_consent %v, want 2", n)
	}
}

// TestNewQueueOnAnOldStore: a programme whose holding queue is new (first
// start, or the queue file was lost) follows a store that already holds an
// open pass: that pass is not sampled when it ends, a later one is.
func TestNewQueueOnAnOldStore(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	s := openStore(t, filepath.Join(t.TempDir(), "reads.db"))
	storeReads(t, s, 2)
	open := provisional(t, s, t0)
	e := newEnv(t, cfg)
	e.follow(t, s)
	later := provisional(t, s, t0.Add(time.Second))
	e.finalize(t, s, open)
	e.finalize(t, s, later)
	e.flush(t, false)
	e.wantSampled(t, "on a new queue", []read.Record{later}, []read.Record{open})
}

// TestQueueWithoutBoundary: a holding queue written before the boundary
// existed (a cursor by final_seq, following) gets, at the next Follow, the
// newest read id as its boundary: a pass confirmed before then is not
// sampled when it ends, whatever consent it was confirmed under (that is
// not known), while the cursor is kept. A queue whose cursor counted read
// ids gets boundary 0: every read of that time was final when stored.
func TestQueueWithoutBoundary(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	path := filepath.Join(t.TempDir(), "reads.db")
	s := openStore(t, path)
	reads := storeReads(t, s, 3)
	open := provisional(t, s, t0)
	writeOldCursor(t, cfg.QueuePath, "final_seq", reads[1].seq, path)

	e := newEnv(t, cfg)
	if _, ok, err := e.p.Boundary(); err != nil || ok {
		t.Fatalf("Boundary() of the old queue: set %v, %v; want unknown", ok, err)
	}
	e.follow(t, s)
	if b := e.boundary(t); b != open.ID {
		t.Errorf("boundary %d, want the newest read id %d", b, open.ID)
	}
	later := provisional(t, s, t0.Add(time.Second))
	e.finalize(t, s, open)
	e.finalize(t, s, later)
	e.flush(t, false)
	e.wantSampled(t, "after the upgrade", []read.Record{later}, []read.Record{reads[0].Record, reads[1].Record, reads[2].Record, open})
	if n := e.counter(t, "suppressed", ReasonBeforeConsent); n != 2 {
		t.Errorf("before_consent %v, want the read left undecided and the open pass", n)
	}
}
