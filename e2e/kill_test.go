package e2e

import (
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// outboxIDs returns the sample ids queued in the outbox at path (the agent
// must not be running: this takes the writer lock). Every entry is left in
// place.
func outboxIDs(t *testing.T, path string) []string {
	t.Helper()
	ob, err := uplink.OpenOutbox(path, uplink.OutboxOptions{})
	if err != nil {
		t.Fatalf("open the outbox after the kill: %v", err)
	}
	defer ob.Close()
	es, err := ob.Peek(1 << 20)
	if errors.Is(err, uplink.ErrEmpty) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		var p struct {
			SampleID string `json:"sample_id"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Errorf("outbox entry %d: %v", e.Seq, err)
		}
		ids = append(ids, p.SampleID)
		if err := e.Leave(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// bucketOf returns the time_bucket_start of a sample payload.
func bucketOf(t *testing.T, payload []byte) string {
	t.Helper()
	s, err := sanitize.ParsePayload(payload)
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return s.TimeBucketStart
}

// TestReplaySIGKILL kills an opted-in replay at a random moment after
// some reads were reported stored, then restarts the agent on the same
// files: the read database passes integrity_check and holds every read
// reported stored, every sample that existed at the kill (held or in the
// outbox) reaches the broker after the restart, and so does a sample of
// every read stored before the kill that the release rules allow one for,
// including the reads the killed agent had stored but not yet made a
// sample of.
func TestReplaySIGKILL(t *testing.T) {
	needIntegration(t)
	v := synthetic(t)
	_, sub, s, camera := optedIn(t, v)
	src := s.Conf.Cameras[0].Source
	s.write()
	clock := pastClock()

	p := startAgent(t, "replay", "--config", s.CfgPath, "--clock-start", clock.Format(time.RFC3339), src)
	// The video has syntheticPasses (4) passes, read about 2 s apart at
	// --pace max: kill after the second read and a random wait of up to
	// 1 s, so that a read is still to come while the queue is locked.
	p.waitStored(2, replayTimeout)
	time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
	if !p.running() {
		t.Fatal("the replay ended before the kill: kill it earlier")
	}
	// Hold the holding queue's write lock, as a slow or busy gateway holds
	// up the making of samples, until the agent stores one more read, and
	// kill it then: the kill falls between reads stored and their samples.
	// (A sample held up longer than the queue's busy timeout fails and does
	// not move the cursor, so the restart owes it too.)
	release := lockQueue(t, s.Conf.Improvement.QueuePath)
	if !p.storedWithin(len(p.stored())+1, 2*time.Minute) {
		release()
		t.Fatal("no read stored while the holding queue was locked: the replay ended, or reads stopped")
	}
	p.kill()
	release()
	reported := p.stored()

	integrityCheck(t, s.Conf.Store.Path)
	integrityCheck(t, s.Conf.Improvement.QueuePath)
	integrityCheck(t, s.Conf.Uplink.OutboxPath)
	reads := storedReads(t, s.Conf.Store.Path)
	checkReported(t, reported, reads)
	held, _ := improvementStatus(t, s)
	queued := outboxIDs(t, s.Conf.Uplink.OutboxPath)
	before := checkMessages(t, s, sub.Messages(), s.secrets(camera))
	t.Logf("killed after %d reads reported stored (%d stored): %d samples held, %d in the outbox, %d published",
		len(reported), len(reads), held, len(queued), len(before))

	// Restart on the same files with a short video an hour earlier, so that
	// its own samples fall in another bucket than the killed run's.
	sv := short(t)
	src2, camera2 := linkVideo(t, s.Dir, sv)
	clock2 := clock.Add(-time.Hour)
	p2 := startAgent(t, "replay", "--config", s.CfgPath, "--clock-start", clock2.Format(time.RFC3339), src2)
	if err := p2.wait(replayTimeout); err != nil {
		t.Fatalf("restarted replay failed: %v\n%s", err, p2.errorText())
	}
	integrityCheck(t, s.Conf.Store.Path)
	all := storedReads(t, s.Conf.Store.Path)
	checkReported(t, reported, all)
	checkReported(t, p2.stored(), all)

	// The killed run's bucket must end up with a sample of every read stored
	// before the kill that the rules allow: more than the samples that
	// existed at the kill (published, queued, held) when the kill fell
	// between a read and its sample.
	var second []read.Record
	for _, r := range all {
		if !r.CapturedAt.Before(clock2) && r.CapturedAt.Before(clock) {
			second = append(second, r)
		}
	}
	wantSecond := expectedSamples(t, s, second)
	firstBucket, _ := sanitize.FloorToBucket(clock, s.Conf.Improvement.TimeBucket)
	wantFirst := expectedSamples(t, s, reads)
	if existed := len(before) + len(queued) + held; existed > wantFirst {
		t.Errorf("%d samples existed at the kill, more than the %d the stored reads allow", existed, wantFirst)
	}
	sub.WaitCount(wantFirst+wantSecond, time.Minute)
	time.Sleep(time.Second)
	msgs := sub.Messages()
	ids := checkMessages(t, s, msgs, s.secrets(camera, camera2))
	for _, id := range queued {
		if ids[id] == 0 {
			t.Errorf("sample %s was in the outbox at the kill and never reached the broker", id)
		}
	}
	first := map[string]bool{}
	for _, m := range msgs {
		if bucketOf(t, m.Payload) == firstBucket.UTC().Format(time.RFC3339) {
			var p struct {
				SampleID string `json:"sample_id"`
			}
			_ = json.Unmarshal(m.Payload, &p)
			first[p.SampleID] = true
		}
	}
	if len(first) != wantFirst {
		t.Errorf("killed run's bucket: %d distinct samples reached the broker, want %d, one per read stored before the kill that the rules allow (%d published before the kill, %d queued, %d held)",
			len(first), wantFirst, len(before), len(queued), held)
	}
	if got := len(ids) - len(first); got != wantSecond {
		t.Errorf("restarted run: %d samples reached the broker, want %d", got, wantSecond)
	}
	if n, _ := improvementStatus(t, s); n != 0 {
		t.Errorf("%d samples still held after the restart", n)
	}
}

// lockQueue takes the write lock of the SQLite file at path until the
// returned function is called.
func lockQueue(t *testing.T, path string) func() {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	return func() {
		_ = tx.Rollback()
		db.Close()
	}
}

// storedWithin reports whether the log reported at least n reads stored
// within timeout.
func (p *agentProc) storedWithin(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		ok, ch := len(storedIDs(p.lines)) >= n, p.changed
		p.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-p.exited:
			return false
		case <-deadline.C:
			return false
		}
	}
}

// checkReported fails for every id the log reported stored that is not in
// reads.
func checkReported(t *testing.T, reported []int64, reads []read.Record) {
	t.Helper()
	in := map[int64]bool{}
	for _, r := range reads {
		in[r.ID] = true
	}
	for _, id := range reported {
		if !in[id] {
			t.Errorf("read %d was reported stored but is not in the database", id)
		}
	}
}
