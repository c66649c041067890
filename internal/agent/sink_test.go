package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/alpr/track"
	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/events"
	"github.com/edge-agent/edge-agent/internal/gps"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

type discardSink struct{}

func (discardSink) Enqueue([]byte) error { return nil }

// sinkAgent is a live agent with the stages the sink uses: a real store, a
// static GPS fix, and an opted-in improvement programme following the store.
func sinkAgent(t *testing.T, logs *bytes.Buffer) (*Agent, *config.Conf) {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Store.Path = filepath.Join(dir, "reads.db")
	cfg.Improvement.Enabled = true
	cfg.Improvement.QueuePath = filepath.Join(dir, "improvement.db")
	cfg.Improvement.AuditPath = filepath.Join(dir, "audit.log")
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	a := &Agent{opts: Options{Pace: capture.PaceLive}, log: log, reg: reg, m: newMetrics(reg)}
	var err error
	if a.store, err = store.Open(cfg.Store.Path, cfg.Store, log, reg); err != nil {
		t.Fatal(err)
	}
	if a.gps, err = gps.Open("static:52.52,13.40", cfg.GPS, log, nil); err != nil {
		t.Fatal(err)
	}
	if a.prog, err = improvement.New(cfg.Improvement, cfg.Identity, discardSink{}, log, reg, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.prog.Follow(context.Background(), a.store); err != nil {
		t.Fatal(err)
	}
	a.prog.Start()
	t.Cleanup(a.closeStages)
	return a, cfg
}

// see feeds one frame's reading of text to ct at at, as analyse does, and
// returns what it hands to the sink.
func see(t *testing.T, ct *cameraTracker, camera string, at time.Time, text string, x int) []recordOut {
	t.Helper()
	cc := make([]float64, len(text))
	for i := range cc {
		cc[i] = 0.9
	}
	p, err := ct.t.Observe(track.Observation{
		Time: at, Camera: camera, Box: image.Rect(x, 100, x+120, 130),
		Candidates: []plate.Reading{{Text: text, Conf: 0.9, CharConfs: cc}},
		Snapshot: func() track.Snapshot {
			return track.Snapshot{Crop: []byte(fmt.Sprint("jpeg ", at.UnixNano())), CropBox: image.Rect(5, 5, 125, 35)}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		return nil
	}
	return []recordOut{{pass: *p, handed: time.Now()}}
}

// countLogged returns how many lines of the JSON log in logs say msg at
// info level or above, and fails the test on any such line that holds one
// of plates (plates are logged at debug level only).
func countLogged(t *testing.T, logs *bytes.Buffer, msg string, plates ...string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var e struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e.Level == "DEBUG" {
			continue
		}
		for _, p := range plates {
			if strings.Contains(line, p) {
				t.Errorf("a plate in an %s log line: %s", e.Level, line)
			}
		}
		if e.Msg == msg {
			n++
		}
	}
	return n
}

// TestReadIsStoredAtConfirmationAndCompletedAtPassEnd: a pass's read is
// stored, durable, at the frame that confirms the pass (the second with its
// plate), logged at info once and without its plate, timed from its first
// frame, and left out of the improvement programme; at the pass's end the
// same row takes the final record (all frames, the best frame's crop, its
// GPS fix) and only then is it offered. A final record that overtakes its
// provisional one is stored once all the same.
func TestReadIsStoredAtConfirmationAndCompletedAtPassEnd(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	a, cfg := sinkAgent(t, &logs)
	cam := cfg.Cameras[0]
	ct, err := newCameraTracker(cam, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter()
	t0 := time.Now().Add(-3 * time.Second)
	frame := func(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }

	if out := see(t, ct, cam.Name, frame(0), "RK105AB", 100); len(out) != 0 {
		t.Fatalf("one frame handed over %d reads; alpr.min_frames is %d", len(out), cfg.ALPR.MinFrames)
	}
	out := see(t, ct, cam.Name, frame(1), "RK105AB", 110)
	if len(out) != 1 || out[0].pass.Final {
		t.Fatalf("the confirming frame handed over %+v, want one provisional read", out)
	}
	a.write(w, out[0])
	if n, _ := a.store.Count(ctx); n != 1 {
		t.Fatalf("%d rows after the confirmation, want 1", n)
	}
	var prov read.Record
	if err := a.store.Query(ctx, time.Time{}, func(r read.Record) error { prov = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if prov.Frames != 2 || prov.Fix == nil || !prov.Fix.Time.Equal(prov.CapturedAt) {
		t.Errorf("provisional row: %d frames, fix %+v at %v; want 2 frames and the fix of its best frame", prov.Frames, prov.Fix, prov.CapturedAt)
	}
	if c, s := histogram(t, a.m.frameToRead); c != 1 || s < time.Since(frame(0)).Seconds()-1 || s > time.Since(frame(0)).Seconds() {
		t.Errorf("frame-to-read: %d observations, %.2f s; want one of the time since the first frame", c, s)
	}
	if _, err := a.prog.Flush(ctx, improvement.FlushOptions{SkipJitter: true}); err != nil {
		t.Fatal(err)
	}
	if c, err := a.prog.Cursor(); err != nil || c != 0 {
		t.Fatalf("improvement cursor %d (%v) after a provisional read; it must wait for the final one", c, err)
	}

	for i := 2; i < 6; i++ {
		if out := see(t, ct, cam.Name, frame(i), "RK105AB", 100+10*i); len(out) != 0 {
			t.Fatalf("frame %d confirmed the pass again", i)
		}
	}
	ended := ct.tick(frame(5).Add(cfg.ALPR.TrackTimeout))
	if len(ended) != 1 || !ended[0].pass.Final || ended[0].pass.Key != out[0].pass.Key {
		t.Fatalf("pass end handed over %+v, want the final record of the same pass", ended)
	}
	a.write(w, ended[0])
	final, err := a.store.Get(ctx, prov.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := a.store.Count(ctx); n != 1 || final.Frames != 6 || final.Plate != "RK105AB" ||
		!final.Fix.Time.Equal(final.CapturedAt) || string(final.Crop) != fmt.Sprint("jpeg ", final.CapturedAt.UnixNano()) {
		t.Errorf("after the pass's end: %d rows; row %d has %d frames, plate %q, crop %q, fix at %v; want one row, 6 frames, the best frame's crop and fix",
			n, final.ID, final.Frames, final.Plate, final.Crop, final.Fix.Time)
	}
	if _, err := a.prog.Flush(ctx, improvement.FlushOptions{SkipJitter: true}); err != nil {
		t.Fatal(err)
	}
	if c, err := a.prog.Cursor(); err != nil || c != 1 {
		t.Errorf("improvement cursor %d (%v) after the final read, want final_seq 1", c, err)
	}
	if c, _ := histogram(t, a.m.passEnd); c != 1 {
		t.Errorf("pass end to read: %d observations, want 1", c)
	}

	// Another pass, whose final record reaches the sink first.
	see(t, ct, cam.Name, frame(40), "BA302OZ", 600)
	late := see(t, ct, cam.Name, frame(41), "BA302OZ", 610)
	flushed := ct.flush()
	if len(late) != 1 || len(flushed) != 1 {
		t.Fatalf("second pass: %d provisional, %d final reads", len(late), len(flushed))
	}
	a.write(w, flushed[0])
	a.write(w, late[0])
	if n, _ := a.store.Count(ctx); n != 2 {
		t.Errorf("%d rows for two passes, want 2", n)
	}

	if infos := countLogged(t, &logs, "read stored", "RK105AB", "BA302OZ"); infos != 2 {
		t.Errorf("%d 'read stored' lines at info for two passes, want 2:\n%s", infos, logs.String())
	}
	if a.sum.stored.Load() != 2 {
		t.Errorf("summary: %d reads stored, want 2", a.sum.stored.Load())
	}
}

// TestWithdrawnPassLeavesNoRow: a pass confirmed by its first two frames,
// whose next three each read another character at one place, ends with a
// record too weak to keep (that character's share of the votes is 0.4):
// its provisional row is deleted, never offered to the improvement
// programme, and the summary no longer counts it; the info log says so
// without the plate. The same pass whose withdrawal reaches the sink before
// its provisional read leaves no row either.
// weakPass runs one vehicle pass, from frame from on, whose first two
// frames confirm RK105AB and whose later ones disagree, so that its final
// record is withdrawn; it returns the pass's provisional read and its
// withdrawal, as analyse hands them to the sink.
func weakPass(t *testing.T, cfg *config.Conf, t0 time.Time, from int) (provisional, final []recordOut) {
	t.Helper()
	cam := cfg.Cameras[0]
	ct, err := newCameraTracker(cam, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"RK105AB", "RK105AB", "RK108AB", "RK10BAB", "RK106AB"} {
		at := t0.Add(time.Duration(from+i) * 100 * time.Millisecond)
		provisional = append(provisional, see(t, ct, cam.Name, at, text, 100+10*i)...)
	}
	final = ct.flush()
	if len(provisional) != 1 || len(final) != 1 || !final[0].pass.Withdrawn {
		t.Fatalf("pass: %d provisional reads, final %+v; want one provisional read and its withdrawal", len(provisional), final)
	}
	return provisional, final
}

func TestWithdrawnPassLeavesNoRow(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	a, cfg := sinkAgent(t, &logs)
	w := newWriter()
	t0 := time.Now().Add(-10 * time.Second)

	prov, final := weakPass(t, cfg, t0, 0)
	a.write(w, prov[0])
	if n, _ := a.store.Count(ctx); n != 1 {
		t.Fatalf("%d rows after the confirmation, want 1", n)
	}
	a.write(w, final[0])
	if n, _ := a.store.Count(ctx); n != 0 {
		t.Errorf("%d rows after the withdrawal, want none", n)
	}
	if _, err := a.prog.Flush(ctx, improvement.FlushOptions{SkipJitter: true}); err != nil {
		t.Fatal(err)
	}
	if c, err := a.prog.Cursor(); err != nil || c != 0 {
		t.Errorf("improvement cursor %d (%v): a withdrawn read was offered", c, err)
	}
	if a.sum.stored.Load() != 0 {
		t.Errorf("summary: %d reads stored, want 0", a.sum.stored.Load())
	}

	prov, final = weakPass(t, cfg, t0, 100)
	a.write(w, final[0])
	a.write(w, prov[0])
	if n, _ := a.store.Count(ctx); n != 0 {
		t.Errorf("%d rows after a withdrawal that overtook its provisional read, want none", n)
	}

	if withdrawn := countLogged(t, &logs, "read withdrawn at the end of its pass: too weak over all its frames", "RK10"); withdrawn != 1 {
		t.Errorf("%d 'read withdrawn' lines at info, want 1 (the overtaken pass had no row):\n%s", withdrawn, logs.String())
	}
}

// TestWithdrawnPassTakesBackItsAlert: the agent's events producer alerts
// on a listed plate as soon as the pass's read is stored; when the pass is
// withdrawn at its end, a withdrawal of that alert follows it on the alert
// queue, and no read event is sent.
func TestWithdrawnPassTakesBackItsAlert(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	a, cfg := sinkAgent(t, &logs)
	dir := t.TempDir()
	cfg.Hotlist.File = filepath.Join(dir, "hotlist.csv")
	if err := os.WriteFile(cfg.Hotlist.File, []byte("RK105AB,test,high\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Events.Enabled = true
	cfg.Uplink.OutboxPath = filepath.Join(dir, "outbox.db")
	var err error
	if a.outbox, err = uplink.OpenOutbox(cfg.Uplink.OutboxPath, uplink.OutboxOptionsFrom(cfg.Uplink)); err != nil {
		t.Fatal(err)
	}
	if err := a.openEvents(cfg, a.log, a.reg); err != nil {
		t.Fatal(err)
	}
	w := newWriter()
	prov, final := weakPass(t, cfg, time.Now().Add(-10*time.Second), 0)
	a.write(w, prov[0])
	if err := a.prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.write(w, final[0])
	if err := a.prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	dest := a.outlets.Dests[0]
	es, err := dest.Alerts.Peek(10)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	ids := map[int64]bool{}
	for _, e := range es {
		var m events.Message
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			t.Fatal(err)
		}
		types, ids[m.RecordID] = append(types, m.Type), true
	}
	if strings.Join(types, ",") != events.TypeAlert+","+events.TypeWithdrawal || len(ids) != 1 {
		t.Errorf("alert queue: %v about %d reads; want an alert and its withdrawal, about one read", types, len(ids))
	}
	if _, err := dest.Reads.Peek(1); !errors.Is(err, uplink.ErrEmpty) {
		t.Errorf("read events queue: %v, want empty (a withdrawn read has no read event)", err)
	}
	if n := countLogged(t, &logs, "hotlist alert withdrawn: its read was withdrawn at the end of its pass", "RK10"); n != 1 {
		t.Errorf("%d 'hotlist alert withdrawn' lines at info, want 1:\n%s", n, logs.String())
	}
}
