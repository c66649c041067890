package motion

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/capture/internal/mattest"
	"github.com/edge-agent/edge-agent/internal/config"
)

func testConfig() config.Motion {
	return config.Motion{Enabled: true, Width: 160, Threshold: 25, MinArea: 0.002}
}

// scene draws a textured still background with light sensor noise into m
// and, when obj is not empty, a bright object.
//
// m may be a zero Mat, then scene makes it; the caller closes it.
func scene(m *gocv.Mat, size image.Point, brightness uint8, obj image.Rectangle) {
	if m.Ptr() == nil { // a zero Mat: make it
		*m = gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
	}
	b := float64(brightness)
	m.SetTo(gocv.NewScalar(b, b, b, 0))
	for x := 0; x < size.X; x += size.X / 8 {
		gocv.Line(m, image.Pt(x, 0), image.Pt(x, size.Y), color.RGBA{uint8(b / 2), uint8(b / 2), uint8(b / 2), 0}, 3)
	}
	noise := gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
	defer noise.Close()
	gocv.RandU(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(6, 6, 6, 0))
	gocv.Add(*m, noise, m)
	if !obj.Empty() {
		gocv.Rectangle(m, obj, color.RGBA{240, 240, 240, 0}, -1)
	}
}

func newDetector(t *testing.T, cfg config.Motion) *Improved {
	t.Helper()
	d, err := NewImproved(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
		mattest.Check(t)
	})
	return d
}

func TestStillSceneHasNoMotion(t *testing.T) {
	d := newDetector(t, testConfig())
	var m gocv.Mat
	defer func() { _ = m.Close() }()
	for i := range 50 {
		scene(&m, image.Pt(640, 360), 90, image.Rectangle{})
		if moving, regions := d.Detect(m); moving || len(regions) > 0 {
			t.Fatalf("frame %d of a still, noisy scene: moving=%v regions=%v", i, moving, regions)
		}
	}
}

func TestMovingObjectIsFoundWhereItIs(t *testing.T) {
	d := newDetector(t, testConfig())
	size := image.Pt(1280, 720)
	var m gocv.Mat
	defer func() { _ = m.Close() }()
	scene(&m, size, 90, image.Rectangle{})
	d.Detect(m)
	for i := range 30 {
		obj := image.Rect(100+i*30, 300, 260+i*30, 380)
		scene(&m, size, 90, obj)
		moving, regions := d.Detect(m)
		if !moving {
			t.Fatalf("frame %d: the object at %v was not seen", i, obj)
		}
		if !covered(obj, regions) {
			t.Fatalf("frame %d: object %v is not inside any region of %v", i, obj, regions)
		}
		for _, r := range regions {
			if !r.In(image.Rectangle{Max: size}) {
				t.Fatalf("frame %d: region %v lies outside the %v frame", i, r, size)
			}
			// Only the object moves: no region may be much larger than it.
			if r.Dx()*r.Dy() > 4*obj.Dx()*obj.Dy() {
				t.Fatalf("frame %d: region %v is far larger than the object %v", i, r, obj)
			}
		}
	}
	// The object leaves: the scene is still again at once, without a ghost.
	scene(&m, size, 90, image.Rectangle{})
	if moving, regions := d.Detect(m); moving {
		t.Fatalf("after the object left: moving with regions %v", regions)
	}
}

// covered reports whether one of regions contains obj.
func covered(obj image.Rectangle, regions []image.Rectangle) bool {
	for _, r := range regions {
		if obj.In(r) {
			return true
		}
	}
	return false
}

func TestSmallChangesBelowMinAreaAreIgnored(t *testing.T) {
	cfg := testConfig()
	cfg.MinArea = 0.05
	d := newDetector(t, cfg)
	size := image.Pt(640, 360)
	var m gocv.Mat
	defer func() { _ = m.Close() }()
	scene(&m, size, 90, image.Rectangle{})
	d.Detect(m)
	for i := range 10 { // 40x20 px is 0.35% of the frame
		scene(&m, size, 90, image.Rect(100+i*20, 100, 140+i*20, 120))
		if moving, regions := d.Detect(m); moving {
			t.Fatalf("frame %d: a change below min_area counted as motion: %v", i, regions)
		}
	}
	scene(&m, size, 90, image.Rect(100, 100, 400, 300)) // 26% of the frame
	if moving, _ := d.Detect(m); !moving {
		t.Fatal("a change above min_area was not seen")
	}
}

func TestLightingChangeRecalibrates(t *testing.T) {
	d := newDetector(t, testConfig())
	size := image.Pt(640, 360)
	var m gocv.Mat
	defer func() { _ = m.Close() }()
	for range 5 {
		scene(&m, size, 60, image.Rectangle{})
		d.Detect(m)
	}
	scene(&m, size, 180, image.Rectangle{})
	if moving, _ := d.Detect(m); !moving {
		t.Fatal("the lights came on and nothing was seen")
	}
	// frameAlpha alone would take well over 100 frames to absorb the change.
	settled := -1
	for i := range 40 {
		scene(&m, size, 180, image.Rectangle{})
		if moving, _ := d.Detect(m); !moving {
			settled = i
			break
		}
	}
	if settled < 0 {
		t.Fatal("the detector did not recalibrate within 40 frames of a lighting change")
	}
	for i := range 10 {
		scene(&m, size, 180, image.Rectangle{})
		if moving, regions := d.Detect(m); moving {
			t.Fatalf("frame %d after recalibration: still moving %v", i, regions)
		}
	}
}

func TestFrameSizeChangeStartsAfresh(t *testing.T) {
	d := newDetector(t, testConfig())
	var a, b gocv.Mat
	defer func() { _ = a.Close(); _ = b.Close() }()
	scene(&a, image.Pt(640, 360), 90, image.Rectangle{})
	scene(&b, image.Pt(320, 240), 90, image.Rectangle{})
	d.Detect(a)
	if moving, _ := d.Detect(b); moving {
		t.Fatal("the first frame of a new size counted as motion")
	}
	if moving, _ := d.Detect(b); moving {
		t.Fatal("a still frame of the new size counted as motion")
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if moving, _ := d.Detect(empty); moving {
		t.Fatal("an empty frame counted as motion")
	}
}

func TestResetForgetsTheScene(t *testing.T) {
	d := newDetector(t, testConfig())
	size := image.Pt(640, 360)
	var m gocv.Mat
	defer func() { _ = m.Close() }()
	scene(&m, size, 90, image.Rectangle{})
	d.Detect(m)
	d.Reset()
	scene(&m, size, 90, image.Rect(0, 0, 300, 300))
	if moving, _ := d.Detect(m); moving {
		t.Fatal("the first frame after Reset counted as motion")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*config.Motion)
		want   string
	}{
		{func(c *config.Motion) { c.Width = 4 }, "motion: 'width' must be at least 8 px, got 4"},
		{func(c *config.Motion) { c.Threshold = 0 }, "motion: 'threshold' must be within 1..255, got 0"},
		{func(c *config.Motion) { c.Threshold = 300 }, "motion: 'threshold' must be within 1..255, got 300"},
		{func(c *config.Motion) { c.MinArea = 1.5 }, "motion: 'min_area' must be within 0..1, got 1.5"},
	} {
		cfg := testConfig()
		tc.mutate(&cfg)
		_, err := NewImproved(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewImproved(%+v) = %v, want %q", cfg, err, tc.want)
		}
	}
}
