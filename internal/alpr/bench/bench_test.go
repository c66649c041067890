package bench

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
)

func openEngine(t testing.TB, region string) *alpr.Engine {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "models")
	e, err := alpr.Open(alpr.Options{ModelsDir: dir, Region: region, Workers: 1, WideLook: true}) // as edge-agent bench
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			t.Skipf("models not installed (%v); run 'make models'", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// writePhoto writes a 1280×720 JPEG with a plate of the given text at box
// (no plate when text is empty).
func writePhoto(t *testing.T, path, text string, box image.Rectangle) {
	t.Helper()
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 100, 110, 0), 720, 1280, gocv.MatTypeCV8UC3)
	defer img.Close()
	gocv.Circle(&img, image.Pt(300, 200), 80, color.RGBA{30, 80, 160, 0}, -1)
	if text != "" {
		gocv.Rectangle(&img, box, color.RGBA{235, 235, 230, 0}, -1)
		gocv.Rectangle(&img, box, color.RGBA{20, 20, 20, 0}, 2)
		scale := float64(box.Dy()) / 50
		size := gocv.GetTextSize(text, gocv.FontHersheySimplex, scale, 3)
		org := image.Pt(box.Min.X+(box.Dx()-size.X)/2, box.Min.Y+(box.Dy()+size.Y)/2)
		gocv.PutText(&img, text, org, gocv.FontHersheySimplex, scale, color.RGBA{10, 10, 10, 0}, 3)
	}
	if !gocv.IMWrite(path, img) {
		t.Fatalf("cannot write %s", path)
	}
}

// syntheticDataset writes three photos: a plate labelled right, a plate
// labelled wrong (O for 0), and an unlabelled photo without a plate.
func syntheticDataset(t *testing.T) string {
	dir := t.TempDir()
	box := image.Rect(500, 400, 800, 460)
	writePhoto(t, filepath.Join(dir, "a.jpg"), "ABC1234", box)
	writePhoto(t, filepath.Join(dir, "b.png"), "XYZ9070", box)
	writePhoto(t, filepath.Join(dir, "c.jpg"), "", box)
	manifest := "image\tplate_text\tx\ty\tw\th\n" +
		"a.jpg\tABC1234\t490\t390\t320\t80\n" +
		"b.png\tXYZ9O7O\t490\t390\t320\t80\n"
	if err := os.WriteFile(filepath.Join(dir, "manifest.tsv"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunWritesLinesAndScores(t *testing.T) {
	e := openEngine(t, "us")
	dir := syntheticDataset(t)
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
	if s.Images != 2 || s.Exact != 1 || s.Folded != 2 || s.Detected != 2 {
		t.Errorf("score %+v, want 2 images, exact 1, folded 2, detected 2", s)
	}
	if s.Median <= 0 || s.P90 < s.Median {
		t.Errorf("times %+v", s)
	}
	if !strings.HasSuffix(prog.String(), "3/3\n") {
		t.Errorf("progress %q does not end at 3/3", prog.String())
	}
	var sum bytes.Buffer
	if err := s.Write(&sum); err != nil || !strings.Contains(sum.String(), "exact 50.0% (1)  O/0-folded 100.0% (2)  detected 100.0% (2)") {
		t.Errorf("summary %q", sum.String())
	}
}

func TestRunErrors(t *testing.T) {
	e := openEngine(t, "us")
	empty := t.TempDir()
	if _, _, err := Run(context.Background(), e, empty, Options{}); err == nil || !strings.Contains(err.Error(), "no .jpg or .png images") {
		t.Errorf("empty folder: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.jpg"), []byte("not a jpeg"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Run(context.Background(), e, bad, Options{}); err == nil || !strings.Contains(err.Error(), "cannot decode image") {
		t.Errorf("undecodable image: %v", err)
	}
}

func TestReadManifestErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"h\na.jpg\tABC\t1\t2\t3\n", "manifest.tsv:2: 5 columns, want 6 (image, plate_text, x, y, w, h)"},
		{"h\na.jpg\tABC\t1\tx\t3\t4\n", `manifest.tsv:2: column 4: "x" is not an integer`},
		{"h\na.jpg\tABC\t1\t2\t0\t4\n", "manifest.tsv:2: box size 0x4 is not positive"},
	} {
		path := filepath.Join(t.TempDir(), "manifest.tsv")
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadManifest(path)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("ReadManifest(%q) = %v, want ...%s", tc.body, err, tc.want)
		}
	}
	labels, err := ReadManifest(filepath.Join(t.TempDir(), "none.tsv"))
	if labels != nil || err != nil {
		t.Errorf("missing manifest: %v, %v; want nil, nil", labels, err)
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
