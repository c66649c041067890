package alpr

import (
	"image"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestWideLookOnlyForLargeWholeFrames: a whole frame larger than the
// detect width gets its first look from the wide detector, loaded then;
// motion regions and small frames never load it.
func TestWideLookOnlyForLargeWholeFrames(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	box := image.Rect(500, 400, 800, 460)
	img := scene(1280, 720, box, "ABC1234")
	defer img.Close()
	small := scene(640, 360, image.Rect(200, 200, 400, 240), "XYZ5678")
	defer small.Close()
	wide := func() float64 { return testutil.ToFloat64(e.passes.WithLabelValues("wide")) }

	if _, err := e.Recognize(img, []image.Rectangle{image.Rect(450, 350, 900, 520)}); err != nil {
		t.Fatal(err)
	}
	if plates, err := e.Recognize(small, nil); err != nil || len(plates) != 1 || plates[0].Text != "XYZ5678" {
		t.Fatalf("small frame: %+v, %v", plates, err)
	}
	if e.sets[0].wide != nil || wide() != 0 {
		t.Fatalf("wide detector loaded (%v) or used (%v passes) without a large whole frame", e.sets[0].wide != nil, wide())
	}
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "ABC1234" || !center(plates[0].Box).In(box) {
		t.Errorf("whole 720p frame gave %+v", plates)
	}
	if e.sets[0].wide == nil || wide() != 1 {
		t.Errorf("wide detector loaded %v, %v wide passes; want loaded, 1", e.sets[0].wide != nil, wide())
	}
}
