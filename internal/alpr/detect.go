package alpr

import (
	"image"
	"math"
	"sort"
)

// Candidate is a region of the frame that may hold a plate's text line.
type Candidate struct {
	// Quad is the text line's corners in frame pixels: top-left, top-right,
	// bottom-right, bottom-left.
	Quad [4]image.Point
	// Score ranks candidates, higher first; its scale depends on Source.
	Score float64
	// Source names the detector that proposed it ("edges", "db").
	Source string
}

// Box is the axis-aligned bounding rectangle of the candidate's quad.
func (c Candidate) Box() image.Rectangle {
	r := image.Rectangle{Min: c.Quad[0], Max: c.Quad[0]}
	for _, p := range c.Quad[1:] {
		r.Min.X, r.Min.Y = min(r.Min.X, p.X), min(r.Min.Y, p.Y)
		r.Max.X, r.Max.Y = max(r.Max.X, p.X), max(r.Max.Y, p.Y)
	}
	return r
}

// size returns the quad's mean width and height.
func (c Candidate) size() (w, h float64) {
	q := c.Quad
	w = (dist(q[0], q[1]) + dist(q[3], q[2])) / 2
	h = (dist(q[0], q[3]) + dist(q[1], q[2])) / 2
	return w, h
}

func dist(a, b image.Point) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

// rectQuad is the quad of an axis-aligned rectangle.
func rectQuad(r image.Rectangle) [4]image.Point {
	return [4]image.Point{r.Min, {r.Max.X, r.Min.Y}, r.Max, {r.Min.X, r.Max.Y}}
}

// orderQuad orders four corners as top-left, top-right, bottom-right,
// bottom-left.
func orderQuad(pts [4]image.Point) [4]image.Point {
	s := pts
	sort.Slice(s[:], func(i, j int) bool { return s[i].X < s[j].X })
	left, right := [2]image.Point{s[0], s[1]}, [2]image.Point{s[2], s[3]}
	if left[0].Y > left[1].Y {
		left[0], left[1] = left[1], left[0]
	}
	if right[0].Y > right[1].Y {
		right[0], right[1] = right[1], right[0]
	}
	return [4]image.Point{left[0], right[0], right[1], left[1]}
}

// iou is the intersection over union of two rectangles.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}

// dedupe drops candidates whose box overlaps a better one's by more than
// maxIoU; the result is sorted by score, best first.
func dedupe(cs []Candidate, maxIoU float64) []Candidate {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Score > cs[j].Score })
	var out []Candidate
next:
	for _, c := range cs {
		for _, k := range out {
			if iou(c.Box(), k.Box()) > maxIoU {
				continue next
			}
		}
		out = append(out, c)
	}
	return out
}

// mergeLines returns the unions of runs of candidates that look like parts
// of one text line (a plate split by a dash, an emblem or wide spacing):
// similar height, same vertical position, a small gap between neighbours.
// Runs of two and of three parts are returned.
func mergeLines(cs []Candidate) []Candidate {
	pairs := mergePairs(cs, cs)
	triples := mergePairs(pairs, cs)
	var out []Candidate
	for _, c := range append(pairs, triples...) {
		if !overlapsAny(c, out, 0.9) {
			out = append(out, c)
		}
	}
	return out
}

// mergePairs joins each left part in lefts with each right part in rights
// that continues its line.
func mergePairs(lefts, rights []Candidate) []Candidate {
	var out []Candidate
	for _, a := range lefts {
		for _, b := range rights {
			ab, bb := a.Box(), b.Box()
			if ab.Max.X >= bb.Max.X || ab.Min.X >= bb.Min.X { // b must extend a to the right
				continue
			}
			ha, hb := float64(ab.Dy()), float64(bb.Dy())
			if ha > 1.5*hb || hb > 1.5*ha {
				continue
			}
			h := (ha + hb) / 2
			dy := float64((ab.Min.Y+ab.Max.Y)-(bb.Min.Y+bb.Max.Y)) / 2
			gap := float64(bb.Min.X - ab.Max.X)
			if dy > 0.4*h || dy < -0.4*h || gap > 1.8*h || gap < -0.6*h {
				continue
			}
			out = append(out, Candidate{
				Quad:   [4]image.Point{a.Quad[0], b.Quad[1], b.Quad[2], a.Quad[3]},
				Score:  (a.Score + b.Score) / 2,
				Source: a.Source + "+",
			})
		}
	}
	return out
}
