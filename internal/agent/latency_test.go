package agent

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
)

// A pass that ends on a tick carries the capture time of that tick; only a
// live agent turns it into a pass-end-to-read observation, and a pass ended
// by a flush (no frame ended it) is left out.
func TestPassEndLatencyIsMeasuredFromTheFrameThatEndedThePass(t *testing.T) {
	cfg := config.Defaults()
	cfg.ALPR.MinFrames = 1 // one sighting makes a pass here
	cam := cfg.Cameras[0]
	cam.ALPR.MinConfidence = 0
	ct, err := newCameraTracker(cam, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Minute)
	see(t, ct, cam.Name, t0, "ABC123", 10)
	if got := ct.tick(t0.Add(cfg.ALPR.TrackTimeout / 2)); len(got) != 0 {
		t.Fatalf("pass ended before the track timeout: %d records", len(got))
	}
	end := t0.Add(cfg.ALPR.TrackTimeout)
	got := ct.tick(end)
	if len(got) != 1 || !got[0].ended.Equal(end) {
		t.Fatalf("tick at the timeout: %d records, want 1 ended at %v: %+v", len(got), end, got)
	}

	live := &Agent{opts: Options{Pace: capture.PaceLive}, m: newMetrics(prometheus.NewRegistry())}
	replay := &Agent{opts: Options{Pace: capture.PaceMax}, m: newMetrics(prometheus.NewRegistry())}
	live.observePassEnd(got[0])
	replay.observePassEnd(got[0])
	see(t, ct, cam.Name, end.Add(time.Second), "ABC123", 10)
	flushed := ct.flush()
	if len(flushed) != 1 || !flushed[0].ended.IsZero() {
		t.Fatalf("flush: %+v, want one record without an end frame", flushed)
	}
	live.observePassEnd(flushed[0])

	if c, s := histogram(t, live.m.passEnd); c != 1 || s < time.Minute.Seconds()-cfg.ALPR.TrackTimeout.Seconds() {
		t.Errorf("live: %d observations summing %.1fs, want 1 of at least the time since the ending frame", c, s)
	}
	if c, _ := histogram(t, replay.m.passEnd); c != 0 {
		t.Errorf("replay observed %d pass ends, want none (its capture times are on the video's clock)", c)
	}
}

func histogram(t *testing.T, h prometheus.Histogram) (uint64, float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	m := mfs[0].GetMetric()[0].GetHistogram()
	return m.GetSampleCount(), m.GetSampleSum()
}
