package synth

import "math"

// vec is a point in the plane.
type vec struct{ X, Y float64 }

// homography is a 3×3 projective transform in row-major order.
type homography [9]float64

// then returns the transform that applies h first and then o.
func (h homography) then(o homography) homography {
	var r homography
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i*3+j] = o[i*3]*h[j] + o[i*3+1]*h[3+j] + o[i*3+2]*h[6+j]
		}
	}
	return r
}

// apply maps p through h.
func (h homography) apply(p vec) vec {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	return vec{(h[0]*p.X + h[1]*p.Y + h[2]) / w, (h[3]*p.X + h[4]*p.Y + h[5]) / w}
}

func translation(tx, ty float64) homography { return homography{1, 0, tx, 0, 1, ty, 0, 0, 1} }

func scaling(sx, sy float64) homography { return homography{sx, 0, 0, 0, sy, 0, 0, 0, 1} }

func rotation(rad float64) homography {
	c, s := math.Cos(rad), math.Sin(rad)
	return homography{c, -s, 0, s, c, 0, 0, 0, 1}
}

// yawing turns a flat object that faces the camera by rad around its vertical
// axis through x = 0, seen from dist units away: the far side shrinks, the
// near side grows.
func yawing(rad, dist float64) homography {
	return homography{math.Cos(rad), 0, 0, 0, 1, 0, math.Sin(rad) / dist, 0, 1}
}

// quad is four corners: top-left, top-right, bottom-right, bottom-left.
type quad [4]vec

// bounds returns the smallest integer rectangle holding q as x0, y0, x1, y1
// (x1, y1 exclusive).
func (q quad) bounds() (x0, y0, x1, y1 int) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range q {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	return int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))
}

// inside reports whether every corner of q lies in the w×h frame.
func (q quad) inside(w, h int) bool {
	for _, p := range q {
		if p.X < 0 || p.Y < 0 || p.X > float64(w) || p.Y > float64(h) {
			return false
		}
	}
	return true
}

// width is the mean length of the top and bottom edges.
func (q quad) width() float64 {
	return (math.Hypot(q[1].X-q[0].X, q[1].Y-q[0].Y) + math.Hypot(q[2].X-q[3].X, q[2].Y-q[3].Y)) / 2
}

func smoothstep(t float64) float64 {
	t = math.Max(0, math.Min(1, t))
	return t * t * (3 - 2*t)
}
