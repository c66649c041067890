package live

import (
	"sync"
	"testing"
	"time"
)

// fakeNow is a clock that moves only when told to.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeNow) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLoopsStuck(t *testing.T) {
	clock := &fakeNow{t: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)}
	l := NewLoops(clock.now)
	sink := l.Add("sink", time.Minute)
	pub := l.Add("uplink", time.Minute)
	if err := l.Stuck(); err != nil {
		t.Fatalf("just added: %v", err)
	}
	clock.add(50 * time.Second)
	sink.Beat()
	pub.BeatIn(2 * time.Minute) // a wait of known length: not stuck during it
	clock.add(50 * time.Second)
	if err := l.Stuck(); err != nil {
		t.Fatalf("both beat within their limit: %v", err)
	}
	clock.add(20 * time.Second) // the sink silent for 70 s > 1 min
	if err := l.Stuck(); err == nil || err.Error() != "stuck: sink (silent for 1m10s)" {
		t.Fatalf("Stuck = %v", err)
	}
	clock.add(2 * time.Minute) // the uplink past its wait and limit too
	if err := l.Stuck(); err == nil || err.Error() != "stuck: sink (silent for 3m10s), uplink (silent for 3m10s)" {
		t.Fatalf("Stuck = %v", err)
	}
	sink.Stop() // a loop that returned is no longer watched
	pub.Beat()
	if err := l.Stuck(); err != nil {
		t.Fatalf("after Stop and a beat: %v", err)
	}
}

func TestNilHeartDoesNothing(t *testing.T) {
	var h *Heart
	h.Beat()
	h.BeatIn(time.Second)
	h.Stop()
	tick, stop := h.Ticker()
	stop()
	if tick != nil {
		t.Error("a nil Heart's ticker ticks")
	}
}

// Receive serves every value and beats while it waits; it returns when the
// channel is closed.
func TestReceive(t *testing.T) {
	l := NewLoops(nil)
	h := l.Add("worker", time.Hour)
	in := make(chan int)
	var got []int
	done := make(chan struct{})
	go func() { defer close(done); Receive(h, in, func(v int) { got = append(got, v) }) }()
	for i := range 3 {
		in <- i
	}
	close(in)
	<-done
	if len(got) != 3 || got[2] != 2 {
		t.Errorf("Receive served %v", got)
	}
}
