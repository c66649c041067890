package agent

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/api"
	"github.com/edge-agent/edge-agent/internal/capture"
)

// frame.jpg is the latest analysed frame scaled to viewWidth, with the
// plate's box and the motion region drawn where they are.
func TestViewDrawsPlatesAndMotion(t *testing.T) {
	v := newView([]string{"front"})
	defer v.close()
	if _, err := v.frame("front"); err == nil {
		t.Fatal("a frame before any was analysed")
	}
	if _, err := v.frame("back"); err != api.ErrNoCamera {
		t.Fatalf("unknown camera: %v", err)
	}
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(40, 40, 40, 0), 1080, 1920, gocv.MatTypeCV8UC3)
	f := &capture.Frame{Camera: "front", Mat: m, Seq: 1, Motion: true, Regions: []image.Rectangle{image.Rect(100, 100, 900, 900)}}
	v.offer(f, []alpr.Plate{{Text: "ABC1234", Conf: 0.9, Box: image.Rect(1000, 500, 1400, 600)}})
	f.Close() // the view keeps its own copy
	b, err := v.frame("front")
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != viewWidth {
		t.Fatalf("width %d, want %d", w, viewWidth)
	}
	scale := func(x int) int { return x * viewWidth / 1920 }
	// JPEG blurs thin lines: a colour is told by which channel leads.
	isGreen := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return g > r+15000 && g > b+15000 }
	isBlue := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return b > r+15000 && b > g }
	if c := img.At(scale(1200), scale(600)); !isGreen(c) {
		t.Errorf("plate box edge is %v, want green", c)
	}
	if c := img.At(scale(100), scale(500)); !isBlue(c) {
		t.Errorf("motion region edge is %v, want blue", c)
	}
	if c := img.At(scale(500), scale(500)); isGreen(c) || isBlue(c) {
		t.Errorf("inside the region is %v, want the frame", c)
	}
}
