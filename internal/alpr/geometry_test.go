package alpr

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

func TestOrderQuad(t *testing.T) {
	want := [4]image.Point{{10, 20}, {110, 15}, {112, 45}, {12, 50}}
	got := orderQuad([4]image.Point{want[2], want[0], want[3], want[1]})
	if got != want {
		t.Fatalf("orderQuad = %v, want %v", got, want)
	}
}

func TestUnclipGrowsEverySide(t *testing.T) {
	q := unclip(rectQuad(image.Rect(100, 100, 200, 120)), 1.5)
	// d = area*ratio/perimeter = 2000*1.5/240 = 12.5
	got := Candidate{Quad: q}.Box()
	want := image.Rect(87, 87, 213, 133)
	for _, d := range []int{got.Min.X - want.Min.X, got.Min.Y - want.Min.Y, got.Max.X - want.Max.X, got.Max.Y - want.Max.Y} {
		if d < -1 || d > 1 {
			t.Fatalf("unclipped box %v, want %v within a pixel", got, want)
		}
	}
}

func TestMergeLines(t *testing.T) {
	left := Candidate{Quad: rectQuad(image.Rect(100, 100, 160, 130)), Score: .9}
	right := Candidate{Quad: rectQuad(image.Rect(175, 102, 260, 131)), Score: .7}
	far := Candidate{Quad: rectQuad(image.Rect(400, 100, 460, 130)), Score: .9}
	above := Candidate{Quad: rectQuad(image.Rect(170, 40, 260, 70)), Score: .9}
	got := mergeLines([]Candidate{right, far, left, above})
	if len(got) != 1 {
		t.Fatalf("merged %d pairs, want 1: %+v", len(got), got)
	}
	if b := got[0].Box(); b != image.Rect(100, 100, 260, 131) {
		t.Errorf("merged box %v", b)
	}
	// Three parts: both pairs and the whole line.
	third := Candidate{Quad: rectQuad(image.Rect(280, 101, 330, 130)), Score: .8}
	got = mergeLines([]Candidate{third, right, left})
	var boxes []image.Rectangle
	for _, c := range got {
		boxes = append(boxes, c.Box())
	}
	want := []image.Rectangle{image.Rect(100, 100, 260, 131), image.Rect(175, 101, 330, 131), image.Rect(100, 100, 330, 130)}
	if len(boxes) != 3 {
		t.Fatalf("merged boxes %v, want %v", boxes, want)
	}
	for _, w := range want {
		found := false
		for _, b := range boxes {
			found = found || b == w
		}
		if !found {
			t.Errorf("merged boxes %v lack %v", boxes, w)
		}
	}
}

func TestTilesCoverArea(t *testing.T) {
	for _, tc := range []struct {
		area      image.Rectangle
		scale     float64
		n, tileDx int
	}{
		{image.Rect(0, 0, 576, 432), 0.42, 4, 345},     // small photo: 2×2 tiles, upscaled
		{image.Rect(0, 0, 576, 432), 0.8, 4, 345},      // the same in the second round
		{image.Rect(10, 20, 1290, 740), 0.42, 2, 761},  // 720p: 2×1, scale 0.42
		{image.Rect(10, 20, 1290, 740), 0.8, 8, 400},   // then 4×2 at 0.8
		{image.Rect(0, 0, 1920, 1080), 0.42, 6, 761},   // 1080p: 3×2
		{image.Rect(0, 0, 1920, 1080), 0.8, 24, 400},   // then 6×4
		{image.Rect(0, 0, 1280, 1280), 0.42, 4, 761},   // square phone photo
		{image.Rect(100, 100, 300, 200), 0.42, 2, 120}, // a small motion region
	} {
		ts := tiles(tc.area, 320, tc.scale)
		var u image.Rectangle
		for _, r := range ts {
			u = u.Union(r)
			if r.Dx() != tc.tileDx && r.Dx() != tc.area.Dx() {
				t.Errorf("%v at %v: tile %v width %d, want %d", tc.area, tc.scale, r, r.Dx(), tc.tileDx)
			}
		}
		if len(ts) != tc.n || u != tc.area {
			t.Errorf("%v at %v: %d tiles covering %v, want %d covering the area", tc.area, tc.scale, len(ts), u, tc.n)
		}
	}
}

func TestPreferFormat(t *testing.T) {
	raw := plate.Reading{Text: "LRK959AF", Conf: .92}
	fit := plate.Reading{Text: "RK959AF", Conf: .87, Format: "sk"}
	weak := plate.Reading{Text: "RK959A", Conf: .5, Format: "sk"}
	if got := preferFormat([]plate.Reading{raw, fit}); got[0].Text != "RK959AF" || len(got) != 2 {
		t.Errorf("near reading with a layout not preferred: %+v", got)
	}
	if got := preferFormat([]plate.Reading{raw, weak}); got[0].Text != "LRK959AF" {
		t.Errorf("much weaker reading preferred: %+v", got)
	}
}

func TestRectifyFlattensQuad(t *testing.T) {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 200, 300, gocv.MatTypeCV8UC3)
	defer img.Close()
	gocv.Rectangle(&img, image.Rect(50, 50, 250, 100), color.RGBA{255, 255, 255, 0}, -1)
	crop := Rectify(img, rectQuad(image.Rect(50, 50, 250, 100)), 48, 0, 0)
	defer crop.Close()
	if crop.Rows() != 48 || crop.Cols() != 192 {
		t.Fatalf("crop %dx%d, want 192x48 (aspect 4 kept)", crop.Cols(), crop.Rows())
	}
	if m := crop.Mean().Val1; m < 240 {
		t.Errorf("crop mean %v: not the white plate", m)
	}
	padded := Rectify(img, rectQuad(image.Rect(50, 50, 250, 100)), 48, 0.1, 0.2)
	defer padded.Close()
	if padded.Cols() != 165 { // padding on both sides: (200*1.2)/(50*1.4)*48
		t.Errorf("padded crop width %d, want 165", padded.Cols())
	}
}

// TestPaintOutColour: a red stamp between black characters on a white
// plate is painted white; the characters stay. A crop without colour is
// left as it is, and says so.
func TestPaintOutColour(t *testing.T) {
	crop := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(240, 240, 240, 0), 48, 160, gocv.MatTypeCV8UC3)
	defer crop.Close()
	gocv.Rectangle(&crop, image.Rect(10, 8, 30, 40), color.RGBA{0, 0, 0, 0}, -1)
	plain := crop.Clone()
	defer plain.Close()
	if paintOutColour(plain) {
		t.Error("a crop without colour was painted")
	}
	gocv.Circle(&crop, image.Pt(80, 24), 8, color.RGBA{220, 30, 30, 0}, 3) // a ring
	if !paintOutColour(crop) {
		t.Error("the ring was not painted")
	}
	at := func(x, y int) uint8 { return crop.GetVecbAt(y, x)[2] }
	if v := at(80, 16); v < 230 {
		t.Errorf("ring pixel red channel %d after painting, want the background", v)
	}
	if b, g := crop.GetVecbAt(16, 80)[0], crop.GetVecbAt(16, 80)[1]; b < 230 || g < 230 {
		t.Errorf("ring pixel %d,%d not painted white", b, g)
	}
	if v := at(20, 24); v > 20 {
		t.Errorf("black character pixel became %d", v)
	}
}

func TestBestPlatesRanking(t *testing.T) {
	box := image.Rect(0, 0, 100, 30)
	other := image.Rect(200, 0, 300, 30)
	ps := bestPlates([]Plate{
		{Text: "PHARMACY", Conf: .99, Format: "us-any", Box: other},
		{Text: "ABC1234", Conf: .80, Format: "us", Layout: true, Box: box},
		{Text: "ABC1Z34", Conf: .70, Box: box.Add(image.Pt(2, 1))}, // same place, worse
		{Text: "5551234", Conf: .95, Box: image.Rect(400, 0, 500, 30)},
		{Text: "SALE50", Conf: .99, Format: "us-any", Box: image.Rect(600, 0, 700, 30)},
	})
	var got []string
	for _, p := range ps {
		got = append(got, p.Text)
	}
	if strings.Join(got, " ") != "ABC1234 SALE50 PHARMACY 5551234" {
		t.Errorf("ranked %v, want ABC1234 (layout), SALE50 (catch-all, digits), PHARMACY (catch-all), 5551234 (no layout); the overlapping worse read dropped", got)
	}
}

func TestGoodEndsSearch(t *testing.T) {
	for _, tc := range []struct {
		p    Plate
		want bool
	}{
		{Plate{Text: "ABC1234", Conf: .9, Format: "us", Layout: true}, true},
		{Plate{Text: "ABC1234", Conf: .8, Format: "us", Layout: true}, false},
		{Plate{Text: "H2099", Conf: .95, Format: "us-any"}, false},
		{Plate{Text: "BAKERY", Conf: .95, Format: "de", Layout: true}, false},
		{Plate{Text: "ABC1234", Conf: .95}, false},
		// PIZZA read to fit a UK layout: its only digit is the OCR's I
		{Plate{Text: "P1ZZA", Conf: .95, Format: "gb", Layout: true, lookalikeDigits: true}, false},
	} {
		if got := good(tc.p, true); got != tc.want {
			t.Errorf("good(%+v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestZoomWindow(t *testing.T) {
	area := image.Rect(0, 0, 1920, 1080)
	for _, tc := range []struct {
		box, want image.Rectangle
	}{
		{image.Rect(900, 500, 1000, 550), image.Rect(800, 375, 1100, 675)},      // 3× the width
		{image.Rect(900, 500, 940, 520), image.Rect(840, 430, 1000, 590)},       // at least side/2
		{image.Rect(1880, 1050, 1920, 1080), image.Rect(1760, 920, 1920, 1080)}, // slid inside
	} {
		if got := zoomWindow(tc.box, area, 320); got != tc.want {
			t.Errorf("zoomWindow(%v) = %v, want %v", tc.box, got, tc.want)
		}
	}
}

func TestZoomOrder(t *testing.T) {
	sign := Candidate{Quad: rectQuad(image.Rect(0, 0, 200, 40))}
	blank := Candidate{Quad: rectQuad(image.Rect(300, 0, 400, 40))}
	partial := Candidate{Quad: rectQuad(image.Rect(500, 0, 560, 30))}
	plates := []Plate{
		{Text: "SALE50", Conf: .99, Format: "us-any", Quad: sign.Quad, Box: sign.Box()},
		{Text: "ABC123", Conf: .7, Format: "us", Layout: true, Quad: partial.Quad, Box: partial.Box()},
	}
	// Lines that read as no plate follow by prior, whatever order the
	// reading took them in (it puts light-on-dark lines last).
	dim := Candidate{Quad: rectQuad(image.Rect(600, 0, 700, 25)), Score: 0.5}
	strong := Candidate{Quad: rectQuad(image.Rect(800, 0, 900, 25)), Score: 0.9}
	got := zoomOrder(plates, []Candidate{sign, blank, dim, partial, strong})
	want := []image.Rectangle{partial.Box(), sign.Box(), strong.Box(), dim.Box(), blank.Box()}
	if len(got) != len(want) {
		t.Fatalf("zoomOrder gave %d candidates, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Box() != want[i] {
			t.Errorf("zoomOrder[%d] = %v, want %v", i, got[i].Box(), want[i])
		}
	}
}

func TestInsideDropsCutCandidates(t *testing.T) {
	area := image.Rect(0, 0, 1000, 600)
	tile := image.Rect(400, 0, 1000, 400)
	whole := Candidate{Quad: rectQuad(image.Rect(500, 100, 600, 130))}
	cutLeft := Candidate{Quad: rectQuad(image.Rect(395, 100, 450, 130))}
	cutBottom := Candidate{Quad: rectQuad(image.Rect(500, 380, 600, 402))}
	atFrameEdge := Candidate{Quad: rectQuad(image.Rect(940, 0, 1000, 30))} // the area's own edge
	got := inside([]Candidate{whole, cutLeft, cutBottom, atFrameEdge}, tile, area)
	if len(got) != 2 || got[0].Box() != whole.Box() || got[1].Box() != atFrameEdge.Box() {
		t.Errorf("inside kept %v", got)
	}
}
