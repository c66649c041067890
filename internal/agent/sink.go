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
)

// sink attaches the GPS fix to each finished pass, stores it and offers it
// to the improvement programme. It is the store's only writer.
func (a *Agent) sink(in <-chan recordOut) {
	for r := range in {
		rec := r.rec
		rec.Fix = a.gps.Nearest(rec.CapturedAt)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		id, err := a.store.Insert(ctx, &rec)
		cancel()
		if err != nil {
			a.m.storeErrors.Inc()
			a.log.Error("storing a read failed", "camera", rec.Camera, "error", err)
			continue
		}
		a.sum.stored.Add(1)
		a.m.readLatency.Observe(time.Since(r.seen).Seconds())
		a.observePassEnd(r)
		a.log.Info("read stored", "id", id, "camera", rec.Camera, "confidence", round2(rec.Confidence),
			"frames", rec.Frames, "fix", rec.Fix != nil)
		a.log.Debug("read stored", "id", id, "plate", string(rec.Plate), "region", rec.Region)
		a.prog.Offer(rec)
	}
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// storeWritable is the store's health check: its folder must take a write.
func (a *Agent) storeWritable() error {
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

// warnLimited logs a warning at most once every 10 s per message, with the
// number of times it was suppressed, so a failing camera cannot fill the log.
func (a *Agent) warnLimited(msg string, args ...any) {
	a.limiter.mu.Lock()
	st := a.limiter.seen[msg]
	now := time.Now()
	if now.Sub(st.last) < 10*time.Second {
		st.suppressed++
		a.limiter.seen[msg] = st
		a.limiter.mu.Unlock()
		return
	}
	n := st.suppressed
	a.limiter.seen[msg] = logState{last: now}
	a.limiter.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	a.log.Warn(msg, args...)
}

type logState struct {
	last       time.Time
	suppressed int
}

type logLimiter struct {
	mu   sync.Mutex
	seen map[string]logState
}
