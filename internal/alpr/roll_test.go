package alpr

import (
	"image"
	"math"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
)

// TestPlateRoll: a plate turned by a known roll, either way, is found
// turned by that roll within 2 degrees, a level one level; a box too small
// to tell is level.
func TestPlateRoll(t *testing.T) {
	for _, deg := range []float64{-11, -6, 0, 3, 8, 12} {
		img := alprtest.Street(t, 1280, 720)
		box := image.Rect(560, 400, 720, 480)
		alprtest.PastePlate(t, &img, "KDT4821", 1, box)
		turned := alprtest.Roll(&img, box, deg)
		if got := plateRoll(img, turned); math.Abs(got-deg) > 2 {
			t.Errorf("plate turned %.0f degrees: roll %.1f", deg, got)
		}
		img.Close()
	}
	img := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC3)
	defer img.Close()
	if got := plateRoll(img, image.Rect(10, 10, 16, 12)); got != 0 {
		t.Errorf("a 6x2 box: roll %v, want 0", got)
	}
	if got := plateRoll(img, image.Rect(10, 10, 60, 30)); got != 0 {
		t.Errorf("a box without edges: roll %v, want 0", got)
	}
}

// TestRecognizeReadsRolledPlates: plates turned as far as plates of cars off
// the camera's axis are read exactly. These clean rendered plates read
// upright too (even at 14 degrees); the levelled read itself is pinned by
// platereader's TestReadCropsLevelsARolledPlate.
func TestRecognizeReadsRolledPlates(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1})
	for _, deg := range []float64{-10, 10} {
		img := alprtest.Street(t, 1280, 720)
		box := image.Rect(600, 480, 700, 530)
		alprtest.PastePlate(t, &img, "7XYZ123", 2, box)
		turned := alprtest.Roll(&img, box, deg)
		plates, err := e.Recognize(img, nil)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(plates) != 1 || plates[0].Text != "7XYZ123" || !alprtest.Center(plates[0].Box).In(turned) {
			t.Errorf("plate turned %.0f degrees at %v: read %v", deg, turned, plates)
		}
	}
}
