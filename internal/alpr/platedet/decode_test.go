package platedet

import (
	"image"
	"math"
	"testing"
)

// mapsWith builds the five output maps of a gw x gh grid with one plate
// centred in cell (x, y) with the given offset, size in cells and score,
// and a weaker neighbour of it.
func mapsWith(gw, gh, x, y int, dx, dy, w, h float64, score float32) []float32 {
	n := gw * gh
	v := make([]float32, maps*n)
	i := y*gw + x
	v[i] = score
	if x+1 < gw {
		v[i+1] = score / 2 // the same plate seen from the next cell: no peak
	}
	v[n+i], v[2*n+i] = float32(dx), float32(dy)
	v[3*n+i], v[4*n+i] = float32(math.Log(w)), float32(math.Log(h))
	return v
}

func TestDecodePeak(t *testing.T) {
	v := mapsWith(40, 24, 10, 6, 0.5, 0.25, 12, 3, 0.8)
	got := decode(v, 40, 24, 0.3)
	if len(got) != 1 {
		t.Fatalf("decode found %d peaks, want 1: %+v", len(got), got)
	}
	c := got[0]
	// centre (10.5, 6.25) cells = (42, 25) px; size 12x3 cells = 48x12 px
	if math.Abs(c.cx-42) > 1e-6 || math.Abs(c.cy-25) > 1e-6 || math.Abs(c.w-48) > 1e-4 || math.Abs(c.h-12) > 1e-4 || c.score != 0.8 {
		t.Errorf("decoded %+v, want centre (42, 25), 48x12, score 0.8", c)
	}
	if got := decode(v, 40, 24, 0.9); len(got) != 0 {
		t.Errorf("a peak under the minimum score was kept: %+v", got)
	}
}

func TestDecodeBoundsSize(t *testing.T) {
	v := mapsWith(8, 8, 3, 3, 0, 0, 1, 1, 0.9)
	v[3*64+3*8+3] = 1e9 // a wild log width
	got := decode(v, 8, 8, 0.3)
	if len(got) != 1 || got[0].w > math.Exp(maxLogSize)*stride+1 {
		t.Errorf("decoded %+v, want a width bounded by e^%d cells", got, maxLogSize)
	}
}

func TestSuppress(t *testing.T) {
	ds := []Detection{
		{Box: image.Rect(0, 0, 100, 30), Score: 0.5},
		{Box: image.Rect(5, 2, 105, 32), Score: 0.9},   // the same plate, better
		{Box: image.Rect(300, 0, 400, 30), Score: 0.4}, // another plate
		{Box: image.Rect(0, 0, 30, 30), Score: 0.6},    // a part of the best: its centre inside it
	}
	got := Suppress(ds)
	if len(got) != 2 || got[0].Score != 0.9 || got[1].Score != 0.4 {
		t.Errorf("Suppress = %+v, want the 0.9 box then the 0.4 one", got)
	}
	if ds[0].Score != 0.5 {
		t.Error("Suppress changed its argument")
	}
}

func TestInputSize(t *testing.T) {
	d := &Detector{opts: Options{Width: 960}}
	for _, tc := range []struct {
		area  image.Rectangle
		scale float64
		size  image.Point
	}{
		{image.Rect(0, 0, 1920, 1080), 0.5, image.Pt(960, 544)},
		{image.Rect(0, 0, 1280, 720), 0.75, image.Pt(960, 544)},
		{image.Rect(0, 0, 640, 480), 1, image.Pt(640, 480)},
		{image.Rect(100, 100, 300, 250), 1, image.Pt(224, 160)}, // never enlarged
	} {
		s, size := d.Input(tc.area)
		if s != tc.scale || size != tc.size {
			t.Errorf("Input(%v) = %g, %v; want %g, %v", tc.area, s, size, tc.scale, tc.size)
		}
	}
	look := &Detector{opts: Options{Width: 256, Enlarge: true}}
	for _, tc := range []struct {
		area  image.Rectangle
		scale float64
		size  image.Point
	}{
		{image.Rect(0, 0, 192, 192), 256.0 / 192, image.Pt(256, 256)},
		{image.Rect(0, 0, 100, 100), MaxEnlarge, image.Pt(224, 224)},
		{image.Rect(0, 0, 512, 512), 0.5, image.Pt(256, 256)},
	} {
		s, size := look.Input(tc.area)
		if s != tc.scale || size != tc.size {
			t.Errorf("enlarging Input(%v) = %g, %v; want %g, %v", tc.area, s, size, tc.scale, tc.size)
		}
	}
}

func TestIoU(t *testing.T) {
	a := image.Rect(0, 0, 10, 10)
	if v := IoU(a, image.Rect(5, 0, 15, 10)); math.Abs(v-1.0/3) > 1e-9 {
		t.Errorf("IoU of half-overlapping squares = %g, want 1/3", v)
	}
	if v := IoU(a, image.Rect(20, 20, 30, 30)); v != 0 {
		t.Errorf("IoU of disjoint boxes = %g", v)
	}
}
