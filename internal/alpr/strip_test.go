package alpr

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"
)

// drawEUPlate draws an EU plate: a white board with a dark border, the
// blue country strip at its left with a white country letter, and the text.
// strip is the strip's colour (the EU blue, or another to test with).
func drawEUPlate(img *gocv.Mat, r image.Rectangle, text string, strip color.RGBA) {
	drawEUPlateOf(img, r, text, "D", strip)
}

// drawEUPlateOf draws an EU plate whose strip carries the country code.
func drawEUPlateOf(img *gocv.Mat, r image.Rectangle, text, code string, strip color.RGBA) {
	gocv.Rectangle(img, r, color.RGBA{240, 240, 235, 0}, -1)
	gocv.Rectangle(img, r, color.RGBA{20, 20, 20, 0}, 2)
	sw := r.Dy() * 4 / 11 // a 110 mm board with a 40 mm strip
	band := image.Rect(r.Min.X+2, r.Min.Y+2, r.Min.X+2+sw, r.Max.Y-2)
	gocv.Rectangle(img, band, strip, -1)
	cs := float64(r.Dy()) / 110 / float64(len(code)) * 1.4
	if len(code) == 1 {
		cs = float64(r.Dy()) / 110
	}
	csize := gocv.GetTextSize(code, gocv.FontHersheySimplex, cs, 2)
	gocv.PutText(img, code, image.Pt(band.Min.X+(sw-csize.X)/2, band.Max.Y-r.Dy()/8), gocv.FontHersheySimplex,
		cs, color.RGBA{250, 250, 250, 0}, 2)
	scale := float64(r.Dy()) / 45
	th := max(2, int(scale*3))
	size := gocv.GetTextSize(text, gocv.FontHersheySimplex, scale, th)
	left := band.Max.X + (r.Max.X-band.Max.X-size.X)/2
	gocv.PutText(img, text, image.Pt(left, r.Min.Y+(r.Dy()+size.Y)/2), gocv.FontHersheySimplex, scale, color.RGBA{15, 15, 15, 0}, th)
}

// euBlue is the strip's blue as photos show it.
var euBlue = color.RGBA{30, 60, 150, 0}

// TestEUStripMakesAPlate: an EU plate whose text fits no layout (a show or
// personalised plate) is read by default when it carries the blue country
// strip; the same text on a board without strip, or on a blue sign, is not.
func TestEUStripMakesAPlate(t *testing.T) {
	e, _ := openEngine(t, "eu", 1)
	box := image.Rect(420, 420, 860, 530)
	for _, tc := range []struct {
		name string
		draw func(*gocv.Mat)
		want string
	}{
		{"EU strip", func(m *gocv.Mat) { drawEUPlate(m, box, "BIMMIAN", euBlue) }, "BIMMIAN"},
		{"grey strip", func(m *gocv.Mat) { drawEUPlate(m, box, "BIMMIAN", color.RGBA{120, 120, 120, 0}) }, ""},
		{"no strip", func(m *gocv.Mat) { drawPlate(m, box, "BIMMIAN") }, ""},
		{"blue sign", func(m *gocv.Mat) {
			gocv.Rectangle(m, box, euBlue, -1)
			gocv.PutText(m, "BIMMIAN", image.Pt(box.Min.X+40, box.Max.Y-30), gocv.FontHersheySimplex, 2.4,
				color.RGBA{245, 245, 245, 0}, 7)
		}, ""},
		{"blue panel", func(m *gocv.Mat) {
			gocv.Rectangle(m, box.Inset(-40).Sub(image.Pt(box.Dx()/2, 0)), euBlue, -1)
			drawPlate(m, box, "BIMMIAN")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := scene(1280, 720, image.Rectangle{}, "")
			defer img.Close()
			tc.draw(&img)
			plates, err := e.Recognize(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if len(plates) > 0 {
				got = plates[0].Text
			}
			if got != tc.want || len(plates) > 1 {
				t.Fatalf("plates %+v, want %q", plates, tc.want)
			}
			if tc.want != "" && (plates[0].Layout || !center(plates[0].Box).In(box)) {
				t.Errorf("plate %+v: want no layout, on the board", plates[0])
			}
		})
	}
}

// TestStripScan measures the strip of a drawn plate and its absence.
func TestStripScan(t *testing.T) {
	img := scene(1280, 720, image.Rectangle{}, "")
	defer img.Close()
	box := image.Rect(400, 300, 840, 410)
	drawEUPlate(&img, box, "BIMMIAN", euBlue)
	// The text line as the detector boxes it: right of the strip, a little
	// shorter than the board.
	line := Candidate{Quad: rectQuad(image.Rect(box.Min.X+box.Dy()*4/11+12, 330, 830, 382))}
	ground, width, _ := stripScan(img, line)
	if ground > textBlue || width < 0.5 || width > 1.0 {
		t.Errorf("EU plate: ground %.2f blue, strip %.2f line heights, want ≤ %.2f and 0.5–1.0", ground, width, textBlue)
	}
	if _, ok := findStrip(img, line); !ok {
		t.Error("findStrip missed the strip")
	}
	far := Candidate{Quad: rectQuad(image.Rect(900, 330, 1200, 382))}
	if _, ok := findStrip(img, far); ok {
		t.Error("a line far right of the strip has one")
	}
	if g, w, _ := stripScan(img, Candidate{Quad: rectQuad(image.Rect(10, 10, 12, 12))}); g != -1 || w != -1 {
		t.Errorf("a speck: %v %v, want -1 -1", g, w)
	}
}
