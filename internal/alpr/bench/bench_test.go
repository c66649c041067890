package bench

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
)

func openEngine(t testing.TB, region string) *alpr.Engine {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "models")
	e, err := alpr.Open(alpr.Options{ModelsDir: dir, Region: region, Workers: 1})
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			t.Skipf("models not installed (%v); run 'make models'", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// writeScene writes a 1280×720 street with a plate of the given text at box
// (no plate when text is empty).
func writeScene(t *testing.T, path, text string, box image.Rectangle) {
	t.Helper()
	img := alprtest.Street(t, 1280, 720)
	defer img.Close()
	if text != "" {
		alprtest.PastePlate(t, &img, text, 1, box)
	}
	if !gocv.IMWrite(path, img) {
		t.Fatalf("cannot write %s", path)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syntheticScenes writes three street scenes: a plate labelled right, a
// plate labelled wrong (O for 0), and an unlabelled one without a plate.
func syntheticScenes(t *testing.T) string {
	dir := t.TempDir()
	box := image.Rect(540, 460, 740, 560)
	writeScene(t, filepath.Join(dir, "a.jpg"), "ABC1234", box)
	writeScene(t, filepath.Join(dir, "b.png"), "XYZ9070", box)
	writeScene(t, filepath.Join(dir, "c.jpg"), "", box)
	writeFile(t, filepath.Join(dir, "manifest.tsv"), "image\tplate_text\tx\ty\tw\th\n"+
		"a.jpg\tABC1234\t530\t450\t220\t120\n"+
		"b.png\tXYZ9O7O\t530\t450\t220\t120\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not an image")
	return dir
}

func TestRunWritesLinesAndScores(t *testing.T) {
	e := openEngine(t, "us")
	dir := syntheticScenes(t)
	var out, prog bytes.Buffer
	results, scores, err := Run(context.Background(), e, dir, Options{Out: &out, Progress: &prog})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || len(results) != 3 {
		t.Fatalf("got %d lines, %d results, want 3:\n%s", len(lines), len(results), out.String())
	}
	wantPrefix := []string{"a.jpg\tABC1234\t", "b.png\tXYZ9070\t", "c.jpg\t\t0.000\t0\t0\t0\t0\t"}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantPrefix[i]) || len(strings.Split(l, "\t")) != 8 {
			t.Errorf("line %d = %q, want 8 columns starting %q", i, l, wantPrefix[i])
		}
	}
	if len(scores) != 1 {
		t.Fatalf("scores %+v, want one (no holdout)", scores)
	}
	s := scores[0]
	if s.Images != 2 || s.Exact != 1 || s.Folded != 2 || s.Detected != 2 || s.Plates != 2 || s.PlateExact != 1 || s.PlateFolded != 2 || s.Extra != 0 {
		t.Errorf("score %+v, want 2 images, exact 1, folded 2, detected 2, the same per plate, no extra", s)
	}
	if s.Median <= 0 || s.P90 < s.Median {
		t.Errorf("times %+v", s)
	}
	if !strings.HasSuffix(prog.String(), "3/3\n") {
		t.Errorf("progress %q does not end at 3/3", prog.String())
	}
	var sum bytes.Buffer
	if err := s.Write(&sum); err != nil || !strings.Contains(sum.String(), "exact 50.0% (1)  O/0-folded 100.0% (2)  detected 100.0% (2)") ||
		!strings.Contains(sum.String(), "plates 2  read 50.0% (1)  folded 100.0% (2)  extra 0") {
		t.Errorf("summary %q", sum.String())
	}
}

// TestRunDetector scores the detector's boxes alone against tight labels:
// one found, one label where no plate is drawn (missed); every box the
// detector gives counts.
func TestRunDetector(t *testing.T) {
	e := openEngine(t, "us")
	dir := t.TempDir()
	box := image.Rect(540, 460, 740, 560)
	writeScene(t, filepath.Join(dir, "a.jpg"), "ABC1234", box)
	writeScene(t, filepath.Join(dir, "b.jpg"), "", box)
	writeFile(t, filepath.Join(dir, "manifest.tsv"), "image\tplate_text\tx\ty\tw\th\n"+
		"a.jpg\t\t540\t460\t200\t100\nb.jpg\t\t540\t460\t200\t100\n")
	boxes := 0
	for _, name := range []string{"a.jpg", "b.jpg"} {
		img := gocv.IMRead(filepath.Join(dir, name), gocv.IMReadColor)
		ds, err := e.Detect(img)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		boxes += len(ds)
	}
	_, scores, err := Run(context.Background(), e, dir, Options{Detector: true, Keep: func(n string) bool { return n != "c.jpg" }})
	if err != nil {
		t.Fatal(err)
	}
	s := scores[0]
	if !s.Detector || s.Plates != 2 || s.Found != 1 || s.Boxes != boxes {
		t.Errorf("score %+v, want 2 plates, 1 found, %d boxes", s, boxes)
	}
	var sum bytes.Buffer
	want := fmt.Sprintf("recall 50.0%% (1)  precision %.1f%% (1 of %d)  false per frame %.3f", 100/float64(boxes), boxes, float64(boxes-1)/2)
	if err := s.Write(&sum); err != nil || !strings.Contains(sum.String(), want) {
		t.Errorf("summary %q, want %q", sum.String(), want)
	}
}

// TestRunCrops reads a folder of plate crops (a manifest of image, state,
// plate_text), each whole image one plate; labels under 4 characters name
// no plate.
func TestRunCrops(t *testing.T) {
	e := openEngine(t, "us")
	dir := t.TempDir()
	for _, c := range []struct{ name, text string }{{"ak1.png", "KDT4821"}, {"ca2.png", "7XYZ123"}} {
		img := gocv.NewMatWithSize(156, 320, gocv.MatTypeCV8UC3)
		alprtest.PastePlate(t, &img, c.text, 2, image.Rect(0, 0, 320, 156))
		gocv.IMWrite(filepath.Join(dir, c.name), img)
		img.Close()
	}
	writeFile(t, filepath.Join(dir, "manifest.tsv"), "image\tstate\tplate_text\nak1.png\tak\tKDT4821\nca2.png\tca\t0\n")
	_, scores, err := Run(context.Background(), e, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := scores[0]; s.Images != 1 || s.Exact != 1 || s.PlateExact != 1 {
		t.Errorf("score %+v, want the one labelled crop read", s)
	}
	if _, _, err := Run(context.Background(), e, dir, Options{Detector: true}); err == nil {
		t.Error("a crop folder was scored as detector boxes")
	}
}

func TestRunErrors(t *testing.T) {
	e := openEngine(t, "us")
	empty := t.TempDir()
	if _, _, err := Run(context.Background(), e, empty, Options{}); err == nil || !strings.Contains(err.Error(), "no .jpg or .png images") {
		t.Errorf("empty folder: %v", err)
	}
	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "x.jpg"), "not a jpeg")
	if _, _, err := Run(context.Background(), e, bad, Options{}); err == nil || !strings.Contains(err.Error(), "cannot decode image") {
		t.Errorf("undecodable image: %v", err)
	}
	if _, _, err := Run(context.Background(), e, bad, Options{Keep: func(string) bool { return false }}); err == nil || !strings.Contains(err.Error(), "no image selected") {
		t.Errorf("nothing kept: %v", err)
	}
}

func TestReadManifest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.tsv")
	writeFile(t, path, "image\tstate\tplate_text\na.png\tak\tAB123\nb.png\twy\t248\n")
	m, err := ReadManifest(path)
	if err != nil || !m.Crops || len(m.Labels) != 1 || len(m.Labels["a.png"]) != 1 || m.Labels["a.png"][0].Text != "AB123" {
		t.Errorf("crop set: %+v, %v; want a.png's AB123 alone (248 is shorter than a plate label)", m, err)
	}
	writeFile(t, path, "image\tplate_text\tx\ty\tw\th\na.jpg\tABC\t1\t2\t0\t4\n")
	if _, err := ReadManifest(path); err == nil || !strings.Contains(err.Error(), "line 2: 'w' must be an integer (w and h positive)") {
		t.Errorf("bad box: %v", err)
	}
	m, err = ReadManifest(filepath.Join(t.TempDir(), "none.tsv"))
	if m.Labels != nil || err != nil {
		t.Errorf("missing manifest: %v, %v; want no labels, no error", m, err)
	}
}

// TestBrazilDataset reads the first photos of the shared OpenALPR BR set.
func TestBrazilDataset(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "datasets", "openalpr-br")
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		t.Skipf("dataset not available (%v): it lives in ../shared/datasets beside the repository", err)
	}
	e := openEngine(t, "br")
	_, scores, err := Run(context.Background(), e, dir, Options{Limit: 16})
	if err != nil {
		t.Fatal(err)
	}
	if s := scores[0]; s.Images != 16 || s.Exact < 14 || s.Detected < 15 {
		t.Errorf("first 16 BR photos: %+v; want at least 14 exact and 15 detected", s)
	}
}
