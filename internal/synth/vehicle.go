package synth

import (
	"image/color"
	"math"
)

// vehicleKind is the outline of a vehicle seen from behind or in front, in
// metres; x = 0 is the centre line and y = 0 the ground, y grows downwards.
type vehicleKind struct {
	Name   string
	Half   float64 // half the width
	Belt   float64 // height of the window line
	Roof   float64 // height of the roof
	PlateY float64 // height of the plate centre
}

var vehicleKinds = []vehicleKind{
	{"sedan", 0.90, 0.95, 1.42, 0.52},
	{"suv", 0.95, 1.10, 1.75, 0.62},
	{"van", 0.98, 1.18, 1.95, 0.58},
}

// shape is a filled polygon in vehicle coordinates.
type shape struct {
	Pts []vec
	Col color.RGBA
}

// horizon is the y of the vanishing point, as a fraction of the height.
const horizon = 0.45

// vehicleShapes returns the polygons of a vehicle, back to front. front
// selects the front view (headlights, grille) over the rear one.
func vehicleShapes(k vehicleKind, body color.RGBA, front bool) []shape {
	h, b, r := k.Half, k.Belt, k.Roof
	dark := shade(body, 0.72)
	glass := rgb(46, 56, 70)
	out := []shape{
		{rect(-h-0.04, -0.05, h+0.04, 0.025), rgb(46, 46, 50)}, // shadow
		{rect(-h+0.04, -0.40, -h+0.30, 0), rgb(22, 22, 24)},    // tyres
		{rect(h-0.30, -0.40, h-0.04, 0), rgb(22, 22, 24)},
		{[]vec{{-h, -0.22}, {h, -0.22}, {h + 0.02, -b + 0.15}, {h - 0.06, -b}, {-h + 0.06, -b}, {-h - 0.02, -b + 0.15}}, body},
		{[]vec{{-h + 0.08, -b}, {h - 0.08, -b}, {h - 0.26, -r}, {-h + 0.26, -r}}, body},
		{[]vec{{-h + 0.16, -b - 0.04}, {h - 0.16, -b - 0.04}, {h - 0.32, -r + 0.07}, {-h + 0.32, -r + 0.07}}, glass},
		{[]vec{{-h + 0.36, -b - 0.06}, {-h + 0.52, -b - 0.06}, {-h + 0.62, -r + 0.09}, {-h + 0.50, -r + 0.09}}, rgb(88, 100, 116)},
		{rect(-h-0.01, -0.36, h+0.01, -0.20), rgb(44, 44, 46)}, // bumper
		{rect(-h+0.02, -b+0.20, h-0.02, -b+0.17), dark},        // trunk or bonnet line
	}
	if front {
		out = append(out,
			shape{rect(-0.48, -k.PlateY-0.28, 0.48, -k.PlateY-0.11), rgb(30, 30, 32)}, // grille
			shape{rect(-h+0.06, -k.PlateY-0.28, -0.55, -k.PlateY-0.14), rgb(236, 236, 226)},
			shape{rect(0.55, -k.PlateY-0.28, h-0.06, -k.PlateY-0.14), rgb(236, 236, 226)},
		)
	} else {
		out = append(out,
			shape{rect(-h+0.01, -b+0.14, -h+0.30, -b+0.01), rgb(178, 24, 26)}, // tail lights
			shape{rect(h-0.30, -b+0.14, h-0.01, -b+0.01), rgb(178, 24, 26)},
		)
	}
	// The plate sits in a black surround, as most plate frames are.
	c := -k.PlateY
	out = append(out, shape{rect(-plateW/2-0.02, c-plateH/2-0.02, plateW/2+0.02, c+plateH/2+0.02), rgb(20, 20, 22)})
	return out
}

func rect(x0, y0, x1, y1 float64) []vec { return []vec{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} }

func shade(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), 255}
}

// vehicleToFrame returns the transform from vehicle metres to frame pixels at
// frame f of pass p, which must be on screen then.
func (p *plan) vehicleToFrame(pp *passPlan, f int) homography {
	k := vehicleKinds[pp.Kind]
	t := float64(f-pp.First) / float64(max(1, pp.Last-pp.First))
	sf := pp.PlateW / plateW // pixels per metre at nominal size
	margin := (k.Half + 0.35) * sf
	s, x, gy := sf, 0.0, pp.Ground
	switch pp.Motion {
	case MotionLeftToRight:
		x = -margin + t*(float64(p.W)+2*margin)
	case MotionRightToLeft:
		x = float64(p.W) + margin - t*(float64(p.W)+2*margin)
	default: // approaching: distance falls linearly, then the vehicle turns away
		const turn = 0.72
		hy := horizon * float64(p.H)
		if t <= turn {
			e := t / turn
			s = sf / (4 - 3*e)
			x = pp.X0 + (pp.X1-pp.X0)*e
			gy = hy + (pp.Ground-hy)*s/sf
		} else {
			e := (t - turn) / (1 - turn)
			s = sf * (1 + 0.1*e)
			gy = pp.Ground + 0.02*float64(p.H)*e
			dist := float64(p.W) - pp.X1 + margin*1.1
			if pp.ExitLeft {
				dist = -(pp.X1 + margin*1.1)
			}
			x = pp.X1 + dist*math.Pow(e, 1.6)
		}
	}
	return yawing(pp.Yaw, 7).then(rotation(pp.Roll)).then(scaling(s, s)).then(translation(x, gy))
}

// plateQuad returns the plate corners in frame pixels.
func plateQuad(k vehicleKind, h homography) quad {
	c := -k.PlateY
	return quad{
		h.apply(vec{-plateW / 2, c - plateH/2}), h.apply(vec{plateW / 2, c - plateH/2}),
		h.apply(vec{plateW / 2, c + plateH/2}), h.apply(vec{-plateW / 2, c + plateH/2}),
	}
}

// truth returns the ground truth of the plan, without the video file name.
func (p *plan) truth(seed int64) *Truth {
	t := &Truth{
		Version: TruthVersion, Generator: "synthetic", Width: p.W, Height: p.H, FPS: p.FPS,
		Frames: p.Frames, DurationS: seconds(p.Frames, p.FPS), Seed: seed, Start: DefaultStart,
	}
	for i := range p.Passes {
		pp := &p.Passes[i]
		tp := Pass{
			Index: i, Plate: pp.Text, State: plateStyles[pp.Style].State, Motion: pp.Motion,
			FirstFrame: pp.First, LastFrame: pp.Last, StartS: seconds(pp.First, p.FPS), EndS: seconds(pp.Last, p.FPS),
			Blur: pp.Blur, BlurPx: pp.BlurPx, Light: pp.Light.Name, Noise: pp.Noise,
		}
		widest := 0.0
		for f := pp.First; f <= pp.Last; f++ {
			q := plateQuad(vehicleKinds[pp.Kind], p.vehicleToFrame(pp, f))
			if !q.inside(p.W, p.H) {
				continue
			}
			widest = math.Max(widest, q.width())
			x0, y0, x1, y1 := q.bounds()
			tp.Boxes = append(tp.Boxes, Box{Frame: f, X: x0, Y: y0, W: x1 - x0, H: y1 - y0})
		}
		tp.PlateWidthPx = int(math.Round(widest))
		t.Passes = append(t.Passes, tp)
	}
	return t
}
