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
	log    *slog.Logger
	o      options
	s      session
}

// session follows the source once, until it fails or ctx ends. gotData tells
// whether it delivered anything valid (and so whether the backoff restarts).
type session func(ctx context.Context) (gotData bool, err error)

func (l *live) Nearest(t time.Time) *read.Fix { return l.hist.nearest(t, l.maxAge) }

// Run runs the session again and again until ctx ends, waiting between
// attempts with an exponential backoff.
func (l *live) Run(ctx context.Context) error {
	wait := retry.New(l.o.backoffMin, l.o.backoffMax)
	healthy := true // log the first failure as a warning, repeats at debug
	for {
		got, err := l.s(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if got {
			wait.Reset()
			healthy = true
		}
		delay := wait.Next()
		if healthy {
			l.log.Warn("gps: source lost; retrying", "err", err, "retry_in", delay)
		} else {
			l.log.Debug("gps: source still unavailable", "err", err, "retry_in", delay)
		}
		healthy = false
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
