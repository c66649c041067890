package uplink

import (
	"context"
	"time"
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
