// Package capture reads frames from cameras and video files and hands them
// to the analysis.
//
// Each [Camera] is one supervised goroutine (Run) around an OpenCV
// VideoCapture: it opens the source, reads frames, stamps them with wall and
// monotonic times, leaves out still frames (motion gate) and frames over
// the fps limit, and hands the rest to a bounded channel ([Camera.Frames])
// without ever waiting for the analysis (except when replaying at
// [PaceMax]): what does not fit is dropped and counted. A camera that fails,
// ends or sends no frame for stall_timeout is closed and reopened with
// jittered exponential backoff.
//
// OpenCV calls that can block (open, read) run in a reader goroutine per
// opened source, the only code that touches its VideoCapture. When the
// watchdog gives up on a source, the reader is abandoned, never interrupted:
// it closes the source itself once the blocked call returns.
package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/capture/motion"
	"github.com/edge-agent/edge-agent/internal/config"
)

// Pace says how frames are timed and handed to the analysis.
type Pace int

const (
	// PaceLive runs a live camera: frames are stamped with the wall clock,
	// a video file is read at its own frame rate, frames the analysis cannot
	// take are dropped, and failures are retried for ever.
	PaceLive Pace = iota
	// PaceRealtime replays a recorded video at its own frame rate, dropping
	// what the analysis cannot keep up with, as with a live camera. Capture
	// times are the clock start plus the frame's position in the video. The
	// end of the video ends the camera; failures end it with an error.
	PaceRealtime
	// PaceMax replays a recorded video as fast as the analysis takes frames,
	// and drops none for lack of time, so a replay is repeatable. Otherwise
	// like PaceRealtime.
	PaceMax
)

func (p Pace) String() string {
	switch p {
	case PaceLive:
		return "live"
	case PaceRealtime:
		return "realtime"
	case PaceMax:
		return "max"
	}
	return fmt.Sprintf("Pace(%d)", int(p))
}

// Options are the run settings of a camera that are not in its config.
type Options struct {
	Pace Pace
	// ClockStart is the capture time of a replayed video's first frame
	// (PaceRealtime, PaceMax); zero means the time Run starts.
	ClockStart time.Time
}

// Camera reads one camera. Make it with New, start it with Run, receive
// from Frames, and Close it.
type Camera struct {
	cfg    config.Camera
	opts   Options
	src    source
	log    *slog.Logger
	m      *metrics
	det    motion.Detector // nil when the gate is off
	pool   *matPool
	frames chan *Frame

	// Set by New; tests change them before Run.
	open         opener
	backoffMin   time.Duration
	backoffMax   time.Duration
	healthyAfter time.Duration // a source that streamed this long resets the backoff
	readGrace    time.Duration // how long Run waits at its end for a blocked read
	maxStuck     int           // abandoned readers still blocked that stop reopening

	readers sync.WaitGroup // reader goroutines, abandoned ones included

	mu        sync.Mutex // guards the fields below
	running   bool
	closed    bool
	cancel    context.CancelFunc
	done      chan struct{} // closed when Run returns
	started   time.Time
	up        bool
	lastFrame time.Time
	lastErr   error
	stuck     int // abandoned readers that have not returned yet
}

// New checks cam and makes its camera; reg receives its metrics (families
// shared with the other cameras on reg). cam.Motion.Enabled turns the
// motion gate on.
func New(cam config.Camera, opts Options, log *slog.Logger, reg prometheus.Registerer) (*Camera, error) {
	if cam.Name == "" {
		return nil, errors.New("camera: 'name' is empty")
	}
	fail := func(format string, args ...any) (*Camera, error) {
		return nil, fmt.Errorf("camera %q: "+format, append([]any{cam.Name}, args...)...)
	}
	src, err := parseSource(cam.Source)
	if err != nil {
		return fail("%w", err)
	}
	switch {
	case opts.Pace < PaceLive || opts.Pace > PaceMax:
		return fail("unknown pace %d", int(opts.Pace))
	case opts.Pace != PaceLive && src.kind != kindFile:
		return fail("pace %s replays video files; %s is not one", opts.Pace, src.shown)
	case cam.Queue < 1:
		return fail("'queue' must be at least 1, got %d", cam.Queue)
	case cam.StallTimeout <= 0:
		return fail("'stall_timeout' must be positive, got %s", cam.StallTimeout)
	case cam.FPS < 0:
		return fail("'fps' must be 0 or more, got %g", cam.FPS)
	case cam.Motion.Hold < 0:
		return fail("'motion.hold' must be 0 or more, got %s", cam.Motion.Hold)
	}
	c := &Camera{
		cfg:          cam,
		opts:         opts,
		src:          src,
		log:          log.With("camera", cam.Name),
		pool:         newMatPool(cam.Queue + 2),
		frames:       make(chan *Frame, cam.Queue),
		open:         openSource,
		backoffMin:   500 * time.Millisecond,
		backoffMax:   30 * time.Second,
		healthyAfter: 10 * time.Second,
		readGrace:    5 * time.Second,
		maxStuck:     2,
		done:         make(chan struct{}),
	}
	if cam.Motion.Enabled {
		det, err := motion.NewImproved(cam.Motion)
		if err != nil {
			return fail("%w", err)
		}
		c.det = det
	}
	c.m, err = newMetrics(reg, cam.Name, c.upMetric, c.ageMetric)
	if err != nil {
		if c.det != nil {
			_ = c.det.Close()
		}
		return nil, err
	}
	return c, nil
}

// Frames is where the camera's frames arrive. The receiver owns each frame
// and must Close it. The channel is closed when Run returns (or by Close
// when Run never ran).
func (c *Camera) Frames() <-chan *Frame { return c.frames }

// Run reads the camera until ctx ends or Close is called (it returns nil
// then), or until the camera ends: a video file without loop at its end
// (nil), or a replay that failed (the error). Live cameras never end on
// their own. Run may be called once.
func (c *Camera) Run(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return fmt.Errorf("camera %q: Run after Close", c.cfg.Name)
	case c.running:
		c.mu.Unlock()
		return fmt.Errorf("camera %q: Run called twice", c.cfg.Name)
	}
	ctx, cancel := context.WithCancel(ctx)
	c.running, c.cancel, c.started = true, cancel, time.Now()
	c.mu.Unlock()
	defer close(c.done)
	defer close(c.frames)
	defer cancel()

	err := c.supervise(ctx)
	c.setDown(err)
	c.waitReaders()
	if err != nil {
		return fmt.Errorf("camera %q: %w", c.cfg.Name, err)
	}
	return nil
}

// waitReaders waits a while for the reader goroutines; one blocked in a
// driver call is left behind, it closes its source when the call returns.
func (c *Camera) waitReaders() {
	done := make(chan struct{})
	go func() {
		c.readers.Wait()
		close(done)
	}()
	t := time.NewTimer(c.readGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		c.log.Error("a read of the camera is still blocked; leaving it behind", "waited", c.readGrace)
	}
}

// Close stops Run, waits for it, closes the frames not yet received and
// frees the camera. Frames the receiver still holds stay valid until it
// closes them.
func (c *Camera) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	running, cancel := c.running, c.cancel
	c.mu.Unlock()
	if running {
		cancel()
		<-c.done
	} else {
		close(c.frames)
	}
	for f := range c.frames {
		f.Close()
	}
	var err error
	if c.det != nil {
		err = c.det.Close()
	}
	c.pool.close()
	c.m.unregister()
	return err
}

// Health is a camera's state for /healthz.
type Health struct {
	Camera string
	// Up is true while the camera delivers frames.
	Up bool
	// LastFrame is when the last frame was read; zero when none was.
	LastFrame time.Time
	// LastFrameAge is the time since the last frame, or since Run started
	// when none came yet; 0 before Run.
	LastFrameAge time.Duration
	// Err is the last failure, nil when none happened since the last frame.
	Err error
}

// Health reports the camera's state.
func (c *Camera) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := Health{Camera: c.cfg.Name, Up: c.up, LastFrame: c.lastFrame, Err: c.lastErr}
	switch {
	case !c.lastFrame.IsZero():
		h.LastFrameAge = time.Since(c.lastFrame)
	case !c.started.IsZero():
		h.LastFrameAge = time.Since(c.started)
	}
	return h
}

// Check is a health check for /healthz: nil while the camera is up and
// its last frame is younger than stall_timeout.
func (c *Camera) Check() error {
	h := c.Health()
	switch {
	case h.Up && h.LastFrameAge <= c.cfg.StallTimeout:
		return nil
	case h.Err != nil:
		return fmt.Errorf("camera %q is offline (last frame %s ago): %w", h.Camera, h.LastFrameAge.Round(time.Second), h.Err)
	case h.LastFrame.IsZero():
		return fmt.Errorf("camera %q has sent no frame yet", h.Camera)
	}
	return fmt.Errorf("camera %q is offline: last frame %s ago", h.Camera, h.LastFrameAge.Round(time.Second))
}

func (c *Camera) upMetric() float64 {
	if c.Health().Up {
		return 1
	}
	return 0
}

func (c *Camera) ageMetric() float64 { return c.Health().LastFrameAge.Seconds() }

// setUp records a frame read at t.
func (c *Camera) setUp(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.up, c.lastFrame, c.lastErr = true, t, nil
}

// setDown records that the camera stopped delivering, and why (err may be nil).
func (c *Camera) setDown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.up = false
	if err != nil {
		c.lastErr = err
	}
}
