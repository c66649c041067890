package agent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/capture"
)

// latencyBuckets are fine (about 23% wide), so that p50 and p99 can be read
// off a scrape.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.005, 20, 40)

// newFrameToReadHistogram measures how soon a vehicle pass's read is
// stored: from the capture of the first frame in which its plate was read to
// the commit of its row, stored when the pass is confirmed (alpr.min_frames
// searched frames with the plate, confidence at least the camera's
// min_confidence), not when it ends.
func newFrameToReadHistogram(f promauto.Factory) prometheus.Histogram {
	return f.NewHistogram(prometheus.HistogramOpts{
		Name: "edge_frame_to_read_seconds",
		Help: "Live cameras: time from the capture of the first frame in which a vehicle pass's plate was read " +
			"to the commit of the pass's stored read (at the pass's confirmation).",
		Buckets: latencyBuckets,
	})
}

// newPassEndHistogram measures how long an ended vehicle pass waits for its
// final record to replace its stored read, from the capture of the frame
// that ended it: the first frame analysed alpr.track_timeout after its plate
// was last seen.
func newPassEndHistogram(f promauto.Factory) prometheus.Histogram {
	return f.NewHistogram(prometheus.HistogramOpts{
		Name: "edge_pass_end_to_read_seconds",
		Help: "Live cameras: time from the capture of the frame whose analysis ended a vehicle pass " +
			"(its plate unseen for alpr.track_timeout) to the pass's final record being stored.",
		Buckets: latencyBuckets,
	})
}

// tick ends the camera's passes unseen for the track timeout at the capture
// time now and stamps their records with it.
func (c *cameraTracker) tick(now time.Time) []recordOut {
	out := handOver(c.t.Tick(now))
	for i := range out {
		out[i].ended = now
	}
	return out
}

// observeFrameToRead records how long the read of r took to be stored after
// the capture of the first frame with its plate. Only live cameras count, as
// for observePassEnd.
func (a *Agent) observeFrameToRead(r recordOut) {
	if a.opts.Pace != capture.PaceLive {
		return
	}
	a.m.frameToRead.Observe(time.Since(r.pass.First).Seconds())
}

// observePassEnd records how long the final record of r took to be stored
// after the capture of the frame that ended its pass. Only live cameras count: their
// capture times are on the wall clock, a replay's are on the video's.
// Passes flushed at shutdown have no such frame and are left out.
func (a *Agent) observePassEnd(r recordOut) {
	if a.opts.Pace != capture.PaceLive || r.ended.IsZero() {
		return
	}
	a.m.passEnd.Observe(time.Since(r.ended).Seconds())
}
