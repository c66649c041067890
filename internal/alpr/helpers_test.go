package alpr

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// modelsDir returns the repository's models folder, skipping the test when
// the models have not been installed.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "models")
	if _, _, _, err := modelPaths(dir); err != nil {
		t.Skipf("models not installed (%v); run 'make models'", err)
	}
	return dir
}

// drawPlate draws a plate (light rectangle, dark border, black text) on
// img with its outer box at r.
func drawPlate(img *gocv.Mat, r image.Rectangle, text string) {
	gocv.Rectangle(img, r, color.RGBA{235, 235, 230, 0}, -1)
	gocv.Rectangle(img, r, color.RGBA{20, 20, 20, 0}, 2)
	scale := float64(r.Dy()) / 50
	size := gocv.GetTextSize(text, gocv.FontHersheySimplex, scale, max(2, int(scale*3)))
	org := image.Pt(r.Min.X+(r.Dx()-size.X)/2, r.Min.Y+(r.Dy()+size.Y)/2)
	gocv.PutText(img, text, org, gocv.FontHersheySimplex, scale, color.RGBA{10, 10, 10, 0}, max(2, int(scale*3)))
}

// scene makes a w×h frame with a grey gradient and some non-plate shapes,
// and a plate with the text at box.
func scene(w, h int, box image.Rectangle, text string) gocv.Mat {
	img := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	for y := 0; y < h; y += 8 {
		g := uint8(60 + 100*y/h)
		gocv.Rectangle(&img, image.Rect(0, y, w, y+8), color.RGBA{g, g, g + 10, 0}, -1)
	}
	gocv.Circle(&img, image.Pt(w/5, h/3), h/10, color.RGBA{30, 80, 160, 0}, -1)
	gocv.Rectangle(&img, image.Rect(w*3/5, h/8, w*4/5, h/4), color.RGBA{200, 40, 40, 0}, -1)
	if text != "" {
		drawPlate(&img, box, text)
	}
	return img
}
