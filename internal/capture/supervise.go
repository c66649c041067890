package capture

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/retry"
)

// errStalled is the failure of a source that sent no frame for stall_timeout.
var errStalled = errors.New("stalled")

// runState is what the supervisor carries from one opened source to the next.
type runState struct {
	seq      int64         // next Frame.Seq
	base     time.Duration // replay: video time of earlier passes of a looped file
	fps      fpsLimit
	gate     gateState
	dropWarn dropWarn
	looping  bool // the last source ended cleanly and is played again
}

// sessionEnd is how an opened source ended.
type sessionEnd struct {
	err    error         // nil: the clean end of a file, or ctx ended
	frames int           // frames read
	length time.Duration // position of the last frame plus one frame interval
	lived  time.Duration // wall time from the first frame to the last
}

// supervise opens the source and reads it until ctx ends or the camera
// ends, reopening after failures and stalls.
func (c *Camera) supervise(ctx context.Context) error {
	st := &runState{}
	defer st.dropWarn.flush(c)
	b := retry.New(c.backoffMin, c.backoffMax)
	replay := c.opts.Pace != PaceLive
	for {
		end := c.session(ctx, st)
		if ctx.Err() != nil {
			return nil
		}
		st.base += end.length
		if end.err == nil && c.src.kind != kindFile {
			end.err = errors.New("the stream ended")
		}
		st.looping = end.err == nil && c.cfg.Loop
		if st.looping {
			c.log.Debug("video ended; starting it again", "frames", end.frames)
			continue
		}
		c.setDown(end.err)
		if end.err == nil {
			c.log.Info("video ended", "frames", end.frames)
			return nil
		}
		if replay {
			return end.err
		}
		if end.lived >= c.healthyAfter {
			b.Reset()
		}
		wait := b.Next()
		c.log.Warn("camera failed; reopening", "error", end.err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil
		}
		c.m.reconnects.Inc()
	}
}

// readerEvent is what a reader goroutine sends to the supervisor: the
// stream's info once opened, then frames.
type readerEvent struct {
	info *streamInfo
	mat  gocv.Mat
	pos  time.Duration
	at   time.Time // when the read returned
}

// reader owns one opened source.
type reader struct {
	events chan readerEvent // unbuffered: a frame is owned by whoever holds it
	quit   chan struct{}
	err    error // why events was closed; read after it is
}

// session opens the source in a new reader goroutine and handles its
// frames until it ends, stalls or ctx ends.
func (c *Camera) session(ctx context.Context, st *runState) sessionEnd {
	c.mu.Lock()
	stuck := c.stuck
	c.mu.Unlock()
	if stuck >= c.maxStuck {
		return sessionEnd{err: fmt.Errorf("%d earlier reads of the camera are still blocked in the driver", stuck)}
	}
	r := &reader{events: make(chan readerEvent), quit: make(chan struct{})}
	c.readers.Add(1)
	go c.read(r)
	defer close(r.quit)

	if c.det != nil {
		c.det.Reset()
	}
	st.gate.reset()
	pacer := pacer{enabled: c.src.kind == kindFile && c.opts.Pace != PaceMax}
	var end sessionEnd
	var first, last time.Time
	interval := frameInterval(0)
	stall := time.NewTimer(c.cfg.StallTimeout)
	defer stall.Stop()
	for {
		stall.Reset(c.cfg.StallTimeout)
		select {
		case <-ctx.Done():
			return end
		case <-stall.C:
			c.abandon(r)
			end.err = fmt.Errorf("%w: no frame for %s", errStalled, c.cfg.StallTimeout)
			return end
		case ev, ok := <-r.events:
			if !ok {
				end.err = r.err
				return end
			}
			if ev.info != nil {
				c.logOpened(*ev.info, st)
				interval = frameInterval(ev.info.FPS)
				continue
			}
			if first.IsZero() {
				first = ev.at
			}
			last = ev.at
			end.frames++
			end.lived = last.Sub(first)
			end.length = ev.pos + interval
			if !c.handle(ctx, st, &pacer, ev) {
				return end
			}
		}
	}
}

// logOpened reports an opened source; the loops of a video file at debug.
func (c *Camera) logOpened(info streamInfo, st *runState) {
	lvl := c.log.Info
	if st.looping {
		lvl = c.log.Debug
	}
	lvl("camera opened", "source", c.src.shown, "backend", info.Backend,
		"width", info.Width, "height", info.Height, "fps", info.FPS, "frames", info.Frames)
}

// abandon gives up on a reader whose read does not return. It is counted
// as stuck until it does.
func (c *Camera) abandon(r *reader) {
	c.mu.Lock()
	c.stuck++
	c.mu.Unlock()
	go func() {
		for ev := range r.events { // closed when the blocked call returns
			c.pool.put(ev.mat)
		}
		c.mu.Lock()
		c.stuck--
		c.mu.Unlock()
	}()
}

// read is a reader goroutine: it opens the source, sends its info and then
// its frames, and closes it. It stops at the end, on failure, or when quit
// is closed and it next tries to send.
func (c *Camera) read(r *reader) {
	defer c.readers.Done()
	defer close(r.events)
	vs, info, err := c.open(c.src)
	if err != nil {
		r.err = err
		return
	}
	defer func() { _ = vs.Close() }()
	if !r.send(readerEvent{info: &info}) {
		return
	}
	for {
		m := c.pool.get()
		if !vs.Read(&m) {
			c.pool.put(m)
			r.err = vs.Err()
			return
		}
		ev := readerEvent{mat: m, pos: vs.Pos(), at: time.Now()}
		if !r.send(ev) {
			c.pool.put(m)
			return
		}
	}
}

func (r *reader) send(ev readerEvent) bool {
	select {
	case r.events <- ev:
		return true
	case <-r.quit:
		return false
	}
}

// frameInterval is one frame's duration at fps (25 when unknown).
func frameInterval(fps float64) time.Duration {
	if fps <= 0 {
		fps = 25
	}
	return time.Duration(float64(time.Second) / fps)
}
