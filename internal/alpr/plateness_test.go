package alpr

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"
)

// drawSign draws a shop sign: a coloured band with light text across it.
func drawSign(img *gocv.Mat, r image.Rectangle, text string) {
	gocv.Rectangle(img, r, color.RGBA{60, 150, 70, 0}, -1)
	scale := float64(r.Dy()) / 45
	size := gocv.GetTextSize(text, gocv.FontHersheySimplex, scale, max(2, int(scale*3)))
	org := image.Pt(r.Min.X+(r.Dx()-size.X)/2, r.Min.Y+(r.Dy()+size.Y)/2)
	gocv.PutText(img, text, org, gocv.FontHersheySimplex, scale, color.RGBA{245, 245, 245, 0}, max(2, int(scale*3)))
}

// drawUSPlate draws a US-style plate: a light board with the state name in
// small letters above the big plate text.
func drawUSPlate(img *gocv.Mat, r image.Rectangle, state, text string) {
	gocv.Rectangle(img, r, color.RGBA{235, 235, 230, 0}, -1)
	gocv.Rectangle(img, r, color.RGBA{20, 20, 20, 0}, 2)
	put := func(s string, height, centreY int) {
		scale := float64(height) / 22
		th := max(2, int(scale*2.5))
		size := gocv.GetTextSize(s, gocv.FontHersheySimplex, scale, th)
		org := image.Pt(r.Min.X+(r.Dx()-size.X)/2, centreY+size.Y/2)
		gocv.PutText(img, s, org, gocv.FontHersheySimplex, scale, color.RGBA{20, 30, 90, 0}, th)
	}
	put(state, r.Dy()/5, r.Min.Y+r.Dy()/6)
	put(text, r.Dy()/2, r.Min.Y+r.Dy()*3/5)
}

// TestSignIsNoPlate: a shop sign read clearly is not a plate by default
// (its text has no plate layout), but is reported with AllowFreeText.
func TestSignIsNoPlate(t *testing.T) {
	img := scene(1280, 720, image.Rectangle{}, "")
	defer img.Close()
	drawSign(&img, image.Rect(300, 200, 900, 290), "BAKERY")

	e, _ := openEngine(t, "us", 1)
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 0 {
		t.Errorf("sign read as plates %+v, want none", plates)
	}

	free, _ := openEngineWith(t, Options{Region: "us", Workers: 1, AllowFreeText: true})
	plates, err = free.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "BAKERY" || plates[0].Layout {
		t.Errorf("with free text: %+v, want BAKERY without a layout", plates)
	}
}

// TestPlateTextChosenOverStateName: of the lines on a US plate, the plate's
// text is read, with a layout, and the state name above it is not reported.
func TestPlateTextChosenOverStateName(t *testing.T) {
	e, _ := openEngine(t, "us", 1)
	box := image.Rect(500, 380, 740, 500)
	img := scene(1280, 720, image.Rectangle{}, "")
	defer img.Close()
	drawUSPlate(&img, box, "TEXAS", "7XYZ123")
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "7XYZ123" || !plates[0].Layout || !center(plates[0].Box).In(box) {
		t.Errorf("plates %+v, want only 7XYZ123, with a layout, on the plate", plates)
	}
}

// TestFurniture: a smaller line stacked on a plate's text is its furniture;
// lines side by side, far apart or as tall are not.
func TestFurniture(t *testing.T) {
	text := image.Rect(100, 100, 300, 160) // 60 px tall
	for _, tc := range []struct {
		name string
		line image.Rectangle
		want bool
	}{
		{"state name above", image.Rect(140, 70, 260, 95), true},
		{"slogan below", image.Rect(120, 165, 280, 185), true},
		{"small line beside", image.Rect(320, 110, 400, 130), false},
		{"small line far above", image.Rect(140, 0, 260, 25), false},
		{"second line as tall", image.Rect(100, 165, 300, 222), false},
	} {
		if got := furniture(tc.line, text); got != tc.want {
			t.Errorf("%s: furniture = %v, want %v", tc.name, got, tc.want)
		}
	}
	ps := bestPlates([]Plate{
		{Text: "ABC1234", Conf: .9, Layout: true, Box: text},
		{Text: "ABCD12", Conf: .99, Layout: true, Box: image.Rect(140, 70, 260, 95)},
	})
	if len(ps) != 1 || ps[0].Text != "ABC1234" {
		t.Errorf("bestPlates kept %+v, want the plate's text only", ps)
	}
}

// TestFragment: a box continued on its line by a box of its height is part
// of a longer line; the union of the line's parts is not.
func TestFragment(t *testing.T) {
	box := func(x0, y0, x1, y1 int) Candidate { return Candidate{Quad: rectQuad(image.Rect(x0, y0, x1, y1))} }
	sale, fifty, off := box(100, 100, 220, 140), box(235, 100, 330, 140), box(345, 102, 420, 140)
	union := box(100, 100, 420, 140)
	far := box(600, 100, 700, 140)
	small := box(230, 112, 250, 124) // a sticker's text beside
	all := []Candidate{sale, fifty, off, union, far, small}
	for _, tc := range []struct {
		name string
		c    Candidate
		want bool
	}{
		{"first word", sale, true},
		{"middle word", fifty, true},
		{"last word", off, true},
		{"whole line", union, false},
		{"line far away", far, false},
	} {
		if got := fragment(tc.c, all); got != tc.want {
			t.Errorf("%s: fragment = %v, want %v", tc.name, got, tc.want)
		}
	}
	if fragment(sale, []Candidate{sale, small}) {
		t.Error("a much smaller box beside made a fragment")
	}
}

// TestSearchAreas: motion regions are grown, merged when they overlap,
// dropped when too small, and kept inside the frame.
func TestSearchAreas(t *testing.T) {
	frame := image.Rect(0, 0, 1920, 1080)
	got := searchAreas([]image.Rectangle{
		image.Rect(100, 100, 300, 300), image.Rect(310, 120, 400, 280), // touch once grown
		image.Rect(1900, 1000, 1920, 1080), // at the corner: grown inside the frame
		image.Rect(1000, 10, 1004, 12),     // a speck: grown and clipped to 36×28, kept
	}, frame)
	want := []image.Rectangle{image.Rect(80, 80, 416, 320), image.Rect(1884, 984, 1920, 1080), image.Rect(984, 0, 1020, 28)}
	if len(got) != len(want) {
		t.Fatalf("searchAreas = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("area %d = %v, want %v", i, got[i], want[i])
		}
	}
	many := searchAreas([]image.Rectangle{
		image.Rect(0, 0, 50, 50), image.Rect(500, 0, 550, 50), image.Rect(1000, 0, 1050, 50), image.Rect(1500, 0, 1550, 50),
	}, frame)
	if len(many) != 1 || many[0] != image.Rect(0, 0, 1566, 66) {
		t.Errorf("four apart: %v, want one area around all", many)
	}
}
