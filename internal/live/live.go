// Package live tells whether a daemon's own long-running loops are alive,
// for the systemd watchdog (package sdnotify): each loop beats a Heart, and
// a loop silent for longer than its limit is stuck.
package live

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BeatEvery is how often a loop that waits for work beats its Heart.
const BeatEvery = time.Second

// Loops watches the heartbeats of a daemon's own long-running loops, for
// the systemd watchdog: the daemon pings it while no loop is stuck. Each
// loop has a Heart and beats it at every turn; a loop that waits for work
// beats at least every BeatEvery (Ticker, Receive), and one that starts a
// wait of known length says so (BeatIn). A loop is stuck once it is silent
// for longer than its limit past the end of the wait it announced: blocked
// on a lock, a channel nobody serves, or a call that does not return.
//
// What the loops wait for from outside (a camera's frames, a broker) is not
// their liveness: a loop waiting for a camera that never sends beats on.
type Loops struct {
	now func() time.Time

	mu     sync.Mutex
	hearts map[*Heart]struct{}
}

// NewLoops returns an empty watch; now is the clock (nil: time.Now).
func NewLoops(now func() time.Time) *Loops {
	if now == nil {
		now = time.Now
	}
	return &Loops{now: now, hearts: map[*Heart]struct{}{}}
}

// Add watches a loop named name from now on, stuck when silent for longer
// than limit. Stop its Heart when the loop returns.
func (l *Loops) Add(name string, limit time.Duration) *Heart {
	h := &Heart{name: name, limit: limit, loops: l}
	h.Beat()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hearts[h] = struct{}{}
	return h
}

// Stuck returns nil while every watched loop beats in time, or an error
// naming the stuck loops and how long each has been silent.
func (l *Loops) Stuck() error {
	now := l.now().UnixNano()
	l.mu.Lock()
	var stuck []string
	for h := range l.hearts {
		if now > h.due.Load() {
			stuck = append(stuck, fmt.Sprintf("%s (silent for %s)", h.name, time.Duration(now-h.last.Load()).Round(time.Second)))
		}
	}
	l.mu.Unlock()
	if len(stuck) == 0 {
		return nil
	}
	sort.Strings(stuck)
	return fmt.Errorf("stuck: %s", strings.Join(stuck, ", "))
}

// Heart is one loop's heartbeat. Its methods are safe for concurrent use,
// and do nothing on a nil Heart: a loop that nobody watches takes nil.
type Heart struct {
	name  string
	limit time.Duration
	loops *Loops
	last  atomic.Int64 // Unix ns of the latest beat
	due   atomic.Int64 // Unix ns: stuck after this without a beat
}

// Beat records that the loop is alive now.
func (h *Heart) Beat() { h.BeatIn(0) }

// BeatIn records that the loop is alive now and starts a wait of up to d:
// it is stuck only once silent for d and its limit.
func (h *Heart) BeatIn(d time.Duration) {
	if h == nil {
		return
	}
	now := h.loops.now().UnixNano()
	h.last.Store(now)
	h.due.Store(now + int64(max(d, 0)+h.limit))
}

// Stop ends the watch of a loop that returned.
func (h *Heart) Stop() {
	if h == nil {
		return
	}
	h.loops.mu.Lock()
	defer h.loops.mu.Unlock()
	delete(h.loops.hearts, h)
}

// Ticker returns a channel that ticks every BeatEvery, for a loop to beat
// on while it waits for work, and the function that stops it. A nil Heart's
// channel never ticks.
func (h *Heart) Ticker() (<-chan time.Time, func()) {
	if h == nil {
		return nil, func() {}
	}
	t := time.NewTicker(BeatEvery)
	return t.C, t.Stop
}

// Receive calls f with each value received from in until in is closed,
// beating h before each wait: at each value, and every BeatEvery while none
// comes.
func Receive[T any](h *Heart, in <-chan T, f func(T)) {
	tick, stop := h.Ticker()
	defer stop()
	for {
		h.Beat()
		select {
		case v, ok := <-in:
			if !ok {
				return
			}
			f(v)
		case <-tick:
		}
	}
}
