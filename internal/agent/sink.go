package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

// passKey identifies a vehicle pass among every camera's.
type passKey struct {
	camera string
	key    uint64
}

// sink is the store's only writer. It stores each pass's read as soon as
// the pass is confirmed (provisional) and replaces it with the pass's final
// record when the pass ends, so a pass has one row, or deletes it when that
// record is too weak to keep (track.Pass.Withdrawn); it offers final reads
// to the improvement programme. The GPS fix of each is the one nearest to
// the capture of its record's best frame.
//
// Analysis workers send the reads, so a pass's final record may overtake
// its provisional one (the worker that confirmed the pass had not sent it
// yet when another ended the pass): the final record is then stored in one
// step and the provisional one, when it comes, dropped.
//
// It beats h at every read and while it waits for one (the watchdog).
func (a *Agent) sink(in <-chan recordOut, h *live.Heart) {
	w := newWriter()
	live.Receive(h, in, func(r recordOut) { a.write(w, r) })
}

// writer is the sink's state: what it knows of the passes under way.
type writer struct {
	stored    map[passKey]int64 // confirmed passes: their provisional read's id (0: not stored)
	overtaken map[passKey]bool  // passes whose final record came before the provisional one
}

func newWriter() *writer {
	return &writer{stored: map[passKey]int64{}, overtaken: map[passKey]bool{}}
}

// write stores one read, provisional or final.
func (a *Agent) write(w *writer, r recordOut) {
	k := passKey{r.pass.Record.Camera, r.pass.Key}
	if !r.pass.Final {
		if w.overtaken[k] {
			delete(w.overtaken, k)
			return
		}
		w.stored[k] = a.storeProvisional(r)
		return
	}
	id, ok := w.stored[k]
	delete(w.stored, k)
	if !ok && r.pass.Confirmed {
		w.overtaken[k] = true
	}
	if r.pass.Withdrawn {
		a.withdraw(r, id)
		return
	}
	a.storeFinal(r, id)
}

// withdraw deletes the provisional read id (0: none stored) of a pass that
// ended with a record too weak to keep. Its read event was never sent (read
// events go out when a read is final); a hotlist alert on its provisional
// text may have been, and is then taken back (events.Producer.Withdrawn).
// A read retention deleted meanwhile is gone already, but its alert is
// taken back all the same.
func (a *Agent) withdraw(r recordOut, id int64) {
	if id == 0 {
		return
	}
	rec := r.pass.Record
	rec.ID = id
	rec.Fix = a.gps.Nearest(rec.CapturedAt)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := a.store.Withdraw(ctx, id)
	switch {
	case err == nil:
		a.sum.stored.Add(-1)
		a.log.Info("read withdrawn at the end of its pass: too weak over all its frames", "id", id, "camera", rec.Camera,
			"confidence", round2(rec.Confidence), "frames", rec.Frames)
		a.log.Debug("read withdrawn", "id", id, "plate", string(rec.Plate))
	case !errors.Is(err, store.ErrNotFound):
		a.m.storeErrors.Inc()
		a.log.Error("withdrawing a read failed", "camera", rec.Camera, "error", err)
		return
	}
	if err := a.prod.Withdrawn(rec); err != nil {
		a.log.Error("queueing the withdrawal of a hotlist alert failed; the events producer tries again", "id", id,
			"camera", rec.Camera, "error", err)
	}
}

// storeProvisional stores the read of a pass just confirmed and returns its
// id, or 0 when it fails: the pass's final record is then stored in one
// step at the pass's end.
func (a *Agent) storeProvisional(r recordOut) int64 {
	rec := r.pass.Record
	rec.Fix = a.gps.Nearest(rec.CapturedAt)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	id, err := a.store.InsertProvisional(ctx, &rec)
	cancel()
	if err != nil {
		a.m.storeErrors.Inc()
		a.log.Error("storing a read failed", "camera", rec.Camera, "error", err)
		return 0
	}
	a.prod.Notify() // a hotlist alert goes out as soon as the read is stored
	a.stored(r, rec)
	return id
}

// storeFinal replaces the provisional read id (0: none) with the pass's
// final record, or stores it when there is none (the provisional insert
// failed, retention deleted it, or the pass met the keep rules only at its
// end), and offers it to the improvement programme.
func (a *Agent) storeFinal(r recordOut, id int64) {
	rec := r.pass.Record
	rec.Fix = a.gps.Nearest(rec.CapturedAt)
	rec.ID = id
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seq, err := a.store.Finalize(ctx, &rec)
	if errors.Is(err, store.ErrNotFound) {
		rec.ID, id = 0, 0
		seq, err = a.store.Finalize(ctx, &rec)
	}
	if err != nil {
		a.m.storeErrors.Inc()
		a.log.Error("storing a read failed", "camera", rec.Camera, "error", err)
		return
	}
	a.prod.Notify()
	if id == 0 {
		a.stored(r, rec)
	} else {
		a.m.readLatency.Observe(time.Since(r.handed).Seconds())
		a.log.Debug("read updated at the end of its pass", "id", rec.ID, "plate", string(rec.Plate),
			"confidence", round2(rec.Confidence), "frames", rec.Frames, "fix", rec.Fix != nil)
	}
	a.observePassEnd(r)
	a.prog.OfferFinal(rec, seq)
}

// stored counts and logs a read that got its row.
func (a *Agent) stored(r recordOut, rec read.Record) {
	a.sum.stored.Add(1)
	a.m.readLatency.Observe(time.Since(r.handed).Seconds())
	a.observeFrameToRead(r)
	a.log.Info("read stored", "id", rec.ID, "camera", rec.Camera, "confidence", round2(rec.Confidence),
		"frames", rec.Frames, "fix", rec.Fix != nil)
	args := []any{"id", rec.ID, "plate", string(rec.Plate), "region", rec.Region}
	if a.opts.Pace == capture.PaceLive { // a replay's capture times are on the video's clock
		args = append(args, "since_first_read", time.Since(r.pass.First).Round(time.Millisecond))
	}
	a.log.Debug("read stored", args...)
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// storeWritable is the store's health check: the disk is not full for it
// (store.Check) and its folder takes a write.
func (a *Agent) storeWritable() error {
	if err := a.store.Check(); err != nil {
		return err
	}
	dir := filepath.Dir(a.store.Path())
	f, err := os.CreateTemp(dir, ".healthz-*")
	if err != nil {
		return fmt.Errorf("store folder %q is not writable: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// cameraNameFor names the camera of a replayed video after its file.
func cameraNameFor(path string, i int) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := strings.Trim(nonName.ReplaceAllString(base, "-"), "-")
	if len(name) > 28 {
		name = name[:28]
	}
	if name == "" {
		name = "video"
	}
	return fmt.Sprintf("%s-%d", name, i)
}

// warnEvery is how often one warning of the analysis is logged at most,
// with the number of times it was suppressed meanwhile: a camera whose
// every frame fails must not fill the log.
const warnEvery = 10 * time.Second

// warnLimited logs a warning at most once every warnEvery per message.
func (a *Agent) warnLimited(msg string, args ...any) {
	a.limiter.mu.Lock()
	st := a.limiter.seen[msg]
	if st == nil {
		st = &limitedWarn{lim: rate.NewLimiter(rate.Every(warnEvery), 1)}
		a.limiter.seen[msg] = st
	}
	if !st.lim.Allow() {
		st.suppressed++
		a.limiter.mu.Unlock()
		return
	}
	n := st.suppressed
	st.suppressed = 0
	a.limiter.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	a.log.Warn(msg, args...)
}

type limitedWarn struct {
	lim        *rate.Limiter
	suppressed int
}

type logLimiter struct {
	mu   sync.Mutex
	seen map[string]*limitedWarn
}
