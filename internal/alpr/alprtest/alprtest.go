// Package alprtest draws the frames the plate engine's tests search: the
// synthetic videos' street (shop and street signs, no plate), their US
// plates pasted at a box, and overlay text as dash cameras burn it in.
package alprtest

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// Street returns the synthetic videos' empty street at w×h (8-bit BGR),
// skipping the test when its font is not installed.
func Street(t testing.TB, w, h int) gocv.Mat {
	t.Helper()
	bg, err := synth.Street(w, h, 3, "")
	if err != nil {
		t.Skipf("no street background: %v", err)
	}
	m, err := gocv.ImageToMatRGB(bg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// PastePlate draws the synthetic videos' US plate with text over img, its
// board stretched to box; style picks the state's look.
func PastePlate(t testing.TB, img *gocv.Mat, text string, style int, box image.Rectangle) {
	t.Helper()
	p, err := synth.PlateImage(text, style, "")
	if err != nil {
		t.Skipf("no plate renderer: %v", err)
	}
	pm, err := gocv.ImageToMatRGB(p)
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	dst := img.Region(box)
	defer dst.Close()
	gocv.Resize(pm, &dst, box.Size(), 0, 0, gocv.InterpolationArea)
}

// Overlay draws a line of text in a Hershey font, light on a dark outline,
// as dash cameras burn their date, speed and id overlays in.
func Overlay(img *gocv.Mat, text string, org image.Point, scale float64, c color.RGBA) {
	thick := max(1, int(scale*2))
	gocv.PutText(img, text, org, gocv.FontHersheyDuplex, scale, color.RGBA{0, 0, 0, 0}, thick+3)
	gocv.PutText(img, text, org, gocv.FontHersheyDuplex, scale, c, thick)
}

// Center is the centre of r.
func Center(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}
