package alpr

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// How plateRoll looks for a plate's roll.
const (
	// maxRoll is the largest roll looked for, in degrees: a forward camera
	// sees plates of cars in the next lane or at the kerb rolled by up to
	// about 10-15 degrees (camera mount, camber, the perspective of a plate
	// below and beside the camera).
	maxRoll = 15
	// rollStep is the angle between two rolls tried, in degrees: at
	// rollWidth, 1 degree moves a row's end by about 1.7 px.
	rollStep = 1
	// rollWidth is the width the box is seen at, in pixels: wide enough
	// that a degree shows, small enough to cost next to nothing.
	rollWidth = 96
	// minEdge is the least change of grey level across a row (of 255) that
	// counts as a horizontal edge: the plate's borders, the characters'
	// tops and feet.
	minEdge = 24
)

// plateRoll estimates how far the plate in box (inside img's frame) is
// turned, in degrees, clockwise (its right end lower): the angle along
// which the box's horizontal edges line up best, that is, whose rows'
// profile of edge strength is the most peaked. 0 for a box too small to
// tell.
func plateRoll(img gocv.Mat, box image.Rectangle) float64 {
	box = box.Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if box.Dx() < 8 || box.Dy() < 4 {
		return 0
	}
	h := max(8, int(math.Round(float64(box.Dy())*rollWidth/float64(box.Dx()))))
	region := img.Region(box)
	defer region.Close()
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(region, &small, image.Pt(rollWidth, h), 0, 0, gocv.InterpolationLinear)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	px, err := grey.DataPtrUint8() // grey's own pixels, not a copy
	if err != nil {
		return 0
	}
	return rollOf(px, rollWidth, h)
}

// edge is a pixel on a horizontal edge and the edge's strength.
type edge struct{ x, y, w float64 }

// rollOf is plateRoll's estimate on w x h grey levels, row by row.
func rollOf(px []byte, w, h int) float64 {
	at := func(x, y int) int { return int(px[y*w+x]) }
	var edges []edge
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			gy := at(x, y+1) - at(x, y-1)
			gx := at(x+1, y) - at(x-1, y)
			if gy < 0 {
				gy = -gy
			}
			if gx < 0 {
				gx = -gx
			}
			if gy >= minEdge && gy > gx {
				edges = append(edges, edge{float64(x), float64(y), float64(gy)})
			}
		}
	}
	if len(edges) == 0 {
		return 0
	}
	// A row at angle a holds the points with the same y cos a - x sin a;
	// its index is that, shifted to be at least 0.
	shift := float64(w) * math.Sin(maxRoll*math.Pi/180)
	profile := make([]float64, h+2*int(shift)+3)
	best, bestScore := 0.0, -1.0
	for a := -maxRoll; a <= maxRoll; a += rollStep {
		sin, cos := math.Sincos(float64(a) * math.Pi / 180)
		clear(profile)
		for _, e := range edges {
			r := int(e.y*cos - e.x*sin + shift)
			profile[min(max(r, 0), len(profile)-1)] += e.w
		}
		score := 0.0
		for _, v := range profile {
			score += v * v
		}
		// Ties (a box without clear rows) go to the level reading.
		if score > bestScore*(1+1e-9) || (score >= bestScore && math.Abs(float64(a)) < math.Abs(best)) {
			best, bestScore = float64(a), score
		}
	}
	return best
}
