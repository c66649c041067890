package uplink

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is the delay before reconnect attempt n (0-based): exponential
// from lo, capped at hi, with "equal jitter" (half fixed, half random) so
// that a fleet coming back into coverage does not reconnect in step.
func backoff(lo, hi time.Duration, n int, rnd func() float64) time.Duration {
	d := hi
	if n < 32 {
		if e := lo << n; e > 0 && e < hi {
			d = e
		}
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	return d/2 + time.Duration(rnd()*float64(d/2))
}

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

// limiter caps the send rate in bytes per second with a token bucket that
// may go into debt: a message larger than the bucket is sent, and the wait
// that follows pays for it, so the average rate holds for any size.
type limiter struct {
	rate   float64 // bytes per second; 0 is unlimited
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(context.Context, time.Duration) bool
}

func newLimiter(bytesPerSecond int64) *limiter {
	return &limiter{rate: float64(bytesPerSecond), tokens: float64(bytesPerSecond), now: time.Now, sleep: sleep}
}

// wait takes n bytes from the bucket, sleeping until the debt is paid. It
// returns false when ctx ended first.
func (l *limiter) wait(ctx context.Context, n int) bool {
	if l.rate <= 0 {
		return true
	}
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.rate, l.tokens+l.rate*now.Sub(l.last).Seconds())
	}
	l.last = now
	l.tokens -= float64(n)
	if l.tokens >= 0 {
		return true
	}
	return l.sleep(ctx, time.Duration(-l.tokens/l.rate*float64(time.Second)))
}
