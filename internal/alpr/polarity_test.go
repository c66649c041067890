package alpr

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"
)

// TestDarkOnLight tells a plate's dark characters on its light board from a
// shop sign's light letters on a coloured or black band.
func TestDarkOnLight(t *testing.T) {
	img := scene(1280, 720, image.Rect(100, 500, 400, 560), "ABC1234")
	defer img.Close()
	drawSign(&img, image.Rect(100, 100, 500, 170), "PHARMACY")
	gocv.Rectangle(&img, image.Rect(600, 100, 1000, 170), color.RGBA{25, 25, 30, 0}, -1)
	gocv.PutText(&img, "PIZZA 24H", image.Pt(630, 150), gocv.FontHersheySimplex, 1.4, color.RGBA{240, 200, 40, 0}, 4)
	for _, tc := range []struct {
		name string
		box  image.Rectangle
		want bool
	}{
		{"plate", image.Rect(110, 505, 390, 555), true},
		{"green sign", image.Rect(110, 105, 490, 165), false},
		{"black sign", image.Rect(610, 105, 990, 165), false},
	} {
		if got := darkOnLight(img, Candidate{Quad: rectQuad(tc.box)}); got != tc.want {
			t.Errorf("%s: darkOnLight = %v, want %v", tc.name, got, tc.want)
		}
	}
}
