package capture

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// handle turns what a reader read into a Frame and hands it on, unless the
// fps limit or the motion gate leaves it out. It returns false when ctx
// ended while it waited.
func (c *Camera) handle(ctx context.Context, st *runState, p *pacer, ev readerEvent) bool {
	c.m.captured.Inc()
	c.setUp(ev.at)
	f := &Frame{Camera: c.cfg.Name, Mat: ev.mat, Seq: st.seq, Pos: ev.pos, pool: c.pool}
	st.seq++
	if !p.wait(ctx, ev.pos) {
		f.Close()
		return false
	}
	switch {
	case c.opts.Pace != PaceLive:
		f.Mono = st.base + ev.pos
		start := c.opts.ClockStart
		if start.IsZero() {
			start = c.started
		}
		f.Wall = start.Add(f.Mono).Round(0)
	case p.enabled: // a file read as a live camera: stamped when shown
		now := time.Now()
		f.Wall, f.Mono = now.Round(0), now.Sub(c.started)
	default:
		f.Wall, f.Mono = ev.at.Round(0), ev.at.Sub(c.started)
	}

	if !st.fps.allow(c.cfg.FPS, f.Mono) {
		c.m.skippedFPS.Inc()
		f.Close()
		return true
	}
	if c.det != nil {
		f.Motion, f.Regions = c.det.Detect(f.Mat)
		if !st.gate.pass(f.Motion, f.Mono, c.cfg.Motion.Hold) {
			c.m.skippedStill.Inc()
			f.Close()
			return true
		}
	}

	if c.opts.Pace == PaceMax {
		select {
		case c.frames <- f:
			return true
		case <-ctx.Done():
			f.Close()
			return false
		}
	}
	select {
	case c.frames <- f:
	default:
		f.Close()
		c.m.dropped.Inc()
		st.dropWarn.add(c, time.Now())
	}
	return true
}

// pacer holds the frames of a video file back to the file's own rate.
type pacer struct {
	enabled bool
	started bool
	t0      time.Time     // when the first frame was handed on
	pos0    time.Duration // its position
}

// wait sleeps until the frame at pos is due; false when ctx ended first.
func (p *pacer) wait(ctx context.Context, pos time.Duration) bool {
	if !p.enabled {
		return true
	}
	if !p.started {
		p.started, p.t0, p.pos0 = true, time.Now(), pos
		return true
	}
	return sleep(ctx, time.Until(p.t0.Add(pos-p.pos0)))
}

// sleep waits d or until ctx ends, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fpsLimit passes at most fps frames per second of capture time.
type fpsLimit struct {
	started bool
	next    time.Duration // earliest capture time of the next frame
}

func (l *fpsLimit) allow(fps float64, at time.Duration) bool {
	if fps <= 0 {
		return true
	}
	interval := time.Duration(float64(time.Second) / fps)
	// A tenth of an interval of slack absorbs jitter in the source's clock.
	if l.started && at < l.next-interval/10 {
		return false
	}
	if !l.started || at-l.next > interval {
		l.next = at + interval // first frame, or far behind: no burst to catch up
	} else {
		l.next += interval
	}
	l.started = true
	return true
}

// gateState decides, from the motion detector's answer, which frames go to
// the analysis: those with motion and those within hold after the last.
// The first frame after the source opened counts as motion, so that a
// plate already in view when the camera starts is read once.
type gateState struct {
	seen bool
	last time.Duration // capture time of the last motion
}

func (g *gateState) reset() { g.seen = false }

func (g *gateState) pass(moving bool, at, hold time.Duration) bool {
	if moving || !g.seen {
		g.seen, g.last = true, at
		return true
	}
	return at-g.last <= hold
}

// dropWarn limits the warning about dropped frames to one per
// dropWarnEvery for a camera, with the number dropped since the last one.
type dropWarn struct {
	lim *rate.Limiter // made at the first drop
	n   int
}

// dropWarnEvery: a camera that analysis cannot keep up with drops frames
// all the time; one line every 10 s says so, with the count.
const dropWarnEvery = 10 * time.Second

func (w *dropWarn) add(c *Camera, now time.Time) {
	w.n++
	if w.lim == nil {
		w.lim = rate.NewLimiter(rate.Every(dropWarnEvery), 1)
	}
	if !w.lim.AllowN(now, 1) {
		return
	}
	c.log.Warn("analysis is not keeping up; frames dropped", "dropped", w.n, "stage", "capture", "queue", c.cfg.Queue)
	w.n = 0
}

// flush reports the drops not yet reported.
func (w *dropWarn) flush(c *Camera) {
	if w.n > 0 {
		c.log.Warn("analysis is not keeping up; frames dropped", "dropped", w.n, "stage", "capture", "queue", c.cfg.Queue)
		w.n = 0
	}
}
