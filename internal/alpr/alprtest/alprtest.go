// Package alprtest draws the frames the plate engine's tests search: the
// synthetic videos' street (shop and street signs, no plate), their US
// plates pasted at a box, and overlay text as dash cameras burn it in.
package alprtest

import (
	"image"
	"image/color"
	"math"
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

// Roll turns img about the centre of box by deg degrees clockwise (a plate
// in box comes out with its right end lower, as plates of cars off a
// camera's axis look) and returns the box around the turned box.
func Roll(img *gocv.Mat, box image.Rectangle, deg float64) image.Rectangle {
	c := Center(box)
	// OpenCV's angle is anticlockwise on the screen.
	m := gocv.GetRotationMatrix2D(c, -deg, 1)
	defer m.Close()
	out := gocv.NewMat()
	defer out.Close()
	gocv.WarpAffineWithParams(*img, &out, m, image.Pt(img.Cols(), img.Rows()), gocv.InterpolationLinear,
		gocv.BorderReplicate, color.RGBA{})
	out.CopyTo(img)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	hw, hh := float64(box.Dx())/2, float64(box.Dy())/2
	dx := hw*cos + hh*math.Abs(sin)
	dy := hw*math.Abs(sin) + hh*cos
	return image.Rect(int(math.Round(float64(c.X)-dx)), int(math.Round(float64(c.Y)-dy)),
		int(math.Round(float64(c.X)+dx)), int(math.Round(float64(c.Y)+dy)))
}
