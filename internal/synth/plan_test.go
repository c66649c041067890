package synth

import (
	"math"
	"regexp"
	"testing"
)

var usFormats = regexp.MustCompile(`^([A-HJ-NPR-Z]{3}[0-9]{4}|[0-9][A-HJ-NPR-Z]{3}[0-9]{3}|[A-HJ-NPR-Z]{2}[0-9]{5}|[A-HJ-NPR-Z]{3}[0-9]{3})$`)

func TestPlanCoversTheRangesAndKeepsGaps(t *testing.T) {
	for _, h := range []int{1080, 720} {
		w := widthFor(h)
		p, err := makePlan(w, h, 30, 15, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr := p.truth(1)
		scale := float64(h) / 1080
		seen := map[string]bool{}
		motions := map[string]int{}
		minW, maxW := math.Inf(1), 0.0
		for i, ps := range tr.Passes {
			if !usFormats.MatchString(ps.Plate) || seen[ps.Plate] {
				t.Errorf("%dp pass %d: plate %q is not a distinct US-format text", h, i, ps.Plate)
			}
			seen[ps.Plate] = true
			motions[ps.Motion]++
			pp := p.Passes[i]
			minW, maxW = math.Min(minW, pp.PlateW), math.Max(maxW, pp.PlateW)
			if d := float64(ps.LastFrame-ps.FirstFrame+1) / 30; d < 2 || d > 4 {
				t.Errorf("%dp pass %d lasts %.2f s, want 2–4", h, i, d)
			}
			gapStart := 0
			if i > 0 {
				gapStart = tr.Passes[i-1].LastFrame + 1
			}
			if g := float64(ps.FirstFrame-gapStart) / 30; g < 0.99 {
				t.Errorf("%dp pass %d: only %.2f s of empty scene before it, want ≥ 1", h, i, g)
			}
			if len(ps.Boxes) < 20 {
				t.Errorf("%dp pass %d: plate wholly in view in %d frames, want ≥ 20", h, i, len(ps.Boxes))
			}
			for _, b := range ps.Boxes {
				if b.X < 0 || b.Y < 0 || b.X+b.W > w || b.Y+b.H > h || b.W < 2*b.H-b.H/2 {
					t.Fatalf("%dp pass %d: box %+v leaves the frame or is not plate-shaped", h, i, b)
				}
			}
			// The vehicle must be off screen when the pass starts and ends for a
			// crossing, and when it ends for an approach, so that the gaps are empty.
			for _, f := range []int{ps.FirstFrame, ps.LastFrame} {
				if f == ps.FirstFrame && ps.Motion == MotionApproaching {
					continue
				}
				if vehicleVisible(&p, &p.Passes[i], f) {
					t.Errorf("%dp pass %d (%s): vehicle still on screen at frame %d", h, i, ps.Motion, f)
				}
			}
		}
		if minW > 110*scale || maxW < 240*scale {
			t.Errorf("%dp: plate widths %.0f–%.0f px do not span the range %.0f–%.0f", h, minW, maxW, 90*scale, 260*scale)
		}
		if len(motions) != 3 {
			t.Errorf("%dp: motions %v, want all three", h, motions)
		}
		if g := tr.Frames - tr.Passes[14].LastFrame - 1; g < 30 {
			t.Errorf("%dp: video ends %d frames after the last pass, want ≥ 1 s", h, g)
		}
	}
}

// vehicleVisible reports whether any corner of the vehicle's outline is in
// the frame.
func vehicleVisible(p *plan, pp *passPlan, f int) bool {
	h := p.vehicleToFrame(pp, f)
	for _, s := range vehicleShapes(vehicleKinds[pp.Kind], pp.Body, false) {
		for _, v := range s.Pts {
			q := h.apply(v)
			if q.X >= 0 && q.X < float64(p.W) && q.Y >= 0 && q.Y < float64(p.H) {
				return true
			}
		}
	}
	return false
}

func TestPlanIsDeterministic(t *testing.T) {
	a, _ := makePlan(1920, 1080, 30, 10, 42)
	b, _ := makePlan(1920, 1080, 30, 10, 42)
	c, _ := makePlan(1920, 1080, 30, 10, 43)
	ja, _ := a.truth(42).Marshal()
	jb, _ := b.truth(42).Marshal()
	jc, _ := c.truth(43).Marshal()
	if string(ja) != string(jb) {
		t.Fatal("same seed, different truth")
	}
	if string(ja) == string(jc) {
		t.Fatal("different seeds, same truth")
	}
}

func TestLightNeverJumps(t *testing.T) {
	p, _ := makePlan(1280, 720, 30, 12, 9)
	g0, b0 := p.lightAt(0)
	for f := 1; f < p.Frames; f++ {
		g, b := p.lightAt(f)
		// 128 grey levels through the change of one frame.
		if d := math.Abs((g-g0)*128 + b - b0); d > 6 {
			t.Fatalf("frame %d: mid-grey changes by %.1f levels from the frame before", f, d)
		}
		g0, b0 = g, b
	}
}

func TestOptionErrors(t *testing.T) {
	cases := []struct {
		o    SyntheticOptions
		want string
	}{
		{SyntheticOptions{Height: 1081}, "'height' must be an even number in 360–2160, got 1081"},
		{SyntheticOptions{Passes: 501}, "'passes' must be in 1–500, got 501"},
		{SyntheticOptions{FPS: 200}, "'fps' must be in 1–120, got 200"},
		{SyntheticOptions{Encoder: "x"}, `'encoder' must be auto, ffmpeg or opencv, got "x"`},
	}
	for _, c := range cases {
		if err := c.o.fill(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: got %v, want %q", c.o, err, c.want)
		}
	}
	po := PhotoOptions{Dataset: "d", SecondsPerPhoto: 0.5}
	if err := po.fill(); err == nil || err.Error() != "'seconds-per-photo' must be in 1–30, got 0.5" {
		t.Errorf("got %v", err)
	}
	po = PhotoOptions{Dataset: "d", GapSeconds: 0.05}
	if err := po.fill(); err == nil || err.Error() != "'gap-seconds' must be in 0.1–30, got 0.05" {
		t.Errorf("got %v", err)
	}
}
