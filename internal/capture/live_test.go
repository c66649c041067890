package capture

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"gocv.io/x/gocv"
)

// countOpens wraps c's opener to count its calls.
func countOpens(c *Camera) *atomic.Int32 {
	var n atomic.Int32
	open := c.open
	c.open = func(src source) (videoSource, streamInfo, error) {
		n.Add(1)
		return open(src)
	}
	return &n
}

func TestMissingFileIsRetriedWithBackoffUntilItAppears(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.avi")
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testCamera(path), Options{})
		opens := countOpens(h.Camera)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = h.Run(ctx) }()

		// Delays of 0.5, 1, 2, 4, 8, 16 and 30 s (the cap), each ±50%
		// (retry.New): the sixth attempt comes by 1.5 × 15.5 = 23.25 s, the
		// eighth not before 0.5 × 61.5 = 30.75 s, so 24 s hold six or seven
		// attempts whatever the jitter; a busy loop would make thousands.
		time.Sleep(24 * time.Second)
		n := opens.Load()
		if n < 6 || n > 7 {
			t.Errorf("%d attempts to open a missing file in 24 s, want 6 or 7", n)
		}
		if r := testutil.ToFloat64(h.m.reconnects); r != float64(n-1) {
			t.Errorf("edge_camera_reconnects_total = %v, want %d (one per attempt after the first)", r, n-1)
		}
		want := `camera "front" has sent no frame yet`
		if hl := h.Health(); hl.Up || hl.Err == nil || hl.Err.Error() != "video file "+path+" does not exist" {
			t.Errorf("health %+v, want down with the missing file named", hl)
		} else if err := h.Check(); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("Check() = %v, want the missing file (not %q)", err, want)
		}
		if warns := h.logs.find("camera failed; reopening"); len(warns) != int(n) {
			t.Errorf("%d warnings, want one per failed attempt (%d)", len(warns), n)
		}

		writeVideo(t, path, 10, nil)
		f := <-h.Frames() // at the next attempt, at most 30 s × 1.5 later
		if f.Seq != 0 || f.Pos != 0 {
			t.Errorf("first frame: seq %d pos %v, want the video's first", f.Seq, f.Pos)
		}
		f.Close()
		if hl := h.Health(); !hl.Up || hl.Err != nil {
			t.Errorf("health %+v after the file appeared, want up", hl)
		}
		if err := h.Check(); err != nil {
			t.Errorf("Check() = %v after the file appeared", err)
		}
	})
}

func TestLiveFileLoopsAtItsOwnRate(t *testing.T) {
	cam := testCamera(stillVideo(t, 10))
	cam.Loop = true
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cam, Options{Pace: PaceLive})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- h.Run(ctx) }()
		start := time.Now()
		for i := range 25 {
			g := receive(<-h.Frames())
			if g.Seq != int64(i) || g.Pos != time.Duration(i%10)*frameDur {
				t.Fatalf("frame %d: seq %d pos %v, want seq %d pos %v", i, g.Seq, g.Pos, i, time.Duration(i%10)*frameDur)
			}
			// Wall is the clock at the time the frame is shown.
			if !g.Wall.Equal(g.At) || g.Mono != g.At.Sub(start) {
				t.Fatalf("frame %d: wall %v mono %v, want the clock at delivery %v", i, g.Wall, g.Mono, g.At)
			}
		}
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
		if n := testutil.ToFloat64(h.m.reconnects); n != 0 {
			t.Errorf("looping counted %v reconnects", n)
		}
	})
}

// fakeSource makes frames of a still gray picture.
type fakeSource struct {
	pic    gocv.Mat
	frames int           // frames to make before blocking or ending
	block  chan struct{} // after frames, Read blocks until this is closed; nil: Read ends
	every  time.Duration // time taken by each read
	n      int
}

func newFakeSource(frames int, every time.Duration, block chan struct{}) *fakeSource {
	return &fakeSource{
		pic:    gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 90, 90, 0), 48, 64, gocv.MatTypeCV8UC3),
		frames: frames, every: every, block: block,
	}
}

func (s *fakeSource) Read(m *gocv.Mat) bool {
	if s.n >= s.frames {
		if s.block != nil {
			<-s.block // a driver that never answers
		}
		return false
	}
	time.Sleep(s.every)
	s.n++
	s.pic.CopyTo(m)
	return true
}

func (s *fakeSource) Pos() time.Duration { return 0 }
func (s *fakeSource) Err() error         { return errors.New("fake source failed") }
func (s *fakeSource) Close() error       { return s.pic.Close() }

func TestStalledCameraIsReopened(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := testCamera("/dev/video7")
		cam.StallTimeout = 2 * time.Second
		h := newHarness(t, cam, Options{})
		release := make(chan struct{})
		var mu sync.Mutex
		var opened []time.Time
		h.open = func(source) (videoSource, streamInfo, error) {
			mu.Lock()
			defer mu.Unlock()
			opened = append(opened, time.Now())
			if len(opened) == 1 {
				return newFakeSource(3, 40*time.Millisecond, release), streamInfo{}, nil
			}
			return newFakeSource(1000, 40*time.Millisecond, nil), streamInfo{}, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = h.Run(ctx) }()
		start := time.Now()

		for range 3 {
			receive(<-h.Frames())
		}
		time.Sleep(time.Second) // the camera has stopped sending, not yet for stall_timeout
		if hl := h.Health(); !hl.Up || hl.LastFrameAge != time.Second {
			t.Errorf("1 s into the stall: health %+v, want up with a 1 s old frame", hl)
		}
		if n := testutil.ToFloat64(h.m.reconnects); n != 0 {
			t.Errorf("reconnected before stall_timeout: %v", n)
		}
		// 2.22 s from the start: stalled at 2.12 s, not yet reopened (the
		// first backoff ends at 2.37 s at the earliest).
		time.Sleep(1100 * time.Millisecond)
		if hl := h.Health(); hl.Up || hl.Err == nil || hl.Err.Error() != "stalled: no frame for 2s" {
			t.Errorf("after stall_timeout: health %+v, want down and stalled", hl)
		}
		if up := testutil.ToFloat64(h.m.gauge[0]); up != 0 {
			t.Errorf("edge_camera_up = %v during the stall", up)
		}

		// The read is still blocked in the "driver", yet a new source opened.
		g := receive(<-h.Frames())
		mu.Lock()
		if len(opened) != 2 {
			t.Fatalf("opened %d times, want 2", len(opened))
		}
		reopenedAfter := opened[1].Sub(start)
		mu.Unlock()
		// 3 frames (120 ms) + 2 s stall + a 250..750 ms backoff (500 ms ± 50%).
		if reopenedAfter < 2370*time.Millisecond || reopenedAfter > 2870*time.Millisecond {
			t.Errorf("reopened %v after start, want 120 ms + 2 s + the first backoff", reopenedAfter)
		}
		if g.Seq != 3 {
			t.Errorf("first frame after the stall has seq %d, want 3", g.Seq)
		}
		if n := testutil.ToFloat64(h.m.reconnects); n != 1 {
			t.Errorf("edge_camera_reconnects_total = %v, want 1", n)
		}
		if hl := h.Health(); !hl.Up {
			t.Errorf("health %+v after the reopen, want up", hl)
		}
		// The driver finally answers: the abandoned reader closes its source.
		close(release)
		cancel()
	})
}

func TestTooManyBlockedReadsStopReopening(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := testCamera("rtsp://user:secret@127.0.0.1:8554/cam")
		cam.StallTimeout = time.Second
		h := newHarness(t, cam, Options{})
		release := make(chan struct{})
		var opens atomic.Int32
		h.open = func(source) (videoSource, streamInfo, error) {
			opens.Add(1)
			return newFakeSource(0, 0, release), streamInfo{}, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = h.Run(ctx) }()
		time.Sleep(time.Minute)
		if opens.Load() != 2 {
			t.Errorf("%d opens while the earlier reads stay blocked, want 2 (maxStuck)", opens.Load())
		}
		if hl := h.Health(); hl.Err == nil || hl.Err.Error() != "2 earlier reads of the camera are still blocked in the driver" {
			t.Errorf("health %+v, want the blocked reads named", hl)
		}
		for _, r := range h.logs.find("camera opened") {
			if s := attr(r, "source").String(); strings.Contains(s, "secret") {
				t.Errorf("the stream password was logged: %s", s)
			}
		}
		close(release)
		time.Sleep(time.Minute) // the reads returned: reopening goes on
		if opens.Load() <= 2 {
			t.Errorf("no reopen after the blocked reads returned")
		}
	})
}

func TestFileThatDisappearsMidRunIsWaitedFor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cam.avi")
	writeVideo(t, path, 10, nil)
	cam := testCamera(path)
	cam.Loop = true
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cam, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = h.Run(ctx) }()
		receive(<-h.Frames())
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		// The open file plays to its end; the loop then finds it gone.
		var last got
		for range 9 {
			last = receive(<-h.Frames())
		}
		if last.Seq != 9 {
			t.Fatalf("last frame before the file vanished: seq %d, want 9", last.Seq)
		}
		time.Sleep(5 * time.Second)
		if hl := h.Health(); hl.Up || hl.Err == nil || !strings.Contains(hl.Err.Error(), "does not exist") {
			t.Errorf("health %+v, want down: the file does not exist", hl)
		}
		writeVideo(t, path, 10, nil)
		if g := receive(<-h.Frames()); g.Seq != 10 || g.Pos != 0 {
			t.Errorf("after the file came back: seq %d pos %v, want seq 10 from the start", g.Seq, g.Pos)
		}
		if hl := h.Health(); !hl.Up {
			t.Errorf("health %+v, want up again", hl)
		}
	})
}
