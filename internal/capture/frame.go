package capture

import (
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Frame is one picture from a camera with the times it was captured.
//
// Ownership: a Frame received from [Camera.Frames] belongs to the receiver,
// which must call [Frame.Close] when done with it, and must not use Mat
// after that (Clone it to keep the picture longer). Frames that capture
// drops or skips never reach the receiver; capture closes them. A Frame must
// not be used by two goroutines at once. A Frame made outside this package
// (in a test) owns its Mat: Close closes it.
type Frame struct {
	// Camera is the name of the camera (config cameras[].name).
	Camera string
	// Mat is the picture, 8-bit BGR.
	Mat gocv.Mat
	// Seq counts the frames the camera read since Run started, from 0,
	// across reconnects, including the frames that were skipped or dropped;
	// a gap in Seq shows frames the analysis did not get. In a replay it is
	// the frame's index in the video (on the first pass of a looped video).
	Seq int64
	// Wall is the capture time: for a live camera the wall clock when the
	// frame was read; in a replay the clock start plus Mono.
	Wall time.Time
	// Mono is the capture time on a monotonic scale, for intervals: for a
	// live camera the time since Run started; in a replay the frame's
	// position in the video, plus the length of earlier passes when it loops.
	Mono time.Duration
	// Pos is the frame's position in a video file (from the container, or
	// its index over the frame rate); 0 for devices and streams.
	Pos time.Duration
	// Motion is true when the motion gate saw change in this frame. A frame
	// without motion is still delivered while motion.hold has not passed
	// since the last motion, when the gate is off, and as the first frame
	// after the camera (re)opened.
	Motion bool
	// Regions are the changed areas in frame pixels when Motion is true. The
	// analysis may restrict detection to them; when empty, it should look at
	// the whole frame.
	Regions []image.Rectangle

	pool   *matPool
	closed bool
}

// Close releases the frame's picture. It may be called more than once.
func (f *Frame) Close() {
	if f == nil || f.closed {
		return
	}
	f.closed = true
	f.pool.put(f.Mat)
	f.Mat = gocv.Mat{}
	f.Regions = nil
}

// matPool keeps a few Mats of earlier frames so that decoding a frame
// reuses a buffer of the right size instead of allocating a new one (6 MB
// at 1080p). It is safe for concurrent use: frames come back to it from the
// analysis goroutines, even after the camera has closed.
type matPool struct {
	mu     sync.Mutex
	free   []gocv.Mat
	max    int
	closed bool
}

func newMatPool(max int) *matPool { return &matPool{max: max} }

// get returns a Mat for a frame: an earlier one or a new, empty one.
func (p *matPool) get() gocv.Mat {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		m := p.free[n-1]
		p.free = p.free[:n-1]
		return m
	}
	return gocv.NewMat()
}

// put takes back m, or closes it when the pool is full or closed. A nil
// pool closes m.
func (p *matPool) put(m gocv.Mat) {
	if m.Ptr() == nil {
		return
	}
	if p != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.closed && len(p.free) < p.max {
			p.free = append(p.free, m)
			return
		}
	}
	_ = m.Close()
}

// close frees the pooled Mats; Mats put back later are closed at once.
func (p *matPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, m := range p.free {
		_ = m.Close()
	}
	p.free = nil
}
