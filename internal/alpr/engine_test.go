package alpr

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
)

// TestRecognizeReadsPlates: plates of the synthetic videos pasted on the
// street among its shop and street signs, at sizes a fleet camera sees, are
// read exactly and boxed where they are, and nothing else is read.
func TestRecognizeReadsPlates(t *testing.T) {
	e, reg := openEngine(t, Options{Workers: 1})
	for _, tc := range []struct {
		name  string
		w, h  int
		box   image.Rectangle
		text  string
		style int
	}{
		{"720p close", 1280, 720, image.Rect(560, 480, 780, 590), "ABC1234", 0},
		{"720p far", 1280, 720, image.Rect(300, 520, 390, 565), "7XYZ123", 2},
		{"1080p small", 1920, 1080, image.Rect(1200, 760, 1270, 795), "KDT4821", 4},
		{"1080p middle", 1920, 1080, image.Rect(800, 700, 940, 770), "MBR557", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := alprtest.Street(t, tc.w, tc.h)
			defer img.Close()
			alprtest.PastePlate(t, &img, tc.text, tc.style, tc.box)
			plates, err := e.Recognize(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(plates) != 1 {
				t.Fatalf("read %d plates %v, want 1", len(plates), texts(plates))
			}
			p := plates[0]
			if p.Text != tc.text || !alprtest.Center(p.Box).In(tc.box) || p.Score <= 0 || p.Conf <= 0 || p.Sharpness <= 0 {
				t.Errorf("read %q at %v (score %.2f, conf %.2f, sharpness %.0f), want %q at %v",
					p.Text, p.Box, p.Score, p.Conf, p.Sharpness, tc.text, tc.box)
			}
			if len(p.Candidates) == 0 || p.Candidates[0].Text != p.Text || !p.Layout {
				t.Errorf("candidates %+v, layout %v", p.Candidates, p.Layout)
			}
		})
	}
	if n := testutil.ToFloat64(e.passFrame); n != 4 {
		t.Errorf("frame passes %v, want 4", n)
	}
	if _, err := reg.Gather(); err != nil {
		t.Error(err)
	}
}

func texts(ps []Plate) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}

// TestTextThatIsNoPlate: the text of a fleet camera's frame that is not a
// plate is never read as one: date and time, speed, GPS and camera-id
// overlays burned into the corners, phone numbers and words on a van, shop
// and street signs (the street's own), alone and beside a real plate.
func TestTextThatIsNoPlate(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1})
	white, yellow := color.RGBA{255, 255, 255, 0}, color.RGBA{255, 230, 0, 0}
	draw := func(img *gocv.Mat) {
		alprtest.Overlay(img, "2026-12-05 15:33:48", image.Pt(30, 50), 1.2, white)
		alprtest.Overlay(img, "CAM 03  UNIT 1187", image.Pt(1280-440, 50), 1.0, yellow)
		alprtest.Overlay(img, "045 KM/H  N40.71280 W74.00600", image.Pt(30, 700), 1.0, white)
		alprtest.Overlay(img, "12/05/2026 03:33:48 PM", image.Pt(1280-520, 700), 1.0, white)
		// a van's side: a panel with a phone number and words
		van := image.Rect(80, 300, 620, 470)
		gocv.Rectangle(img, van, color.RGBA{235, 235, 235, 0}, -1)
		gocv.PutText(img, "ACME PLUMBING", image.Pt(110, 350), gocv.FontHersheyDuplex, 1.3, color.RGBA{20, 40, 160, 0}, 3)
		gocv.PutText(img, "(555) 123-4567", image.Pt(110, 410), gocv.FontHersheyDuplex, 1.3, color.RGBA{200, 20, 20, 0}, 3)
		gocv.PutText(img, "555-0199  LIC 48213", image.Pt(110, 455), gocv.FontHersheySimplex, 0.9, color.RGBA{10, 10, 10, 0}, 2)
	}
	img := alprtest.Street(t, 1280, 720)
	defer img.Close()
	draw(&img)
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 0 {
		t.Errorf("read %v from overlays, a van's lettering and shop signs; want nothing", texts(plates))
	}
	// The same frame with a plate: the plate alone is read.
	box := image.Rect(800, 480, 960, 560)
	alprtest.PastePlate(t, &img, "RZT6042", 3, box)
	if plates, err = e.Recognize(img, nil); err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "RZT6042" {
		t.Errorf("read %v, want RZT6042 alone", texts(plates))
	}
}

// TestExpectedPlateLookedAt: a plate too small for the whole frame's scale
// is found when a tracker expects it there, in a window seen at full
// resolution, and only then; a window is counted as a track pass.
func TestExpectedPlateLookedAt(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1, Tuning: Tuning{DetectWidth: 320}})
	img := alprtest.Street(t, 1920, 1080)
	defer img.Close()
	box := image.Rect(1000, 800, 1064, 832) // 64 px: 11 px at a sixth
	alprtest.PastePlate(t, &img, "JMK4815", 5, box)
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plates {
		if alprtest.Center(p.Box).In(box) {
			t.Skipf("the whole-frame pass found the plate at a sixth of its size (%q): nothing to look closer at", p.Text)
		}
	}
	expected := []image.Rectangle{box.Add(image.Pt(20, -8))} // where a track moved it on to
	if plates, err = e.Recognize(img, expected); err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "JMK4815" || !alprtest.Center(plates[0].Box).In(box) {
		t.Errorf("with the expected box: read %v, want JMK4815 at %v", texts(plates), box)
	}
	if n := testutil.ToFloat64(e.passTrack); n != 1 {
		t.Errorf("track passes %v, want 1", n)
	}
}

// TestRecognizeConcurrent: several goroutines share the engine's networks
// (run with -race).
func TestRecognizeConcurrent(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 2})
	img := alprtest.Street(t, 1280, 720)
	defer img.Close()
	box := image.Rect(560, 480, 780, 590)
	alprtest.PastePlate(t, &img, "ABC1234", 0, box)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ps, err := e.Recognize(img, nil)
			if err == nil && (len(ps) != 1 || ps[0].Text != "ABC1234") {
				err = errors.New("read " + strings.Join(texts(ps), ","))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Options{ModelsDir: t.TempDir(), Region: "us"}); !errors.Is(err, ErrModelsMissing) {
		t.Errorf("empty models folder: %v, want ErrModelsMissing", err)
	}
	dir := modelsDir(t)
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{ModelsDir: dir, Region: "mars"}, "alpr.region"},
		{Options{ModelsDir: dir, Region: "us", Workers: 17}, "alpr.workers"},
		{Options{ModelsDir: dir, Region: "us", Tuning: Tuning{DetectWidth: 100}}, "alpr.detect_width"},
	} {
		if _, err := Open(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v, want an error naming %s", tc.opts, err, tc.want)
		}
	}
}

func TestRecognizeRejectsBadFrames(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1})
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := e.Recognize(empty, nil); err == nil {
		t.Error("an empty frame was searched")
	}
	grey := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC1)
	defer grey.Close()
	if _, err := e.Recognize(grey, nil); err == nil {
		t.Error("a one-channel frame was searched")
	}
}

// TestPlateTooBigSeenAtHalfScale: a plate far wider than the detector was
// trained on (a car close ahead) is read, the frame seen again at half the
// scale; a frame where the first pass found nothing is seen again too.
func TestPlateTooBigSeenAtHalfScale(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1})
	img := alprtest.Street(t, 1280, 720)
	defer img.Close()
	box := image.Rect(340, 300, 940, 600) // 450 px at the detector's input
	alprtest.PastePlate(t, &img, "BIG4321", 0, box)
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "BIG4321" || !alprtest.Center(plates[0].Box).In(box) {
		t.Fatalf("read %v, want BIG4321 at %v", plates, box)
	}
	if n := testutil.ToFloat64(e.passHalf); n != 1 {
		t.Errorf("half-scale passes %v after the big plate, want 1", n)
	}

	blank := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 720, 1280, gocv.MatTypeCV8UC3)
	defer blank.Close()
	if plates, err := e.Recognize(blank, nil); err != nil || len(plates) != 0 {
		t.Fatalf("blank frame: read %v, %v", plates, err)
	}
	if n := testutil.ToFloat64(e.passHalf); n != 2 {
		t.Errorf("half-scale passes %v after a frame where nothing was found, want 2", n)
	}
}

// TestFarPlateFoundByACloserLook: a far plate in a 1920x1080 frame, 38 px
// wide (19 px at the detector's input), scores under MinScore in the
// whole-frame pass; the closer look at that faint box finds and reads it.
// Without the look (FaintScore at MinScore) it is not read.
func TestFarPlateFoundByACloserLook(t *testing.T) {
	img := alprtest.Street(t, 1920, 1080)
	defer img.Close()
	box := image.Rect(900, 600, 938, 619)
	alprtest.PastePlate(t, &img, "FAR4321", 0, box)

	e, _ := openEngine(t, Options{Workers: 1})
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "FAR4321" || !alprtest.Center(plates[0].Box).In(box) {
		t.Fatalf("read %v, want FAR4321 at %v", plates, box)
	}
	if n := testutil.ToFloat64(e.passFaint); n < 1 {
		t.Errorf("closer looks at faint boxes %v, want at least 1", n)
	}

	tune := DefaultTuning
	tune.FaintScore = tune.MinScore
	blind, _ := openEngine(t, Options{Workers: 1, Tuning: tune})
	if plates, err := blind.Recognize(img, nil); err != nil || len(plates) != 0 {
		t.Fatalf("without closer looks: read %v, %v; want nothing (the test's plate must score under MinScore)", plates, err)
	}
}
