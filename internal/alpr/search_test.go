package alpr

import (
	"image"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// wideEngine opens an engine of one worker with Options.WideLook.
func wideEngine(t *testing.T) *Engine {
	t.Helper()
	e, _ := openEngineWith(t, Options{Region: "us", Workers: 1, WideLook: true})
	return e
}

// TestWideLookOnlyForLargeWholeFrames: with WideLook, a whole frame larger
// than the detect width gets its first look from the wide detector, loaded
// then; motion regions and small frames never load it, nor does an engine
// without WideLook (the agent's default).
func TestWideLookOnlyForLargeWholeFrames(t *testing.T) {
	e := wideEngine(t)
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

	plain, _ := openEngine(t, "us", 1)
	plates, err = plain.Recognize(img, nil)
	if err != nil || len(plates) != 1 || plates[0].Text != "ABC1234" {
		t.Fatalf("without WideLook: %+v, %v", plates, err)
	}
	if plain.sets[0].wide != nil {
		t.Error("wide detector loaded without WideLook")
	}
}

// TestSettledLineReadOnce: a sign read clearly as no plate is read once,
// not again in each later pass that boxes it anew (zoom windows, the tiles
// of both fine rounds), though the search goes on through those passes.
func TestSettledLineReadOnce(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	img := scene(1920, 1080, image.Rectangle{}, "")
	defer img.Close()
	drawSign(&img, image.Rect(700, 300, 1200, 380), "PHARMACY")
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 0 {
		t.Fatalf("plates %+v in a frame without one", plates)
	}
	w := <-e.idle
	defer func() { e.idle <- w }()
	if w.detections < 10 || w.reads != 1 {
		t.Errorf("%d detector passes and %d reads; want the whole search (10 or more passes) and one read of the sign", w.detections, w.reads)
	}
}

// TestSettleRules: only a clear reading of plate length settles its line;
// the line boxed anew or in part is settled, a wider line holding it (the
// whole plate a part of which read clearly) is not.
func TestSettleRules(t *testing.T) {
	clear := func(n int) []plate.Char {
		cs := make([]plate.Char, n)
		for i := range cs {
			cs[i] = plate.Char{Alts: []plate.Alt{{R: 'A', P: 0.95}}}
		}
		return cs
	}
	line := Candidate{Quad: rectQuad(image.Rect(100, 100, 300, 140))}
	for _, tc := range []struct {
		name  string
		chars []plate.Char
		want  bool
	}{
		{"clear, 8 characters", clear(8), true},
		{"clear, 3 characters", clear(3), false},
		{"clear, 12 characters (longer than a plate)", clear(12), false},
		{"one unclear character", append(clear(5), plate.Char{Alts: []plate.Alt{{R: 'B', P: 0.6}}}), false},
	} {
		w := &worker{}
		w.settle(line, tc.chars)
		if got := w.isSettled(line); got != tc.want {
			t.Errorf("%s: settled = %v, want %v", tc.name, got, tc.want)
		}
	}
	w := &worker{}
	w.settle(line, clear(6))
	for _, tc := range []struct {
		name string
		box  image.Rectangle
		want bool
	}{
		{"boxed anew", image.Rect(95, 98, 310, 145), true},
		{"its first word", image.Rect(105, 102, 190, 138), true},
		{"a wider line holding it", image.Rect(40, 95, 330, 145), false},
		// 8 characters where 7 were read clearly: 8/7 as wide, mostly in it
		{"the whole plate read in part", image.Rect(100, 100, 329, 140), false},
		{"a line below", image.Rect(100, 150, 300, 190), false},
	} {
		if got := w.isSettled(Candidate{Quad: rectQuad(tc.box)}); got != tc.want {
			t.Errorf("%s: settled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWideLookReplacesFirstFineRound: a large whole frame without a plate
// is searched by the wide look, its zoom windows and the fine pass's
// second round of tiles only: the first round would see it at about the
// wide look's scale.
func TestWideLookReplacesFirstFineRound(t *testing.T) {
	e := wideEngine(t)
	img := scene(1920, 1080, image.Rectangle{}, "")
	defer img.Close()
	if _, err := e.Recognize(img, nil); err != nil {
		t.Fatal(err)
	}
	w := <-e.idle
	defer func() { e.idle <- w }()
	second := len(tiles(image.Rect(0, 0, 1920, 1080), w.det.side, fineScales[1]))
	zoom := int(testutil.ToFloat64(e.passes.WithLabelValues("zoom")))
	if w.detections != 1+zoom+second {
		t.Errorf("%d detector passes, want the wide look, %d zoom windows and the %d tiles of the second round", w.detections, zoom, second)
	}
}

// TestExpectedPlateLookedAt: a plate too small for the scale of a large
// motion region is not found there, but is read when the tracker expects it
// near where it is (one track pass); a look where nothing is finds nothing.
func TestExpectedPlateLookedAt(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	box := image.Rect(1200, 700, 1330, 740)
	img := scene(1920, 1080, box, "ABC1234")
	defer img.Close()
	whole := []image.Rectangle{image.Rect(0, 0, 1920, 1080)}
	track := func() float64 { return testutil.ToFloat64(e.passes.WithLabelValues("track")) }

	plates, err := e.Recognize(img, whole)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 0 {
		t.Fatalf("the plate was read at the region's scale (%+v): the test needs a smaller one", plates)
	}
	plates, err = e.RecognizeExpecting(img, whole, []image.Rectangle{image.Rect(600, 200, 730, 240)})
	if err != nil || len(plates) != 0 {
		t.Fatalf("expected where no plate is: %+v, %v", plates, err)
	}
	// Expected 40 px left of where it is: the tracker's guess from its speed.
	plates, err = e.RecognizeExpecting(img, whole, []image.Rectangle{box.Sub(image.Pt(40, 0))})
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "ABC1234" || !center(plates[0].Box).In(box) {
		t.Errorf("expected near the plate: %+v", plates)
	}
	if track() != 2 {
		t.Errorf("%v track passes, want 2", track())
	}
}
