// Package retry is the one reconnect policy of the agent's loops (cameras,
// GPS, the uplink, the webhook): exponential backoff with jitter, from
// github.com/cenkalti/backoff/v5.
package retry

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// jitter is the share of each delay drawn at random, up or down, so that
// the cameras of a gateway, or a fleet coming back into coverage, do not
// retry in step.
const jitter = 0.5

// Backoff spaces the attempts of one loop. It is not safe for concurrent
// use: one loop owns it.
type Backoff struct {
	b   backoff.ExponentialBackOff
	max time.Duration
}

// New returns a backoff whose delays start at min and double after each
// failed attempt up to max.
func New(min, max time.Duration) *Backoff {
	return &Backoff{
		b:   backoff.ExponentialBackOff{InitialInterval: min, RandomizationFactor: jitter, Multiplier: 2, MaxInterval: max},
		max: max,
	}
}

// Next is the delay before the next attempt: the current step, drawn
// within ±50%, never above max.
func (b *Backoff) Next() time.Duration { return min(b.b.NextBackOff(), b.max) }

// Reset starts again from min, after an attempt that worked.
func (b *Backoff) Reset() { b.b.Reset() }
