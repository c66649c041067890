package synth

import (
	"fmt"
	"image/color"
	"math"
)

// Motions of a vehicle through the scene.
const (
	MotionLeftToRight = "left_to_right"
	MotionRightToLeft = "right_to_left"
	MotionApproaching = "approaching"
	MotionPhoto       = "photo"
)

// lighting is a global gain and offset applied to the whole frame.
type lighting struct {
	Name       string
	Gain, Bias float64
}

var lightings = map[string]lighting{
	"normal":   {"normal", 1, 0},
	"overcast": {"overcast", 0.86, 12},
	"dusk":     {"dusk", 0.58, -6},
	"glare":    {"glare", 0.74, 66},
}

// passPlan is everything about one pass that the renderer needs, fixed from
// the seed before any frame is drawn.
type passPlan struct {
	Text        string
	Style       int
	Motion      string
	First, Last int     // frames on screen, inclusive
	PlateW      float64 // nominal plate width, px
	Ground      float64 // y of the ground line under the vehicle when at nominal size, px
	X0, X1      float64 // approaching: horizontal centre at the start and at full size, px
	ExitLeft    bool    // approaching: leaves through the left edge
	Yaw, Roll   float64 // radians
	Blur        string  // none, gaussian or motion
	BlurPx      float64
	Light       lighting
	Noise       float64 // sigma, grey levels
	Body        color.RGBA
	Kind        int // index into vehicleKinds
}

// plan is the whole timeline of a synthetic video.
type plan struct {
	W, H   int
	FPS    float64
	Frames int
	Passes []passPlan
}

var bodyColours = []color.RGBA{
	rgb(200, 200, 204), rgb(60, 62, 68), rgb(150, 20, 24), rgb(30, 60, 130), rgb(235, 235, 232),
	rgb(26, 26, 28), rgb(40, 90, 60), rgb(214, 170, 40), rgb(120, 124, 130), rgb(110, 60, 40),
}

// makePlan lays out n passes at the given frame size. Plate sizes are spread
// evenly over the range (one draw in each of n equal slices), and motions,
// lights and blurs are dealt from balanced decks, so that every video covers
// the range.
func makePlan(w, h int, fps float64, n int, seed int64) (plan, error) {
	if n < 1 || n > 500 {
		return plan{}, fmt.Errorf("passes must be in 1–500, got %d", n)
	}
	r := newRNG(seed, 1)
	scale := float64(h) / 1080
	minW, maxW := 90*scale, 260*scale
	widths := r.perm(n)
	motions := deal(r, n, []string{MotionLeftToRight, MotionRightToLeft, MotionApproaching})
	lights := deal(r, n, []string{"normal", "dusk", "normal", "glare", "overcast"})
	blurs := deal(r, n, []string{"none", "gaussian", "none", "motion"})
	seen := map[string]bool{}
	p := plan{W: w, H: h, FPS: fps}
	f := int(math.Round(fps * r.between(1.0, 1.3)))
	for i := 0; i < n; i++ {
		pp := passPlan{Motion: motions[i], Light: lightings[lights[i]], Blur: blurs[i]}
		for pp.Text == "" || seen[pp.Text] {
			pp.Text = plateText(r)
		}
		seen[pp.Text] = true
		pp.Style = r.intn(len(plateStyles))
		pp.PlateW = minW + (maxW-minW)*(float64(widths[i])+r.float())/float64(n)
		pp.Ground = float64(h) * r.between(0.84, 0.97)
		pp.X0 = float64(w) * r.between(0.42, 0.58)
		pp.X1 = float64(w) * r.between(0.35, 0.65)
		pp.ExitLeft = r.float() < 0.5
		pp.Yaw = r.between(-8, 8) * math.Pi / 180
		pp.Roll = r.between(-5, 5) * math.Pi / 180
		pp.Noise = []float64{1.5, 2.5, 4}[r.intn(3)]
		pp.Body = bodyColours[r.intn(len(bodyColours))]
		pp.Kind = r.intn(len(vehicleKinds))
		switch {
		case pp.Blur == "motion" && pp.Motion == MotionApproaching:
			pp.Blur = "gaussian"
			fallthrough
		case pp.Blur == "gaussian":
			pp.BlurPx = round2(pp.PlateW * r.between(0.003, 0.007))
		case pp.Blur == "motion":
			pp.BlurPx = math.Max(3, math.Round(pp.PlateW*r.between(0.02, 0.04)))
		}
		length := int(math.Round(fps * r.between(2.2, 4.0)))
		pp.First, pp.Last = f, f+length-1
		p.Passes = append(p.Passes, pp)
		f += length + int(math.Round(fps*r.between(1.0, 1.4)))
	}
	p.Frames = f
	return p, nil
}

// deal returns n items drawn from repeated, shuffled copies of deck.
func deal(r *rng, n int, deck []string) []string {
	out := make([]string, 0, n+len(deck))
	for len(out) < n {
		for _, i := range r.perm(len(deck)) {
			out = append(out, deck[i])
		}
	}
	return out[:n]
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// segment returns the index of the pass whose gap-before-and-pass span
// contains frame f: frames before the first pass belong to pass 0, frames
// after the last one to the last pass.
func (p *plan) segment(f int) int {
	for i := range p.Passes {
		if f <= p.Passes[i].Last {
			return i
		}
	}
	return len(p.Passes) - 1
}

// active returns the pass on screen at frame f, or nil in a gap.
func (p *plan) active(f int) *passPlan {
	i := p.segment(f)
	if f >= p.Passes[i].First && f <= p.Passes[i].Last {
		return &p.Passes[i]
	}
	return nil
}

// lightAt returns the frame's gain and bias: the pass's own during a pass,
// ramping from the previous pass's over the gap before it, so that the light
// never jumps between two frames.
func (p *plan) lightAt(f int) (gain, bias float64) {
	i := p.segment(f)
	cur := p.Passes[i].Light
	if i == 0 || f >= p.Passes[i].First {
		return cur.Gain, cur.Bias
	}
	prev := p.Passes[i-1]
	t := smoothstep(float64(f-prev.Last) / float64(p.Passes[i].First-prev.Last))
	return prev.Light.Gain + (cur.Gain-prev.Light.Gain)*t, prev.Light.Bias + (cur.Bias-prev.Light.Bias)*t
}
