package alpr

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gocv.io/x/gocv"
)

func openEngine(t *testing.T, region string, workers int) (*Engine, *prometheus.Registry) {
	t.Helper()
	return openEngineWith(t, Options{Region: region, Workers: workers})
}

// openEngineWith opens an engine with opts, the repository's models and a
// private registry, closed when the test ends.
func openEngineWith(t *testing.T, opts Options) (*Engine, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.ModelsDir, opts.Metrics = modelsDir(t), reg
	e, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e, reg
}

func center(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}

// TestRecognizeFindsPlateInFrame: a synthetic 720p frame with one plate at a
// known box among other shapes; the engine reads it and boxes it.
func TestRecognizeFindsPlateInFrame(t *testing.T) {
	e, reg := openEngine(t, "us", 1)
	for _, tc := range []struct {
		name string
		box  image.Rectangle
		text string
	}{
		{"large", image.Rect(500, 400, 800, 460), "ABC1234"},
		{"small, bottom left", image.Rect(100, 600, 250, 630), "7XYZ123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := scene(1280, 720, tc.box, tc.text)
			defer img.Close()
			plates, err := e.Recognize(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(plates) == 0 {
				t.Fatal("no plate found")
			}
			p := plates[0]
			if p.Text != tc.text {
				t.Errorf("read %q, want %q", p.Text, tc.text)
			}
			if !center(p.Box).In(tc.box) {
				t.Errorf("box %v: its centre is outside the plate at %v", p.Box, tc.box)
			}
			if p.Region != "us" || p.Format == "" {
				t.Errorf("region %q format %q, want a us layout", p.Region, p.Format)
			}
			if len(p.CharConfs) != len(p.Text) || p.Conf <= 0 || p.Conf > 1 {
				t.Errorf("conf %v charconfs %v for %q", p.Conf, p.CharConfs, p.Text)
			}
			if len(p.Candidates) == 0 || p.Candidates[0].Text != p.Text {
				t.Errorf("candidates %+v do not start with the reading", p.Candidates)
			}
			if p.Sharpness <= 0 {
				t.Errorf("sharpness %v, want > 0", p.Sharpness)
			}
		})
	}
	if n := testutil.CollectAndCount(reg, "edge_alpr_recognize_seconds"); n != 1 {
		t.Errorf("recognize histogram series = %d, want 1", n)
	}
}

// TestRecognizeRegions: motion regions restrict the search.
func TestRecognizeRegions(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	box := image.Rect(500, 400, 800, 460)
	img := scene(1280, 720, box, "ABC1234")
	defer img.Close()
	plates, err := e.Recognize(img, []image.Rectangle{image.Rect(0, 0, 400, 300)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 0 {
		t.Errorf("region without the plate gave %q", plates[0].Text)
	}
	plates, err = e.Recognize(img, []image.Rectangle{image.Rect(0, 0, 400, 300), image.Rect(450, 350, 900, 520)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "ABC1234" || !center(plates[0].Box).In(box) {
		t.Errorf("regions around the plate gave %+v", plates)
	}
}

// TestRecognizeConcurrent: two goroutines share an engine of two workers,
// with one network set shared by both or one each; a second worker (and
// set) loads only when calls overlap, and every read stays right.
func TestRecognizeConcurrent(t *testing.T) {
	for _, sets := range []int{1, 2} {
		t.Run(fmt.Sprintf("networks=%d", sets), func(t *testing.T) {
			e, err := Open(Options{ModelsDir: modelsDir(t), Region: "us", Workers: 2, Networks: sets})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			recognizeConcurrent(t, e)
			if len(e.sets) > sets || e.workers > 2 {
				t.Errorf("%d network sets and %d workers loaded, want at most %d and 2", len(e.sets), e.workers, sets)
			}
		})
	}
}

func recognizeConcurrent(t *testing.T, e *Engine) {
	img := scene(1280, 720, image.Rect(500, 400, 800, 460), "ABC1234")
	for range 2 {
		if _, err := e.Recognize(img, nil); err != nil {
			t.Fatal(err)
		}
	}
	img.Close()
	if e.workers != 1 || len(e.sets) != 1 {
		t.Errorf("%d workers and %d network sets loaded after sequential calls, want 1 and 1", e.workers, len(e.sets))
	}
	texts := []string{"ABC1234", "XYZ9876"}
	var wg sync.WaitGroup
	errs := make([]error, len(texts))
	for i, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := scene(1280, 720, image.Rect(500, 400, 800, 460), text)
			defer img.Close()
			for range 3 {
				plates, err := e.Recognize(img, nil)
				if err == nil && (len(plates) == 0 || plates[0].Text != text) {
					err = errors.New("wrong read of " + text)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(Options{ModelsDir: dir, Region: "us"})
	if !errors.Is(err, ErrModelsMissing) || !strings.Contains(err.Error(), `alpr.models_dir "`+dir+`": det.onnx not found; run 'make models'`) {
		t.Errorf("missing models: %v", err)
	}
	_, err = Open(Options{ModelsDir: dir, Region: "xx"})
	if err == nil || !strings.Contains(err.Error(), "alpr.region") {
		t.Errorf("bad region: %v", err)
	}
	_, err = Open(Options{ModelsDir: dir, Region: "us", Workers: 2, Networks: 3})
	if err == nil || err.Error() != "alpr.networks must be in 1..alpr.workers (2), got 3" {
		t.Errorf("more network sets than workers: %v", err)
	}
	_, err = Open(Options{ModelsDir: dir, Region: "us", Workers: 17})
	if err == nil || err.Error() != "alpr.workers must be in 1..16, got 17" {
		t.Errorf("bad workers: %v", err)
	}
}

func TestRecognizeRejectsBadFrames(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := e.Recognize(empty, nil); err == nil {
		t.Error("empty frame accepted")
	}
}

// TestRecognizeIgnoresSigns: text lines without digits (shop signs, state
// names) rank below plates and do not stop the search for a small plate.
func TestRecognizeIgnoresSigns(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	img := scene(1920, 1080, image.Rect(1300, 800, 1390, 845), "ABC1234")
	defer img.Close()
	drawPlate(&img, image.Rect(200, 150, 800, 270), "PHARMACY")
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) == 0 || plates[0].Text != "ABC1234" {
		t.Fatalf("plates %+v, want ABC1234 first", plates)
	}
}

// TestRecognizeWordIsNoPlate: a sign's word that fits a plate layout only
// with a lookalike digit (PIZZA as the UK P1ZZA) is no plate: it neither
// ends the search before the small plate of the frame is found nor is
// reported.
func TestRecognizeWordIsNoPlate(t *testing.T) {
	e, _ := openEngine(t, "eu", 1)
	img := scene(1920, 1080, image.Rect(1300, 800, 1420, 830), "BA123CD")
	defer img.Close()
	drawSign(&img, image.Rect(300, 200, 700, 280), "PIZZA")
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "BA123CD" {
		t.Fatalf("plates %+v, want BA123CD alone", plates)
	}
}
