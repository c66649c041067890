package gps

import (
	"sort"
	"sync"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// liveHistory is how many recent fixes a live source keeps: minutes at the
// usual 1-10 fixes a second, far more than gps.max_age needs.
const liveHistory = 1024

// history is a time-ordered set of fixes, bounded to the newest limit (0:
// unbounded, for a recorded track).
type history struct {
	mu    sync.Mutex
	limit int
	fixes []read.Fix // sorted by Time
}

// add inserts f in time order. A fix with the time of one already held
// replaces it (RMC and GGA of the same second).
func (h *history) add(f read.Fix) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.fixes), func(i int) bool { return !h.fixes[i].Time.Before(f.Time) })
	if i < len(h.fixes) && h.fixes[i].Time.Equal(f.Time) {
		h.fixes[i] = f
		return
	}
	if h.limit > 0 && len(h.fixes) >= h.limit {
		if i == 0 {
			return // older than everything kept
		}
		copy(h.fixes, h.fixes[1:i])
		h.fixes[i-1] = f
		return
	}
	h.fixes = append(h.fixes, read.Fix{})
	copy(h.fixes[i+1:], h.fixes[i:])
	h.fixes[i] = f
}

// nearest returns a copy of the fix nearest to t within maxAge, or nil.
func (h *history) nearest(t time.Time, maxAge time.Duration) *read.Fix {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.fixes), func(i int) bool { return !h.fixes[i].Time.Before(t) })
	best := -1
	var bestD time.Duration
	for _, j := range []int{i - 1, i} {
		if j < 0 || j >= len(h.fixes) {
			continue
		}
		d := h.fixes[j].Time.Sub(t).Abs()
		if best < 0 || d < bestD {
			best, bestD = j, d
		}
	}
	if best < 0 || bestD > maxAge {
		return nil
	}
	f := h.fixes[best]
	return &f
}

// age is how old the newest fix not after now is.
func (h *history) age(now time.Time) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.fixes), func(i int) bool { return h.fixes[i].Time.After(now) })
	if i == 0 {
		return 0, false
	}
	return now.Sub(h.fixes[i-1].Time), true
}

// len is the number of fixes held.
func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.fixes)
}
