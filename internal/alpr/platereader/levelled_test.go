package platereader

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
)

// TestLevelledMapsThePlate: the map of a turned plate's crop takes the
// corners of the network's input to the corners of the plate's own
// rectangle, grown by Trained and turned by the roll, whichever way it is
// turned; a box no turned rectangle fits is refused.
func TestLevelledMapsThePlate(t *testing.T) {
	const w, h, cx, cy = 120.0, 60.0, 500.0, 300.0
	for _, deg := range []float64{-12, -4, 0, 9} {
		sin, cos := math.Sincos(deg * math.Pi / 180)
		dx, dy := w/2*cos+h/2*math.Abs(sin), w/2*math.Abs(sin)+h/2*cos
		area := image.Rect(int(math.Round(cx-dx)), int(math.Round(cy-dy)), int(math.Round(cx+dx)), int(math.Round(cy+dy)))
		m, ok := levelled(Crop{Area: area, Roll: deg})
		if !ok {
			t.Fatalf("roll %v: refused", deg)
		}
		gw, gh := w*(1+2*Trained.X), h*(1+2*Trained.Y)
		for _, c := range [][2]float64{{0, 0}, {InputWidth, 0}, {InputWidth, InputHeight}, {0, InputHeight}} {
			x := m.GetDoubleAt(0, 0)*c[0] + m.GetDoubleAt(0, 1)*c[1] + m.GetDoubleAt(0, 2)
			y := m.GetDoubleAt(1, 0)*c[0] + m.GetDoubleAt(1, 1)*c[1] + m.GetDoubleAt(1, 2)
			// The same corner of the grown plate, turned clockwise.
			px, py := (c[0]/InputWidth-0.5)*gw, (c[1]/InputHeight-0.5)*gh
			wx, wy := cx+px*cos-py*sin, cy+px*sin+py*cos
			if math.Hypot(x-wx, y-wy) > 1.5 {
				t.Errorf("roll %v: input corner %v maps to (%.1f, %.1f), want (%.1f, %.1f)", deg, c, x, y, wx, wy)
			}
		}
		m.Close()
	}
	for _, c := range []Crop{
		{Area: image.Rect(0, 0, 100, 100), Roll: 45},
		{Area: image.Rect(0, 0, 200, 20), Roll: 10},
	} {
		if m, ok := levelled(c); ok {
			m.Close()
			t.Errorf("%+v: a map, want none", c)
		}
	}
}

// TestReadCropsLevelsARolledPlate: a plate turned 12 degrees, read as a
// turned crop of the box around it, reads exactly.
func TestReadCropsLevelsARolledPlate(t *testing.T) {
	path := filepath.Join("..", "..", "..", "models", File)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("models not installed (%v); run 'make models'", err)
	}
	r, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img := alprtest.Street(t, 1280, 720)
	defer img.Close()
	box := image.Rect(560, 400, 720, 480)
	alprtest.PastePlate(t, &img, "KDT4821", 1, box)
	turned := alprtest.Roll(&img, box, 12)
	chars, err := r.ReadCrops(img, []Crop{{Area: turned, Roll: 12}})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, c := range chars[0] {
		got.WriteRune(c.Alts[0].R)
	}
	if got.String() != "KDT4821" {
		t.Errorf("read %q, want KDT4821", got.String())
	}
}
