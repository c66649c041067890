//go:build cgo

package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// noiseSigma is the sigma of the stored noise fields; a pass's own sigma
// scales them.
const noiseSigma = 4.0

// noiseFields is how many different noise fields the frames cycle through.
const noiseFields = 5

// renderer draws the frames of a synthetic plan.
type renderer struct {
	plan  *plan
	tf    *typeface
	bg    gocv.Mat
	noise []gocv.Mat

	cur    int              // pass whose plate images are cached, -1 for none
	master gocv.Mat         // plate image of pass cur at full size
	scaled map[int]gocv.Mat // master resized to a width, by width
	shapes []shape
}

func newRenderer(p *plan, tf *typeface, seed int64) (*renderer, error) {
	r := &renderer{plan: p, tf: tf, cur: -1, scaled: map[int]gocv.Mat{}}
	bg, err := matFromRGBA(renderBackground(tf, p.W, p.H, seed))
	if err != nil {
		return nil, err
	}
	gocv.GaussianBlur(bg, &bg, image.Point{}, 0.6*float64(p.H)/1080, 0, gocv.BorderReflect101)
	r.bg = bg
	nr := newRNG(seed, 4)
	for i := 0; i < noiseFields; i++ {
		buf := make([]byte, p.W*p.H*3)
		for j := range buf {
			// The sum of four uniforms is close enough to a Gaussian.
			u := nr.float() + nr.float() + nr.float() + nr.float() - 2
			buf[j] = clamp8(128 + u*noiseSigma*math.Sqrt(3))
		}
		m, err := matFromBGR(p.W, p.H, buf)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("noise field: %w", err)
		}
		r.noise = append(r.noise, m)
	}
	return r, nil
}

// Close releases the renderer's Mats.
func (r *renderer) Close() {
	r.dropPass()
	r.bg.Close()
	for i := range r.noise {
		r.noise[i].Close()
	}
	r.noise = nil
}

func (r *renderer) dropPass() {
	if r.cur >= 0 {
		r.master.Close()
	}
	for k, m := range r.scaled {
		m.Close()
		delete(r.scaled, k)
	}
	r.cur = -1
}

// draw renders frame f into dst, a Mat of the frame's size and type.
func (r *renderer) draw(f int, dst *gocv.Mat) error {
	r.bg.CopyTo(dst)
	if pp := r.plan.active(f); pp != nil {
		if err := r.drawVehicle(f, pp, dst); err != nil {
			return err
		}
	}
	if gain, bias := r.plan.lightAt(f); gain != 1 || bias != 0 {
		dst.ConvertToWithParams(dst, gocv.MatTypeCV8UC3, float32(gain), float32(bias))
	}
	k := r.plan.Passes[r.plan.segment(f)].Noise / noiseSigma
	gocv.AddWeighted(*dst, 1, r.noise[f%len(r.noise)], k, -128*k, dst)
	return nil
}

func (r *renderer) drawVehicle(f int, pp *passPlan, dst *gocv.Mat) error {
	idx := pp.First // passes are keyed by their first frame
	if r.cur != idx {
		r.dropPass()
		m, err := matFromRGBA(renderPlate(r.tf, pp.Text, plateStyles[pp.Style]))
		if err != nil {
			return err
		}
		r.master, r.cur = m, idx
		r.shapes = vehicleShapes(vehicleKinds[pp.Kind], pp.Body, pp.Motion == MotionApproaching)
	}
	h := r.plan.vehicleToFrame(pp, f)
	frame := image.Rect(0, 0, r.plan.W, r.plan.H)
	box := image.Rectangle{}
	for _, s := range r.shapes {
		pts := make([]image.Point, len(s.Pts))
		for i, p := range s.Pts {
			q := h.apply(p)
			pts[i] = image.Pt(int(math.Round(q.X*16)), int(math.Round(q.Y*16)))
			box = box.Union(image.Rect(pts[i].X/16-1, pts[i].Y/16-1, pts[i].X/16+2, pts[i].Y/16+2))
		}
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
		gocv.FillPolyWithParams(dst, pv, s.Col, gocv.LineAA, 4, image.Point{})
		pv.Close()
	}
	if err := r.drawPlate(plateQuad(vehicleKinds[pp.Kind], h), dst); err != nil {
		return err
	}
	if pp.Blur == "none" {
		return nil
	}
	roi := box.Inset(-int(math.Ceil(3*pp.BlurPx)) - 2).Intersect(frame)
	if roi.Empty() {
		return nil
	}
	sub := dst.Region(roi)
	defer sub.Close()
	if pp.Blur == "gaussian" {
		gocv.GaussianBlur(sub, &sub, image.Point{}, pp.BlurPx, 0, gocv.BorderReflect101)
		return nil
	}
	n := int(pp.BlurPx)
	kernel := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(1/float64(n), 0, 0, 0), 1, n, gocv.MatTypeCV32F)
	defer kernel.Close()
	gocv.Filter2D(sub, &sub, -1, kernel, image.Pt(-1, -1), 0, gocv.BorderReflect101)
	return nil
}

// drawPlate warps the pass's plate image onto quad q of dst.
func (r *renderer) drawPlate(q quad, dst *gocv.Mat) error {
	x0, y0, x1, y1 := q.bounds()
	roi := image.Rect(x0-1, y0-1, x1+1, y1+1).Intersect(image.Rect(0, 0, r.plan.W, r.plan.H))
	if roi.Dx() < 2 || roi.Dy() < 2 {
		return nil
	}
	// Resize to about the drawn size first, with area averaging, so that the
	// warp never shrinks by much and small plates stay clean.
	sw := max(16, int(math.Ceil(q.width()*1.25/8))*8)
	src, ok := r.scaled[sw]
	if !ok {
		src = gocv.NewMat()
		gocv.Resize(r.master, &src, image.Pt(sw, sw/2), 0, 0, gocv.InterpolationArea)
		r.scaled[sw] = src
	}
	sv := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: float32(sw), Y: 0}, {X: float32(sw), Y: float32(sw / 2)}, {X: 0, Y: float32(sw / 2)}})
	defer sv.Close()
	var dp []gocv.Point2f
	for _, p := range q {
		dp = append(dp, gocv.Point2f{X: float32(p.X - float64(roi.Min.X)), Y: float32(p.Y - float64(roi.Min.Y))})
	}
	dv := gocv.NewPoint2fVectorFromPoints(dp)
	defer dv.Close()
	m := gocv.GetPerspectiveTransform2f(sv, dv)
	defer m.Close()
	sub := dst.Region(roi)
	defer sub.Close()
	gocv.WarpPerspectiveWithParams(src, &sub, m, roi.Size(), gocv.InterpolationLinear, gocv.BorderTransparent, color.RGBA{})
	return nil
}

// matFromRGBA copies an image into a new BGR Mat.
func matFromRGBA(img *image.RGBA) (gocv.Mat, error) {
	b := img.Bounds()
	return matFromBGR(b.Dx(), b.Dy(), toBGR(img))
}

// matFromBGR copies packed BGR bytes into a new Mat that owns its memory
// (NewMatFromBytes alone would keep pointing into the Go slice).
func matFromBGR(w, h int, buf []byte) (gocv.Mat, error) {
	view, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, buf)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("image to Mat: %w", err)
	}
	defer view.Close()
	return view.Clone(), nil
}
