package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != plotW || b.Dy() != plotH {
		t.Fatalf("%s is %v, want %dx%d", path, b, plotW, plotH)
	}
	return img
}

// pixels returns the points of img with colour c inside the data area.
func pixels(img image.Image, c color.RGBA) []image.Point {
	var out []image.Point
	for y := marginT; y < plotH-margB; y++ {
		for x := marginL + 1; x < plotW-marginR; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				out = append(out, image.Pt(x, y))
			}
		}
	}
	return out
}

func TestLinePlotDrawsTheSeries(t *testing.T) {
	dir := t.TempDir()
	xs := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	flat, rising := make([]float64, len(xs)), make([]float64, len(xs))
	for i, x := range xs {
		flat[i], rising[i] = 200, 20*x
	}
	rising[3] = math.NaN() // a missing sample leaves a gap, not a crash

	p := filepath.Join(dir, "flat.png")
	if err := linePlot(p, "RSS", "minutes", "MB", Ref{}, Series{Name: "RSS", X: xs, Y: flat}); err != nil {
		t.Fatal(err)
	}
	pts := pixels(readPNG(t, p), colSeries[0])
	if len(pts) < 500 {
		t.Fatalf("flat series: %d pixels drawn", len(pts))
	}
	minY, maxY, minX, maxX := plotH, 0, plotW, 0
	for _, pt := range pts {
		minY, maxY, minX, maxX = min(minY, pt.Y), max(maxY, pt.Y), min(minX, pt.X), max(maxX, pt.X)
	}
	if maxY-minY > 6 || maxX-minX < (plotW-marginL-marginR)*9/10 {
		t.Errorf("a flat series spans rows %d–%d and columns %d–%d: not a horizontal line across the plot", minY, maxY, minX, maxX)
	}

	p = filepath.Join(dir, "rising.png")
	if err := linePlot(p, "RSS", "minutes", "MB", Ref{Value: 300, Label: "target 300 MB"}, Series{Name: "RSS", X: xs, Y: rising}); err != nil {
		t.Fatal(err)
	}
	pts = pixels(readPNG(t, p), colSeries[0])
	minY, maxY = plotH, 0
	for _, pt := range pts {
		minY, maxY = min(minY, pt.Y), max(maxY, pt.Y)
	}
	if maxY-minY < (plotH-marginT-margB)/2 {
		t.Errorf("a rising series spans rows %d–%d only", minY, maxY)
	}
	if len(pixels(readPNG(t, p), colRef)) == 0 {
		t.Error("no target line")
	}
	if err := linePlot(filepath.Join(dir, "bad.png"), "t", "x", "y", Ref{}, Series{Name: "s", X: xs, Y: flat[:2]}); err == nil {
		t.Error("mismatched series: no error")
	}
}

func TestBarChartHeightsAreProportional(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bars.png")
	groups := []BarGroup{{Name: "720p", Values: []float64{120, 30}}, {Name: "1080p", Values: []float64{60, 15}}}
	if err := barChart(p, "throughput", "frames/s", []string{"decode", "replay"}, groups, []float64{30, 30}, "real time"); err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, p)
	// Height of each bar: the longest run of its colour in any column.
	heights := func(c color.RGBA) []int {
		var hs []int
		inBar := false
		for x := marginL + 1; x < plotW-marginR; x++ {
			h := 0
			for y := marginT; y < plotH-margB; y++ {
				if color.RGBAModel.Convert(img.At(x, y)) == c {
					h++
				}
			}
			if h > 20 && !inBar {
				hs = append(hs, h)
			}
			inBar = h > 20
		}
		return hs
	}
	dec, rep := heights(colSeries[0]), heights(colSeries[1])
	if len(dec) != 2 || len(rep) != 2 {
		t.Fatalf("bars found: decode %v, replay %v", dec, rep)
	}
	ratio := func(a, b int) float64 { return float64(a) / float64(b) }
	if r := ratio(dec[0], rep[0]); math.Abs(r-4) > 0.15 {
		t.Errorf("720p decode/replay bar heights %d/%d = %.2f, want 4", dec[0], rep[0], r)
	}
	if r := ratio(dec[0], dec[1]); math.Abs(r-2) > 0.1 {
		t.Errorf("decode 720p/1080p bar heights %d/%d = %.2f, want 2", dec[0], dec[1], r)
	}
	if len(pixels(img, colRef)) == 0 {
		t.Error("no real-time reference line")
	}
	if err := barChart(p, "t", "y", []string{"a", "b"}, []BarGroup{{Name: "g", Values: []float64{1}}}, nil, ""); err == nil {
		t.Error("a group short of values: no error")
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 300, 6, []float64{0, 50, 100, 150, 200, 250, 300}},
		{0, 350, 6, []float64{0, 100, 200, 300}}, // step 58 rounds up to 100
		{0, 2.5, 10, []float64{0, 0.5, 1, 1.5, 2, 2.5}},
	} {
		got := ticks(c.lo, c.hi, c.n)
		if len(got) != len(c.want) {
			t.Errorf("ticks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("ticks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
				break
			}
		}
	}
	if c := niceCeil(273); c != 300 {
		t.Errorf("niceCeil(273) = %v", c)
	}
	if c := niceCeil(10.03); c != 12 { // a 10 min soak's last sample comes just after 10 min
		t.Errorf("niceCeil(10.03) = %v", c)
	}
	if c := niceCeil(0); c != 1 {
		t.Errorf("niceCeil(0) = %v", c)
	}
}
