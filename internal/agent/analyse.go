package agent

import (
	"context"
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/track"
	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
)

// maxExpected is the number of expected plates the tracker is asked for
// per searched frame: the engine looks at some of them (alpr.Tuning.MaxLooks).
const maxExpected = 4

// cropMargin is the margin kept around the plate in stored crops, as a share
// of the plate's width and height: more than improvement.margin may ask for
// (at most 10%), so a sample can always be cut from the stored crop.
const cropMargin = 0.15

// recordOut is a vehicle pass's read on its way to the store: provisional,
// at the pass's confirmation, or final, at its end (pass.Final).
type recordOut struct {
	pass   track.Pass
	handed time.Time // when the analysis handed it to the sink (monotonic clock)
	// ended is the capture time of the frame (or live clock) that ended the
	// pass; zero for a provisional read and when a flush ended the pass.
	ended time.Time
}

// cameraTracker is the tracker of one camera with the settings it reads.
type cameraTracker struct {
	t         *track.Tracker
	mu        sync.Mutex
	quality   int
	fullFrame bool

	lastWall time.Time // capture time of the latest frame that reached the analysis
	lastAt   time.Time // when it reached it (wall clock)

	every      time.Duration // least interval between searched frames (alpr.search_rate)
	lastSearch time.Duration // Mono of the last searched frame
	searched   bool          // a frame was searched already

	gated bool // the camera's motion gate is on
	moved bool // a frame with motion came since the camera opened

	idleSearched bool          // a frame was searched for want of motion
	idleAt       time.Duration // Mono of the latest one
}

func newCameraTracker(cam config.Camera, cfg *config.Conf) (*cameraTracker, error) {
	t, err := track.New(track.Options{
		Timeout:           cfg.ALPR.TrackTimeout,
		TopN:              cfg.ALPR.TopN,
		MinFrames:         cfg.ALPR.MinFrames,
		MinConfidence:     cam.ALPR.MinConfidence,
		MinCharConfidence: cfg.ALPR.MinCharConfidence,
	})
	if err != nil {
		return nil, err
	}
	ct := &cameraTracker{t: t, quality: cfg.Store.CropQuality, fullFrame: cfg.Store.SaveFullFrame,
		gated: cam.Motion.Enabled}
	if cfg.ALPR.SearchRate > 0 {
		ct.every = time.Duration(float64(time.Second) / cfg.ALPR.SearchRate)
	}
	return ct, nil
}

// due reports whether the frame at mono is to be searched for plates: the
// first frame, and then one every alpr.search_rate-th of a second of video.
// A plate stays in view for seconds, so ten searches a second see it many
// times, and the frames between them cost only their decoding.
func (c *cameraTracker) due(mono time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A frame may come up to a millisecond early from rounding of positions.
	if c.searched && mono-c.lastSearch < c.every-time.Millisecond && mono >= c.lastSearch {
		return false
	}
	c.searched, c.lastSearch = true, mono
	return true
}

// saw records that a frame captured at wall reached the analysis, for the
// live tick (idleClock).
func (c *cameraTracker) saw(wall time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wall.After(c.lastWall) {
		c.lastWall, c.lastAt = wall, time.Now()
	}
}

// idleEvery is the least interval between searches of a camera whose
// motion gate is on but has seen no motion yet: nothing changed in the
// picture since the last one.
const idleEvery = 5 * time.Second

// worthSearching reports whether a frame is to be searched for plates at
// all. The motion gate lets through the frames with motion and, while
// motion.hold runs after the last motion, the frames of a vehicle that
// stopped still: each of those is searched whole, as is every frame of a
// camera without a gate. A camera whose gate has seen no motion yet (the
// first frames after it opened) is searched once every idleEvery.
func (c *cameraTracker) worthSearching(f *capture.Frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.Motion {
		c.moved = true
	}
	if !c.gated || c.moved {
		return true
	}
	if !c.idleSearched || f.Mono-c.idleAt >= idleEvery || f.Mono < c.idleAt {
		c.idleSearched, c.idleAt = true, f.Mono
		return true
	}
	return false
}

// setMinConfidence changes the camera's minimum confidence, for the passes
// not confirmed yet.
func (c *cameraTracker) setMinConfidence(v float64) { c.t.SetMinConfidence(v) }

// handOver wraps the tracker's final records for the sink.
func handOver(passes []track.Pass) []recordOut {
	out := make([]recordOut, len(passes))
	now := time.Now()
	for i, p := range passes {
		out[i] = recordOut{pass: p, handed: now}
	}
	return out
}

func (c *cameraTracker) flush() []recordOut { return handOver(c.t.Flush()) }

// analyse reads the plates of one frame, feeds them to the camera's tracker
// and sends on the passes it confirmed (provisional reads) and the passes
// that ended (final reads).
func (a *Agent) analyse(f *capture.Frame, out chan<- recordOut) {
	defer f.Close()
	a.advance(f.Wall)
	ct := a.tracks[f.Camera]
	ct.saw(f.Wall)
	if !ct.worthSearching(f) || !ct.due(f.Mono) {
		a.m.frames.WithLabelValues(f.Camera, "paced").Inc()
		if a.annot != nil {
			a.annot.add(f, nil) // the annotated video keeps every frame, at the source's rate
		}
		for _, r := range ct.tick(f.Wall) {
			out <- r
		}
		return
	}
	a.m.frames.WithLabelValues(f.Camera, "searched").Inc()
	began := time.Now()
	plates, err := a.engine.Recognize(f.Mat, ct.t.Expect(f.Wall, maxExpected))
	a.m.analysis.Observe(time.Since(began).Seconds())
	a.sum.analysed.Add(1)
	if err != nil {
		a.m.analysisErrors.Inc()
		a.warnLimited("analysis failed", "camera", f.Camera, "error", err)
		return
	}
	for _, p := range plates {
		pass, err := ct.t.Observe(observation(f, p, ct))
		if err != nil {
			a.warnLimited("tracker rejected an observation", "camera", f.Camera, "error", err)
			continue
		}
		if pass != nil {
			out <- recordOut{pass: *pass, handed: time.Now()}
		}
	}
	if a.annot != nil {
		a.annot.add(f, plates)
	}
	a.view.offer(f, plates)
	for _, r := range ct.tick(f.Wall) {
		out <- r
	}
}

// tickLive ends the passes of live cameras whose plates went out of sight
// while no frame reaches the analysis (the motion gate lets none through).
// While frames flow, they advance the tracker themselves, on their capture
// times: a wall-clock tick would end passes early whenever the analysis lags
// behind the camera.
//
// It beats h at every tick (the watchdog).
func (a *Agent) tickLive(ctx context.Context, out chan<- recordOut, h *live.Heart) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		h.Beat()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, ct := range a.tracks {
				now, idle := ct.idleClock()
				if !idle {
					continue
				}
				for _, r := range ct.tick(now) {
					out <- r
				}
			}
		}
	}
}

// idleClock returns the camera's capture clock extrapolated to now, and
// whether no frame has reached the analysis for a second.
func (c *cameraTracker) idleClock() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	since := time.Since(c.lastAt)
	if c.lastAt.IsZero() || since < time.Second {
		return time.Time{}, false
	}
	return c.lastWall.Add(since), true
}

func observation(f *capture.Frame, p alpr.Plate, ct *cameraTracker) track.Observation {
	return track.Observation{
		Time:       f.Wall,
		Camera:     f.Camera,
		Box:        p.Box,
		Candidates: p.Candidates,
		Sharpness:  p.Sharpness,
		Snapshot: func() track.Snapshot {
			crop, box := encodeCrop(f.Mat, p.Box, ct.quality)
			s := track.Snapshot{Crop: crop, CropBox: box}
			if ct.fullFrame {
				s.Frame = encodeJPEG(f.Mat, ct.quality)
			}
			return s
		},
	}
}

// encodeCrop cuts the plate with a margin out of frame and encodes it as
// JPEG; it returns the plate's box inside the crop.
func encodeCrop(frame gocv.Mat, box image.Rectangle, quality int) ([]byte, image.Rectangle) {
	mx, my := int(float64(box.Dx())*cropMargin+0.5), int(float64(box.Dy())*cropMargin+0.5)
	area := image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).
		Intersect(image.Rect(0, 0, frame.Cols(), frame.Rows()))
	if area.Empty() {
		return nil, image.Rectangle{}
	}
	region := frame.Region(area)
	defer region.Close()
	return encodeJPEG(region, quality), box.Sub(area.Min).Intersect(image.Rect(0, 0, area.Dx(), area.Dy()))
}

func encodeJPEG(m gocv.Mat, quality int) []byte {
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...)
}
