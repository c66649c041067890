package agent

import (
	"context"
	"sync"

	"github.com/edge-agent/edge-agent/internal/api"
	"github.com/edge-agent/edge-agent/internal/live"
)

// runEvents starts the hotlist watcher, the events producer and the
// senders of events and alerts, each a watched loop.
func (a *Agent) runEvents(goBG func(*live.Heart, func(context.Context) error)) {
	if a.hot != nil {
		h := a.loops.Add("hotlist", stuckAfter)
		a.hot.SetHeart(h)
		goBG(h, a.hot.Run)
	}
	h := a.loops.Add("events", stuckAfter)
	a.prod.SetHeart(h)
	goBG(h, a.prod.Run)
	if a.outlets == nil {
		return
	}
	if p := a.outlets.Publisher; p != nil {
		h := a.loops.Add("events mqtt", stuckAfter)
		p.SetHeart(h)
		goBG(h, p.Run)
	}
	if p := a.outlets.Poster; p != nil {
		h := a.loops.Add("events webhook", stuckAfter)
		p.SetHeart(h)
		goBG(h, p.Run)
	}
}

// finishEvents, at the end of a replay, decides the events and alerts of
// the last reads (those its flush made final) and waits until the broker
// and the webhook acknowledged every one, or ctx ends.
func (a *Agent) finishEvents(ctx context.Context) {
	if err := a.prod.Flush(ctx); err != nil {
		a.log.Error("events of the last reads", "error", err)
	}
	if a.outlets == nil {
		return
	}
	var waits []func(context.Context) error
	if p := a.outlets.Publisher; p != nil {
		waits = append(waits, p.WaitDrained)
	}
	if p := a.outlets.Poster; p != nil {
		waits = append(waits, p.WaitDrained)
	}
	var wg sync.WaitGroup
	for _, wait := range waits {
		wg.Add(1)
		go func() { defer wg.Done(); _ = wait(ctx) }()
	}
	wg.Wait()
	if n := a.outlets.Depth(); n > 0 {
		a.log.Warn("read events and alerts not all acknowledged before --drain-timeout; the rest stays queued",
			"queued", n, "timeout", a.opts.DrainTimeout)
	}
}

// apiView answers the local API for the agent.
type apiView struct{ a *Agent }

// Cameras reports each camera's state, frame rate and last frame.
func (v apiView) Cameras() []api.Camera {
	out := make([]api.Camera, 0, len(v.a.cams))
	for _, c := range v.a.cams {
		h := c.Health()
		cam := api.Camera{Name: h.Camera, Up: c.Check() == nil, LastFrame: h.LastFrame}
		if err := c.Check(); err != nil {
			cam.Error = err.Error()
		}
		cam.FPS, _ = v.a.view.state(h.Camera)
		out = append(out, cam)
	}
	return out
}

// Frame is the camera's latest analysed frame, annotated.
func (v apiView) Frame(name string) ([]byte, error) { return v.a.view.frame(name) }

// Status says which ways out are on.
func (v apiView) Status() api.Status {
	cfg := v.a.cfg.Load()
	s := api.Status{Improvement: cfg.Improvement.Enabled, Uplink: cfg.Uplink.Enabled, Events: cfg.Events.Enabled,
		HotlistEntries: v.a.hot.Len()}
	if v.a.outlets != nil {
		s.EventsQueued = v.a.outlets.Depth()
	}
	return s
}
