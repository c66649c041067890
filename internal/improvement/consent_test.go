package improvement

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOptedOutMakesAndSendsNothing: with improvement.enabled false, reads
// are offered, time passes far beyond every bucket, Run and Flush run, and
// the sink is never called.
func TestOptedOutMakesAndSendsNothing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Enabled = false
	e := newEnv(t, cfg)
	for i, pl := range plates(12) {
		e.p.Offer(rec(pl, t0.Add(time.Duration(i)*time.Minute), "u33d"))
	}
	e.flush(t, true)
	e.clock.Advance(48 * time.Hour)
	e.flush(t, false)
	if e.p.Enabled() {
		t.Error("Enabled() = true")
	}
	if calls, n, _, _ := e.sink.snapshot(); calls != 0 || n != 0 {
		t.Errorf("sink got %d calls, %d bytes", calls, n)
	}
	if h := e.held(t); h != 0 || e.counter(t, "made") != 0 {
		t.Errorf("held %d, made %v", h, e.counter(t, "made"))
	}
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(`
# HELP edge_improvement_consent 1 for the current consent state of the improvement programme.
# TYPE edge_improvement_consent gauge
edge_improvement_consent{state="opted_in"} 0
edge_improvement_consent{state="opted_out"} 1
edge_improvement_consent{state="withdrawn"} 0
`), "edge_improvement_consent"); err != nil {
		t.Error(err)
	}
}

// TestOptOutWhileStopped: samples held by a run with consent are purged when
// the agent starts again with improvement.enabled false, and the purge is
// audited.
func TestOptOutWhileStopped(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(4) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	if e.held(t) != 4 {
		t.Fatalf("held %d", e.held(t))
	}
	e.p.Close()
	e.cfg.Enabled = false
	e.start(t)
	if h := e.held(t); h != 0 {
		t.Errorf("held %d after a start with the programme off", h)
	}
	entries := readAudit(t, e.cfg.AuditPath)
	if len(entries) != 1 || entries[0].Event != "start" || entries[0].PurgedHeld != 4 {
		t.Errorf("audit = %+v", entries)
	}
}

func readAudit(t *testing.T, path string) []auditEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditEntry
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a auditEntry
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

// TestWithdrawPurgesEverything: a withdrawal purges the holding queue and
// the sink's queue, leaves no payload readable in the queue files, writes
// the audit entry, shows in the metrics, and holds across a restart until
// resumed.
func TestWithdrawPurgesEverything(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(3) { // the 10:00 bucket, released to the sink but not "sent"
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	e.clock.Set(t0.Add(2 * time.Hour))
	if n := e.flush(t, true); n != 3 {
		t.Fatalf("released %d", n)
	}
	for _, pl := range plates(5) { // the 12:00 bucket, held
		e.p.Offer(rec(pl, e.clock.Now(), "u33d"))
	}
	e.flush(t, false)
	var ids []string
	rows, _ := e.p.db.Query(`SELECT payload FROM samples`)
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		var s struct {
			SampleID string `json:"sample_id"`
		}
		json.Unmarshal(b, &s)
		ids = append(ids, s.SampleID)
	}
	rows.Close()
	if len(ids) != 5 {
		t.Fatalf("held %d", len(ids))
	}

	n, err := e.p.Withdraw("tenant request")
	if err != nil || n != 8 {
		t.Fatalf("Withdraw = %d, %v; want 8", n, err)
	}
	if e.p.Enabled() || e.held(t) != 0 {
		t.Errorf("enabled %v, held %d", e.p.Enabled(), e.held(t))
	}
	if _, _, queued, _ := e.sink.snapshot(); queued != 0 {
		t.Errorf("sink still holds %d", queued)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.cfg.QueuePath + suffix)
		if err != nil {
			continue
		}
		for _, id := range ids {
			if bytes.Contains(b, []byte(id)) {
				t.Errorf("purged sample %s still readable in %s", id, e.cfg.QueuePath+suffix)
			}
		}
	}
	a := readAudit(t, e.cfg.AuditPath)
	if len(a) != 1 || a[0].Event != "withdraw" || a[0].Reason != "tenant request" || a[0].PurgedHeld != 5 || a[0].PurgedOutbox != 3 || !a[0].Time.Equal(e.clock.Now()) {
		t.Errorf("audit = %+v", a)
	}
	if e.counter(t, "purged") != 8 || testutil.ToFloat64(e.p.m.lastWithdrawal) != float64(e.clock.Now().Unix()) ||
		testutil.ToFloat64(e.p.m.consent.WithLabelValues(StateWithdrawn)) != 1 {
		t.Errorf("metrics: purged %v, last %v", e.counter(t, "purged"), testutil.ToFloat64(e.p.m.lastWithdrawal))
	}

	// Nothing is made after the withdrawal, even across a restart with the
	// config still saying enabled.
	e.p.Offer(rec("ZZ999", e.clock.Now(), "u33d"))
	e.flush(t, true)
	e.p.Close()
	e.start(t)
	e.p.Offer(rec("ZZ998", e.clock.Now(), "u33d"))
	e.flush(t, true)
	if e.p.Enabled() || e.held(t) != 0 || e.counter(t, "made") != 0 {
		t.Errorf("after restart: enabled %v, held %d", e.p.Enabled(), e.held(t))
	}
	st, err := StatusOffline(e.cfg)
	if err != nil || !st.Withdrawn || st.Reason != "tenant request" || st.Held != 0 {
		t.Errorf("status %+v, %v", st, err)
	}
	// Resuming by command takes effect at the next step.
	if err := ResumeOffline(e.cfg, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.flush(t, false)
	if !e.p.Enabled() {
		t.Error("not enabled after resume")
	}
	if info, err := os.Stat(e.cfg.AuditPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, %v", info.Mode(), err)
	}
}

// TestApplyOptOut: turning improvement.enabled off by a config reload purges
// at once and audits; turning it on again audits the opt-in.
func TestApplyOptOut(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(2) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	off := e.cfg
	off.Enabled = false
	if err := e.p.Apply(off); err != nil {
		t.Fatal(err)
	}
	if e.p.Enabled() || e.held(t) != 0 || e.counter(t, "purged") != 2 {
		t.Errorf("after opt-out: enabled %v, held %d, purged %v", e.p.Enabled(), e.held(t), e.counter(t, "purged"))
	}
	if err := e.p.Apply(e.cfg); err != nil {
		t.Fatal(err)
	}
	a := readAudit(t, e.cfg.AuditPath)
	if len(a) != 2 || a[0].Event != "opt-out" || a[0].PurgedHeld != 2 || a[1].Event != "opt-in" || !e.p.Enabled() {
		t.Errorf("audit %+v, enabled %v", a, e.p.Enabled())
	}
	moved := e.cfg
	moved.QueuePath += ".other"
	if err := e.p.Apply(moved); err == nil || !strings.Contains(err.Error(), "cannot change without a restart") {
		t.Errorf("Apply with another queue path: %v", err)
	}
	bad := e.cfg
	bad.BelowThreshold = "keep"
	if err := e.p.Apply(bad); err == nil || err.Error() != `'improvement.below_threshold' must be generalize or drop, not "keep"` {
		t.Errorf("Apply(bad) = %v", err)
	}
}

// TestWithdrawOfflineWhileRunning: "edge-agent improvement withdraw" run
// beside a live agent purges the queue file at once; the agent then makes
// nothing more and purges its sink at its next step.
func TestWithdrawOfflineWhileRunning(t *testing.T) {
	e := newEnv(t, testConfig(t))
	e.releaseThree(t)
	e.p.Offer(rec("AB123", e.clock.Now(), "u33d"))
	e.p.Offer(rec("AB124", e.clock.Now(), "u33d"))
	e.flush(t, false) // 2 held

	held, sent, err := WithdrawOffline(e.cfg, "by command", nil, e.clock.Now())
	if err != nil || held != 2 || sent != 0 {
		t.Fatalf("WithdrawOffline = %d, %d, %v", held, sent, err)
	}
	e.p.Offer(rec("AB125", e.clock.Now(), "u33d")) // may still pass the in-memory gate
	e.flush(t, true)
	if e.p.Enabled() || e.held(t) != 0 || e.counter(t, "made") != 5 {
		t.Errorf("enabled %v, held %d, made %v", e.p.Enabled(), e.held(t), e.counter(t, "made"))
	}
	if _, _, queued, _ := e.sink.snapshot(); queued != 0 {
		t.Errorf("sink holds %d", queued)
	}
	a := readAudit(t, e.cfg.AuditPath)
	if len(a) != 2 || a[0].PurgedHeld != 2 || a[1].PurgedOutbox != 3 {
		t.Errorf("audit %+v", a)
	}
}

// TestConsentedReadsTheWithdrawalRecord: the uplink's gate closes as soon
// as "edge-agent improvement withdraw" has committed the withdrawal to the
// holding queue, not at the programme's next step (the fake clock never
// brings the release loop's 30 s poll), and the gate seeing it makes the
// release loop follow the withdrawal at once: the sink is purged and the
// purge audited with its count.
func TestConsentedReadsTheWithdrawalRecord(t *testing.T) {
	e := newEnv(t, testConfig(t))
	e.releaseThree(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-e.clock.waiting // the loop took its first step and sleeps
	if ok, err := e.p.Consented(); !ok || err != nil {
		t.Fatalf("Consented before the withdrawal = %v, %v", ok, err)
	}

	if _, _, err := WithdrawOffline(e.cfg, "by command", nil, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.p.Consented(); ok || err != nil {
		t.Fatalf("Consented right after the withdrawal = %v, %v; want false", ok, err)
	}
	for _, step := range []struct {
		what string
		ch   chan struct{}
	}{{"purge the sink", e.sink.purged}, {"sleep again after following the withdrawal", e.clock.waiting}} {
		select {
		case <-step.ch:
		case <-time.After(time.Minute):
			t.Fatalf("the release loop did not %s once the gate saw the withdrawal", step.what)
		}
	}
	if _, _, queued, _ := e.sink.snapshot(); queued != 0 {
		t.Errorf("sink holds %d after the purge", queued)
	}
	a := readAudit(t, e.cfg.AuditPath)
	if len(a) != 2 || a[1].PurgedOutbox != 3 || !strings.Contains(a[1].Reason, "running agent") {
		t.Errorf("audit %+v; want the command's entry, then the running programme's purge of 3", a)
	}
}

// releaseThree makes three samples in one cell and bucket and releases them
// to the sink, two hours later.
func (e *env) releaseThree(t *testing.T) {
	t.Helper()
	for _, pl := range plates(3) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	e.clock.Set(t0.Add(2 * time.Hour))
	e.flush(t, true)
}

// TestWithdrawnAndResumedUnseen: a withdrawal and a resumption by command,
// both made before the programme looked, or while it was stopped, still
// purge the sink: the samples released before the withdrawal are never
// sent, and the uplink's gate stays closed until they are purged.
func TestWithdrawnAndResumedUnseen(t *testing.T) {
	e := newEnv(t, testConfig(t))
	withdrawAndResume := func() {
		t.Helper()
		if _, _, err := WithdrawOffline(e.cfg, "by command", nil, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := ResumeOffline(e.cfg, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	lastAudit := func() auditEntry { a := readAudit(t, e.cfg.AuditPath); return a[len(a)-1] }

	e.releaseThree(t)
	withdrawAndResume()
	if ok, err := e.p.Consented(); ok || err != nil {
		t.Fatalf("Consented with the purge owed = %v, %v; want false", ok, err)
	}
	e.flush(t, false) // the release loop's next step
	if _, _, queued, _ := e.sink.snapshot(); queued != 0 {
		t.Fatalf("the sink holds %d samples from before the withdrawal", queued)
	}
	if a := lastAudit(); a.Event != "withdraw" || a.PurgedOutbox != 3 || !strings.Contains(a.Reason, "resumed") {
		t.Errorf("audit %+v; want the running programme's purge of 3", a)
	}
	if ok, err := e.p.Consented(); !ok || err != nil {
		t.Errorf("Consented after the purge, consent resumed = %v, %v", ok, err)
	}

	// While stopped: the next start purges.
	for i := range 2 {
		if err := e.sink.Enqueue(fmt.Appendf(nil, `{"sample_id":"%032x"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	e.p.Close()
	withdrawAndResume()
	e.start(t)
	if _, _, queued, _ := e.sink.snapshot(); queued != 0 {
		t.Fatalf("the sink holds %d samples after a start", queued)
	}
	if a := lastAudit(); a.Event != "start" || a.PurgedOutbox != 2 {
		t.Errorf("audit %+v; want the purge of 2 at start", a)
	}
	if ok, err := e.p.Consented(); !ok || err != nil {
		t.Errorf("Consented after the start, consent resumed = %v, %v", ok, err)
	}
}
