//go:build cgo

package synth

import (
	"context"
	"image"
	"math"
	"os"
	"testing"

	"gocv.io/x/gocv"
)

func TestSyntheticVideoMatchesItsTruth(t *testing.T) {
	dir := t.TempDir()
	opt := SyntheticOptions{Height: 720, Passes: 4, Seed: 11}
	res, err := Synthetic(context.Background(), dir, opt, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTruth(res.TruthFile)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Video != "synthetic-720p.mp4" || res.Video != dir+"/synthetic-720p.mp4" || res.NMEAFile != dir+"/synthetic-720p.nmea" {
		t.Fatalf("unexpected names: %+v, truth video %q", res, tr.Video)
	}
	var keep []int
	for _, p := range tr.Passes {
		keep = append(keep, p.MidFrame(), p.FirstFrame-5)
	}
	d := decode(t, res.Video, keep...)
	defer d.Close()
	if d.Frames != tr.Frames || d.Width != 1280 || d.Height != 720 || d.FPS != 30 {
		t.Fatalf("decoded %d frames %dx%d at %g fps, truth says %d frames 1280x720 at 30", d.Frames, d.Width, d.Height, d.FPS, tr.Frames)
	}
	for i, p := range tr.Passes {
		mid := p.MidFrame()
		b, ok := p.BoxAt(mid)
		if !ok {
			t.Fatalf("pass %d: no box at its mid frame", i)
		}
		frame := d.Kept[mid]
		// The plate is a light card with dark characters in a dark frame: its
		// middle half is lighter than a ring just around the box, and its
		// character band holds both light paper and dark ink.
		inner := image.Rect(b.X+b.W/4, b.Y+b.H/4, b.X+3*b.W/4, b.Y+3*b.H/4)
		box := image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H)
		ring := box.Inset(-max(4, b.W/8)).Intersect(image.Rect(0, 0, tr.Width, tr.Height))
		ringMean := (grey(frame, ring)*float64(ring.Dx()*ring.Dy()) - grey(frame, box)*float64(b.W*b.H)) / float64(ring.Dx()*ring.Dy()-b.W*b.H)
		if in := grey(frame, box.Inset(b.H/6)); in < ringMean+20 {
			t.Errorf("pass %d (%s, light %s): plate %.0f not lighter than its surround %.0f", i, p.Plate, p.Light, in, ringMean)
		}
		lo, hi := span(frame, inner)
		if hi-lo < 60 {
			t.Errorf("pass %d (%s, light %s, blur %s): character band spans only %.0f grey levels", i, p.Plate, p.Light, p.Blur, hi-lo)
		}
		// Five frames before the pass, the scene is empty: where the plate
		// will be, the frame matches the empty frame before the next pass.
		next := tr.Frames - 5
		if i+1 < len(tr.Passes) {
			next = tr.Passes[i+1].FirstFrame - 5
		}
		if e, ok := d.Kept[next]; ok && p.Light == tr.Passes[min(i+1, len(tr.Passes)-1)].Light {
			if diff := meanAbsDiff(d.Kept[p.FirstFrame-5], e, box); diff > 6 {
				t.Errorf("pass %d: empty frames %d and %d differ by %.1f in the plate area", i, p.FirstFrame-5, next, diff)
			}
		}
	}
	st, err := os.Stat(res.NMEAFile)
	if err != nil || st.Size() == 0 {
		t.Fatalf("nmea file: %v", err)
	}
}

// span returns the 5th and 95th percentile of the grey levels in r.
func span(m gocv.Mat, r image.Rectangle) (lo, hi float64) {
	var hist [256]int
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := m.GetVecbAt(y, x)
			hist[(int(v[0])+int(v[1])+int(v[2]))/3]++
			n++
		}
	}
	acc, loSet := 0, false
	for g, c := range hist {
		acc += c
		if !loSet && acc >= n/20 {
			lo, loSet = float64(g), true
		}
		if acc >= n-n/20 {
			return lo, float64(g)
		}
	}
	return lo, 255
}

func TestSyntheticIsDeterministic(t *testing.T) {
	opt := SyntheticOptions{Height: 720, Passes: 2, Seed: 5}
	a, err := Synthetic(context.Background(), t.TempDir(), opt, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Synthetic(context.Background(), t.TempDir(), opt, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{a.TruthFile, b.TruthFile}, {a.NMEAFile, b.NMEAFile}} {
		x, _ := os.ReadFile(pair[0])
		y, _ := os.ReadFile(pair[1])
		if len(x) == 0 || string(x) != string(y) {
			t.Fatalf("%s and %s differ", pair[0], pair[1])
		}
	}
	p := a.Truth.Passes[1]
	keep := []int{0, p.MidFrame(), p.FirstFrame + 3, a.Truth.Frames - 1}
	da, db := decode(t, a.Video, keep...), decode(t, b.Video, keep...)
	defer da.Close()
	defer db.Close()
	for _, f := range keep {
		if d := meanAbsDiff(da.Kept[f], db.Kept[f], image.Rectangle{}); d > 0.5 {
			t.Errorf("frame %d differs between two runs by %.2f grey levels", f, d)
		}
	}
	c, err := Synthetic(context.Background(), t.TempDir(), SyntheticOptions{Height: 720, Passes: 2, Seed: 6}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Truth.Passes[0].Plate == a.Truth.Passes[0].Plate {
		t.Error("another seed gave the same first plate")
	}
}

func TestSyntheticWithOpenCVEncoder(t *testing.T) {
	res, err := Synthetic(context.Background(), t.TempDir(), SyntheticOptions{Height: 360, Passes: 1, Seed: 2, FPS: 15, Encoder: EncoderOpenCV}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, res.Video)
	defer d.Close()
	if d.Frames != res.Truth.Frames || d.Width != 640 || d.Height != 360 || math.Abs(d.FPS-15) > 0.01 {
		t.Fatalf("decoded %d frames %dx%d at %g fps, want %d 640x360 at 15", d.Frames, d.Width, d.Height, d.FPS, res.Truth.Frames)
	}
}

func TestSyntheticMissingFont(t *testing.T) {
	_, err := Synthetic(context.Background(), t.TempDir(), SyntheticOptions{Font: "/nonexistent/x.ttf"}, testLogger(t))
	if err == nil || err.Error() != "font /nonexistent/x.ttf not found (install Debian's fonts-dejavu-core or pass another TTF)" {
		t.Fatalf("got %v", err)
	}
}
