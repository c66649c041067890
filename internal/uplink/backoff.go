package uplink

import (
	"context"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// sleep waits d or until ctx ends, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// limiter caps the send rate in bytes per second with a token bucket of
// one second's bytes (golang.org/x/time/rate). A message larger than the
// bucket takes it in bucket-sized parts, waiting for each, so the average
// rate holds for any size.
type limiter struct {
	lim   *rate.Limiter // nil: unlimited
	now   func() time.Time
	sleep func(context.Context, time.Duration) bool
}

func newLimiter(bytesPerSecond int64) *limiter {
	l := &limiter{now: time.Now, sleep: sleep}
	if bytesPerSecond > 0 {
		l.lim = rate.NewLimiter(rate.Limit(bytesPerSecond), int(min(bytesPerSecond, math.MaxInt32)))
	}
	return l
}

// wait takes n bytes from the bucket, sleeping until they are there. It
// returns false when ctx ended first.
func (l *limiter) wait(ctx context.Context, n int) bool {
	if l.lim == nil {
		return true
	}
	for n > 0 {
		k := min(n, l.lim.Burst())
		now := l.now()
		r := l.lim.ReserveN(now, k)
		if d := r.DelayFrom(now); d > 0 && !l.sleep(ctx, d) {
			r.CancelAt(l.now())
			return false
		}
		n -= k
	}
	return true
}
