package alpr

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// Rectify cuts the quad out of img and warps it flat into a crop of the
// given height (width from the quad's aspect ratio), after growing the quad
// by padX of its width on the left and right and padY of its height above
// and below. Pixels outside img repeat the border. The caller closes the
// returned Mat.
func Rectify(img gocv.Mat, q [4]image.Point, height int, padX, padY float64) gocv.Mat {
	src := grow(q, padX, padY)
	w := (distF(src[0], src[1]) + distF(src[3], src[2])) / 2
	h := (distF(src[0], src[3]) + distF(src[1], src[2])) / 2
	if h < 1 {
		h = 1
	}
	outW := max(8, int(math.Round(w*float64(height)/h)))
	srcV := gocv.NewPoint2fVectorFromPoints(src[:])
	defer srcV.Close()
	dstV := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: 0, Y: 0}, {X: float32(outW), Y: 0}, {X: float32(outW), Y: float32(height)}, {X: 0, Y: float32(height)},
	})
	defer dstV.Close()
	m := gocv.GetPerspectiveTransform2f(srcV, dstV)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(img, &out, m, image.Pt(outW, height),
		gocv.InterpolationLinear, gocv.BorderReplicate, grey)
	return out
}

// grow moves a quad's corners outwards along its own edges.
func grow(q [4]image.Point, padX, padY float64) [4]gocv.Point2f {
	var p [4]gocv.Point2f
	for i, pt := range q {
		p[i] = gocv.Point2f{X: float32(pt.X), Y: float32(pt.Y)}
	}
	// Horizontal edge vectors (top, bottom) and vertical ones (left, right).
	tx, ty := p[1].X-p[0].X, p[1].Y-p[0].Y
	bx, by := p[2].X-p[3].X, p[2].Y-p[3].Y
	lx, ly := p[3].X-p[0].X, p[3].Y-p[0].Y
	rx, ry := p[2].X-p[1].X, p[2].Y-p[1].Y
	ax, ay := float32(padX), float32(padY)
	return [4]gocv.Point2f{
		{X: p[0].X - ax*tx - ay*lx, Y: p[0].Y - ax*ty - ay*ly},
		{X: p[1].X + ax*tx - ay*rx, Y: p[1].Y + ax*ty - ay*ry},
		{X: p[2].X + ax*bx + ay*rx, Y: p[2].Y + ax*by + ay*ry},
		{X: p[3].X - ax*bx + ay*lx, Y: p[3].Y - ax*by + ay*ly},
	}
}

func distF(a, b gocv.Point2f) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}
