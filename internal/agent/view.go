package agent

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/api"
	"github.com/edge-agent/edge-agent/internal/capture"
)

// viewEvery is the least interval between two frames a camera's view keeps:
// an installer's page refreshes about once a second, so copying each 1080p
// frame (6 MB) ten times a second would buy nothing.
const viewEvery = 250 * time.Millisecond

// viewWidth is the widest frame.jpg served: enough to aim a camera and read
// the boxes' labels, and a fraction of a full 1080p JPEG's bytes.
const viewWidth = 1280

// rateWindow is the span a camera's frame rate is measured over.
const rateWindow = 2 * time.Second

// errNoFrame is returned by frame for a camera that has not had a frame
// analysed yet.
var errNoFrame = errors.New("no frame analysed yet")

// view keeps, for the local API and the installer view, each camera's
// latest analysed frame with its plates and motion regions, and the rate
// at which the camera hands frames to the analysis. The Mats it holds are
// its own clones, closed when replaced and in close.
type view struct {
	mu   sync.Mutex
	cams map[string]*camView
}

type camView struct {
	frame   gocv.Mat // nil Ptr until the first frame; at most viewWidth wide
	scale   float64  // frame's size over the camera's
	seq     int64
	taken   time.Time // wall clock when kept
	plates  []alpr.Plate
	regions []image.Rectangle
	jpeg    []byte // frame encoded, for seq jpegSeq
	jpegSeq int64

	count      int // frames counted since windowAt
	windowAt   time.Time
	fps        float64
	lastFrameT time.Time // capture time of the latest frame counted
}

func newView(cameras []string) *view {
	v := &view{cams: map[string]*camView{}}
	for _, c := range cameras {
		v.cams[c] = &camView{jpegSeq: -1}
	}
	return v
}

// count records that camera handed a frame captured at wall to the analysis.
func (v *view) count(camera string, wall time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.cams[camera]
	if c == nil {
		return
	}
	now := time.Now()
	if c.windowAt.IsZero() {
		c.windowAt = now
	}
	c.count++
	c.lastFrameT = wall
	if d := now.Sub(c.windowAt); d >= rateWindow {
		c.fps = float64(c.count) / d.Seconds()
		c.count, c.windowAt = 0, now
	}
}

// offer keeps a copy of f, scaled to viewWidth at most, with its plates when
// the camera's kept frame is older than viewEvery.
func (v *view) offer(f *capture.Frame, plates []alpr.Plate) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.cams[f.Camera]
	if c == nil || (c.frame.Ptr() != nil && time.Since(c.taken) < viewEvery && (len(plates) == 0 || len(c.plates) > 0)) {
		return
	}
	if c.frame.Ptr() == nil {
		c.frame = gocv.NewMat()
	}
	// Written into the Mat kept, not cloned: a frame is a block of MBs, and
	// one made anew for each frame kept is mapped and faulted in a page at
	// a time (cmalloc), a quarter of the agent's page faults when it was.
	// Kept at the size served: a 1080p camera's view holds 2.8 MB, not 6.2.
	c.scale = 1
	if cols := f.Mat.Cols(); cols > viewWidth {
		c.scale = float64(viewWidth) / float64(cols)
		gocv.Resize(f.Mat, &c.frame, image.Pt(viewWidth, f.Mat.Rows()*viewWidth/cols), 0, 0, gocv.InterpolationArea)
	} else {
		f.Mat.CopyTo(&c.frame)
	}
	c.seq, c.taken = f.Seq, time.Now()
	c.plates = append(c.plates[:0], plates...)
	c.regions = append(c.regions[:0], f.Regions...)
}

// state returns the frame rate and the capture time of the latest frame.
func (v *view) state(camera string) (fps float64, last time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.cams[camera]; c != nil {
		return c.fps, c.lastFrameT
	}
	return 0, time.Time{}
}

// frame returns the camera's latest kept frame as JPEG (viewWidth wide at
// most), with the motion regions (blue), the plates' boxes and readings
// (green) drawn.
func (v *view) frame(camera string) ([]byte, error) {
	v.mu.Lock()
	c := v.cams[camera]
	if c == nil {
		v.mu.Unlock()
		return nil, api.ErrNoCamera
	}
	if c.frame.Ptr() == nil {
		v.mu.Unlock()
		return nil, errNoFrame
	}
	if c.jpegSeq == c.seq {
		b := c.jpeg
		v.mu.Unlock()
		return b, nil
	}
	m := c.frame.Clone()
	seq, scale := c.seq, c.scale
	plates, regions := append([]alpr.Plate(nil), c.plates...), append([]image.Rectangle(nil), c.regions...)
	v.mu.Unlock()
	defer m.Close()

	// Boxes and regions are in the camera's pixels.
	at := func(r image.Rectangle) image.Rectangle {
		return image.Rect(int(float64(r.Min.X)*scale), int(float64(r.Min.Y)*scale),
			int(float64(r.Max.X)*scale), int(float64(r.Max.Y)*scale))
	}
	blue, green, black := color.RGBA{0, 128, 255, 0}, color.RGBA{0, 255, 0, 0}, color.RGBA{0, 0, 0, 0}
	for _, r := range regions {
		gocv.Rectangle(&m, at(r), blue, 2)
	}
	for _, p := range plates {
		box := at(p.Box)
		gocv.Rectangle(&m, box, green, 2)
		label := fmt.Sprintf("%s %.2f", p.Text, p.Conf)
		org := image.Pt(box.Min.X, max(box.Min.Y-7, 16))
		gocv.PutText(&m, label, org, gocv.FontHersheyDuplex, 0.7, black, 4)
		gocv.PutText(&m, label, org, gocv.FontHersheyDuplex, 0.7, green, 2)
	}
	b := encodeJPEG(m, 80)
	if b == nil {
		return nil, errors.New("encoding the frame failed")
	}
	v.mu.Lock()
	c.jpeg, c.jpegSeq = b, seq
	v.mu.Unlock()
	return b, nil
}

// close closes the kept frames.
func (v *view) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.cams {
		if c.frame.Ptr() != nil {
			c.frame.Close()
			c.frame = gocv.Mat{}
		}
	}
}
