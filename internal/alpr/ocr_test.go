package alpr

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func newTestOCR(t *testing.T) *OCR {
	t.Helper()
	dir := modelsDir(t)
	a, err := LoadAlphabet(dir)
	if err != nil {
		t.Fatal(err)
	}
	width, err := recWidth(dir)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOCR(dir+"/"+RecFile, a, width)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// TestOCRReadsSyntheticPlates renders plates of several sizes and aspect
// ratios; the OCR must read each exactly, also when consecutive crops differ
// in size (OpenCV returns zeros if the network's input size changes, so the
// OCR must pad every crop to one size).
func TestOCRReadsSyntheticPlates(t *testing.T) {
	o := newTestOCR(t)
	cases := []struct {
		text string
		w, h int
	}{
		{"ABC1234", 300, 64},
		{"7XYZ123", 150, 32},
		{"BA123CD", 400, 60},
		{"K5", 80, 40},
		{"WX40919", 240, 30},
	}
	for _, c := range cases {
		img := gocv.NewMatWithSize(c.h, c.w, gocv.MatTypeCV8UC3)
		drawPlate(&img, image.Rect(0, 0, c.w, c.h), c.text)
		chars, err := o.Read(img, 1)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := text(chars); got != c.text {
			t.Errorf("%dx%d crop of %q read as %q", c.w, c.h, c.text, got)
		}
		for i, ch := range chars {
			if ch.Alts[0].P < 0.5 {
				t.Errorf("%q position %d: best alternative %c has P %.2f, want a confident read", c.text, i, ch.Alts[0].R, ch.Alts[0].P)
			}
		}
	}
}

func TestOCRRejectsBadCrops(t *testing.T) {
	o := newTestOCR(t)
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := o.Read(empty, 1); err == nil {
		t.Error("empty crop accepted")
	}
	grey := gocv.NewMatWithSize(48, 100, gocv.MatTypeCV8U)
	defer grey.Close()
	if _, err := o.Read(grey, 1); err == nil {
		t.Error("single-channel crop accepted")
	}
}

func TestRecWidthFromManifest(t *testing.T) {
	dir := t.TempDir()
	if w, err := recWidth(dir); err != nil || w != defaultRecWidth {
		t.Errorf("no manifest: %d, %v; want %d", w, err, defaultRecWidth)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("source x patch y rec_width 224\nabc  det.onnx\n")
	if w, err := recWidth(dir); err != nil || w != 224 {
		t.Errorf("rec_width 224: got %d, %v", w, err)
	}
	write("source x rec_width 100\n")
	if _, err := recWidth(dir); err == nil || !strings.Contains(err.Error(), `bad rec_width "100"`) {
		t.Errorf("bad width: %v", err)
	}
	write("source x\n")
	if _, err := recWidth(dir); err == nil || !strings.Contains(err.Error(), "MANIFEST has no rec_width") {
		t.Errorf("no width: %v", err)
	}
}
