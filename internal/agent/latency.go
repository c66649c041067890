package agent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/capture"
)

// newPassEndHistogram measures how long a finished vehicle pass waits for its
// read to be stored, from the capture of the frame that ended it. A pass ends
// at the first frame analysed alpr.track_timeout after its plate was last
// seen, so the time from the pass's last frame with its plate to the stored
// read is this plus alpr.track_timeout (plus at most one frame interval).
// Fine buckets, so that p50 and p99 can be read off a scrape.
func newPassEndHistogram(f promauto.Factory) prometheus.Histogram {
	return f.NewHistogram(prometheus.HistogramOpts{
		Name: "edge_pass_end_to_read_seconds",
		Help: "Live cameras: time from the capture of the frame whose analysis ended a vehicle pass " +
			"(its plate unseen for alpr.track_timeout) to the pass's read being stored.",
		Buckets: prometheus.ExponentialBucketsRange(0.005, 20, 40),
	})
}

// tick ends the camera's passes unseen for the track timeout at the capture
// time now and stamps their records with it.
func (c *cameraTracker) tick(now time.Time) []recordOut {
	out := c.keep(c.t.Tick(now))
	for i := range out {
		out[i].ended = now
	}
	return out
}

// observePassEnd records how long the read of r took to be stored after the
// capture of the frame that ended its pass. Only live cameras count: their
// capture times are on the wall clock, a replay's are on the video's.
// Passes flushed at shutdown have no such frame and are left out.
func (a *Agent) observePassEnd(r recordOut) {
	if a.opts.Pace != capture.PaceLive || r.ended.IsZero() {
		return
	}
	a.m.passEnd.Observe(time.Since(r.ended).Seconds())
}
