package retry

import (
	"testing"
	"time"
)

// The delays double from min up to max, each within ±50% of its step and
// never above max; Reset starts again from min.
func TestBackoff(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, time.Second
	b := New(lo, hi)
	for round := range 2 {
		step := lo
		for i := range 8 {
			d := b.Next()
			if d < step/2 || d > min(step*3/2, hi) {
				t.Errorf("round %d, attempt %d: %v, want %v ± 50%%, at most %v", round, i, d, step, hi)
			}
			step = min(2*step, hi)
		}
		b.Reset()
	}
}
