package improvement

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	readstore "github.com/edge-agent/edge-agent/internal/store"
)

// openStore opens a real read store at path.
func openStore(t *testing.T, path string) *readstore.Store {
	t.Helper()
	s, err := readstore.Open(path, config.Store{Retention: 24 * 365 * time.Hour, MaxBytes: 1 << 30}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// storedPlates numbers the plates of storeReads.
var storedPlates int

// finalRead is a final read of the store with its final_seq.
type finalRead struct {
	read.Record
	seq int64
}

// storeReads stores n final reads of plates never used before in s (every
// one may become a sample under testConfig with MaxPerPlate 1) and returns
// them with their ids and final_seqs.
func storeReads(t *testing.T, s *readstore.Store, n int) []finalRead {
	t.Helper()
	out := make([]finalRead, n)
	for i := range out {
		storedPlates++
		r := rec(fmt.Sprintf("ST%05d", storedPlates), t0.Add(time.Duration(i)*time.Second), "u33d")
		r.ID = 0 // a new read
		seq, err := s.Finalize(context.Background(), &r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = finalRead{r, seq}
	}
	return out
}

// newFollowing starts a programme with cfg that follows a new read store.
func newFollowing(t *testing.T, cfg config.Improvement) (*env, *readstore.Store) {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "reads.db"))
	e := newEnv(t, cfg)
	e.follow(t, s)
	return e, s
}

// follow makes e's programme follow s.
func (e *env) follow(t *testing.T, s *readstore.Store) {
	t.Helper()
	if err := e.p.Follow(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func (e *env) cursor(t *testing.T) int64 {
	t.Helper()
	c, err := e.p.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sampled reports whether the holding queue holds a sample of read event r,
// by its salted event key (only while its bucket is open).
func sampled(t *testing.T, db *sql.DB, r read.Record) bool {
	t.Helper()
	type salt struct {
		id  int64
		key []byte
	}
	var salts []salt
	rows, err := db.Query(`SELECT id, key FROM salts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s salt
		if err := rows.Scan(&s.id, &s.key); err != nil {
			t.Fatal(err)
		}
		salts = append(salts, s)
	}
	rows.Close() // the queue has one connection
	for _, s := range salts {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM samples WHERE salt = ? AND event = ?`, s.id, eventKey(s.key, r)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// TestRestartOffersAgainExactlyTheMissingReads: reads stored but never
// offered (the agent died between the store and the hand-over) are offered
// again from the store at the next start, those already decided are not,
// and each read ends with exactly one sample.
func TestRestartOffersAgainExactlyTheMissingReads(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e, s := newFollowing(t, cfg)
	reads := storeReads(t, s, 10)
	for _, r := range reads[:6] {
		e.p.OfferFinal(r.Record, r.seq)
	}
	e.flush(t, false)
	if c := e.cursor(t); c != reads[5].seq {
		t.Fatalf("cursor %d after deciding reads up to %d", c, reads[5].seq)
	}
	e.p.Close()

	e.start(t)
	e.follow(t, s)
	e.flush(t, false)
	if c := e.cursor(t); c != reads[9].seq {
		t.Errorf("cursor %d after the restart, want %d", c, reads[9].seq)
	}
	for _, r := range reads {
		if !sampled(t, e.p.db, r.Record) {
			t.Errorf("read %d has no sample", r.ID)
		}
	}
	if h := e.held(t); h != 10 {
		t.Errorf("%d samples held, want 10", h)
	}
	if n := testutil.ToFloat64(e.p.m.reoffered); n != 4 {
		t.Errorf("%v reads offered again, want the 4 left undecided", n)
	}
	if d := e.counter(t, "suppressed", ReasonDuplicate); d != 0 || e.counter(t, "made") != 4 {
		t.Errorf("after the restart: made %v, duplicates %v", e.counter(t, "made"), d)
	}
	// A read the cursor passed is not taken again.
	e.p.OfferFinal(reads[2].Record, reads[2].seq)
	e.flush(t, false)
	if e.counter(t, "made") != 4 || e.counter(t, "suppressed", ReasonDuplicate) != 0 {
		t.Errorf("a decided read was made again")
	}
}

// TestFullIntakeLeavesReadsToTheStore: while the worker is stuck, Offer
// never waits and drops nothing stored: what the intake cannot hold is made
// into samples from the store once the worker moves again, in order.
func TestFullIntakeLeavesReadsToTheStore(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxPerPlate = 1
	e, s := newFollowing(t, cfg)
	reads := storeReads(t, s, 60)
	tx, err := e.p.db.Begin() // the only connection: the worker waits for it
	if err != nil {
		t.Fatal(err)
	}
	offered := make(chan struct{})
	go func() {
		defer close(offered)
		for _, r := range reads {
			e.p.OfferFinal(r.Record, r.seq)
		}
	}()
	select {
	case <-offered:
	case <-time.After(10 * time.Second):
		t.Fatal("Offer waited for the stuck worker")
	}
	tx.Rollback()
	e.flush(t, false)
	if busy := e.counter(t, "suppressed", ReasonBusy); busy != 0 {
		t.Errorf("%v stored reads dropped as busy", busy)
	}
	if made := e.counter(t, "made"); made != 60 {
		t.Errorf("made %v samples of 60 reads", made)
	}
	if n := testutil.ToFloat64(e.p.m.reoffered); n < 60-intakeSize-1 {
		t.Errorf("only %v reads offered again from the store", n)
	}
	if c := e.cursor(t); c != reads[59].seq {
		t.Errorf("cursor %d, want %d", c, reads[59].seq)
	}
}

// TestReadsWhileOptedOutNeverBecomeSamples: reads stored while the
// programme is off, or while consent is withdrawn, are not sampled once it
// is on again, while the reads stored after that and left undecided by a
// kill are, at the next start; reads left undecided by a run with consent
// are not sampled after an opt-out.
func TestReadsWhileOptedOutNeverBecomeSamples(t *testing.T) {
	cfg := testConfig(t)
	cfg.Enabled = false
	on := cfg
	on.Enabled = true
	e, s := newFollowing(t, cfg)
	// restart stops the programme as a kill would (what the worker had not
	// taken is lost) and starts it again with c.
	restart := func(c config.Improvement) {
		t.Helper()
		e.p.Close()
		e.cfg = c
		e.start(t)
		e.follow(t, s)
		e.flush(t, false)
	}
	for _, r := range storeReads(t, s, 5) {
		e.p.OfferFinal(r.Record, r.seq)
	}
	if err := e.p.Apply(on); err != nil {
		t.Fatal(err)
	}
	storeReads(t, s, 3) // stored after the opt-in, never handed over
	restart(on)
	if made := e.counter(t, "made"); made != 3 {
		t.Errorf("made %v after the opt-in and a restart, want the 3 reads stored after the opt-in", made)
	}

	// Withdrawn: the reads stored meanwhile stay out after the resumption.
	if _, err := e.p.Withdraw("test"); err != nil {
		t.Fatal(err)
	}
	for _, r := range storeReads(t, s, 4) {
		e.p.OfferFinal(r.Record, r.seq)
	}
	if err := ResumeOffline(on, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.flush(t, false) // the release step notices the resumption
	if !e.p.Enabled() {
		t.Fatal("not enabled after the resumption")
	}
	storeReads(t, s, 2)
	restart(on)
	if made := e.counter(t, "made"); made != 2 {
		t.Errorf("made %v after the resumption and a restart, want the 2 reads stored after it", made)
	}

	// Undecided reads of a run with consent, then a start opted out, then
	// opted in again: nothing of the earlier reads.
	storeReads(t, s, 3)
	restart(cfg)
	restart(on)
	if made := e.counter(t, "made"); made != 0 {
		t.Errorf("made %v from reads stored before an opt-out", made)
	}
	if n := testutil.ToFloat64(e.p.m.reoffered); n != 0 {
		t.Errorf("%v reads offered again after an opt-out", n)
	}
}

// TestCursorOfAnotherStoreIsNotApplied: a queue whose cursor counts in
// another read store starts from the newest read of the one it follows now.
func TestCursorOfAnotherStoreIsNotApplied(t *testing.T) {
	cfg := testConfig(t)
	dir := t.TempDir()
	a := openStore(t, filepath.Join(dir, "a.db"))
	e := newEnv(t, cfg)
	e.follow(t, a)
	e.p.Close()
	b := openStore(t, filepath.Join(dir, "b.db"))
	reads := storeReads(t, b, 5)
	e.start(t)
	e.follow(t, b)
	e.flush(t, false)
	if made := e.counter(t, "made"); made != 0 {
		t.Errorf("made %v samples of another store's reads", made)
	}
	if c := e.cursor(t); c != reads[4].seq {
		t.Errorf("cursor %d, want the newest read %d", c, reads[4].seq)
	}
}
