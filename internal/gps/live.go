package gps

import (
	"context"
	"log/slog"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/retry"
)

// live is the part the live sources (gpsd, NMEA device) share: the history
// of received fixes and the reconnect loop.
type live struct {
	hist   *history
	m      *metrics
	maxAge time.Duration
	now    func() time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

// session follows the source once, until it fails or ctx ends. gotData tells
// whether it delivered anything valid (and so whether the backoff restarts).
type session func(ctx context.Context) (gotData bool, err error)

func (l *live) Nearest(t time.Time) *read.Fix { return l.hist.nearest(t, l.maxAge) }

// Close stops the source and waits for its goroutine.
func (l *live) Close() error {
	l.cancel()
	<-l.done
	return nil
}

// startLive runs s again and again until ctx ends or Close, waiting
// between attempts with an exponential backoff.
func startLive(ctx context.Context, maxAge time.Duration, log *slog.Logger, o options, m *metrics, hist *history, s session) *live {
	ctx, cancel := context.WithCancel(ctx)
	l := &live{hist: hist, m: m, maxAge: maxAge, now: o.now, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		wait := retry.New(o.backoffMin, o.backoffMax)
		healthy := true // log the first failure as a warning, repeats at debug
		for {
			got, err := s(ctx)
			if ctx.Err() != nil {
				return
			}
			if got {
				wait.Reset()
				healthy = true
			}
			delay := wait.Next()
			if healthy {
				log.Warn("gps: source lost; retrying", "err", err, "retry_in", delay)
			} else {
				log.Debug("gps: source still unavailable", "err", err, "retry_in", delay)
			}
			healthy = false
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return l
}
