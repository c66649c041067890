package alpr

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"gocv.io/x/gocv"
)

// DB detector post-processing settings (PaddleOCR's defaults, except a lower
// box threshold so that small, blurred plates survive).
const (
	dbBinThresh  = 0.3 // probability above which a pixel is text
	dbBoxThresh  = 0.5 // mean probability a text box must reach
	dbUnclip     = 1.6 // box growth: area*ratio/perimeter on each side
	dbMinSidePx  = 3   // shorter side of a box in detector pixels, at least
	dbMaxContour = 200 // contours examined per frame at most
)

// DBDetector finds text lines with the PP-OCRv4 differentiable-binarisation
// detector. Every frame is letterboxed into one fixed input, since OpenCV
// 4.6 returns zeros when a loaded network's input size changes. A
// DBDetector is safe for concurrent use: calls take turns on its network,
// whose output is only valid until its next run.
type DBDetector struct {
	mu     sync.Mutex
	net    gocv.Net
	width  int      // input width in pixels, a multiple of 32
	height int      // input height in pixels, a multiple of 32
	side   int      // the longer of the two
	canvas gocv.Mat // the letterboxed input, reused from pass to pass
}

// NewDBDetector loads the detector from path with a square input; side is
// the longest side of the frame (or region) in detector pixels, rounded up
// to a multiple of 32.
func NewDBDetector(path string, side int) (*DBDetector, error) {
	return newDBDetector(path, side, side)
}

// newDBDetector loads the detector with a width×height input (each rounded
// up to a multiple of 32).
func newDBDetector(path string, width, height int) (*DBDetector, error) {
	if width < 64 || width > 4096 || height < 64 || height > 4096 {
		return nil, fmt.Errorf("alpr: detector input %d×%d is outside 64..4096", width, height)
	}
	width, height = (width+31)/32*32, (height+31)/32*32
	net := gocv.ReadNetFromONNX(path)
	if net.Empty() {
		net.Close()
		return nil, fmt.Errorf("alpr: cannot load detector %q", path)
	}
	canvas := gocv.NewMatWithSize(height, width, gocv.MatTypeCV8UC3)
	return &DBDetector{net: net, width: width, height: height, side: max(width, height), canvas: canvas}, nil
}

// Close frees the network and its input canvas.
func (d *DBDetector) Close() error {
	d.canvas.Close()
	return d.net.Close()
}

// Detect returns text-line candidates inside area of img (BGR), in img's
// pixels, best first.
func (d *DBDetector) Detect(img gocv.Mat, area image.Rectangle) ([]Candidate, error) {
	area = area.Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	d.mu.Lock()
	defer d.mu.Unlock()
	if area.Empty() {
		return nil, nil
	}
	scale := min(float64(d.width)/float64(area.Dx()), float64(d.height)/float64(area.Dy()))
	sw := min(d.width, int(math.Round(float64(area.Dx())*scale)))
	sh := min(d.height, int(math.Round(float64(area.Dy())*scale)))

	canvas := d.canvas
	canvas.SetTo(gocv.NewScalar(0, 0, 0, 0))
	src := img.Region(area)
	dst := canvas.Region(image.Rect(0, 0, sw, sh))
	gocv.Resize(src, &dst, image.Pt(sw, sh), 0, 0, gocv.InterpolationArea)
	src.Close()
	dst.Close()

	// PaddleOCR normalises BGR pixels with ImageNet's mean and std, in BGR
	// order; one scale for the three channels is close enough (std 0.224-0.229).
	blob := gocv.BlobFromImage(canvas, 1/(0.226*255), image.Pt(d.width, d.height),
		gocv.NewScalar(0.485*255, 0.456*255, 0.406*255, 0), false, false)
	defer blob.Close()
	d.net.SetInput(blob, "")
	out := d.net.Forward("")
	defer out.Close()
	if out.Total() != d.width*d.height {
		return nil, fmt.Errorf("alpr: detector gave %d values for a %d×%d input", out.Total(), d.width, d.height)
	}
	prob := out.Reshape(1, d.height)
	defer prob.Close()
	return dbBoxes(prob, image.Rect(0, 0, sw, sh), area.Min, 1/scale), nil
}

// dbBoxes turns the probability map into candidates in frame pixels:
// threshold, contours, minimum-area rectangles scored by their mean
// probability, then grown ("unclipped") as the DB method prescribes.
func dbBoxes(prob gocv.Mat, valid image.Rectangle, origin image.Point, scale float64) []Candidate {
	bin := gocv.NewMat()
	defer bin.Close()
	gocv.Threshold(prob, &bin, dbBinThresh, 255, gocv.ThresholdBinary)
	bin8 := gocv.NewMat()
	defer bin8.Close()
	bin.ConvertTo(&bin8, gocv.MatTypeCV8U)
	contours := gocv.FindContours(bin8, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	defer contours.Close()

	var out []Candidate
	for i := 0; i < contours.Size() && i < dbMaxContour; i++ {
		c := contours.At(i)
		if c.Size() < 4 {
			continue
		}
		rr := gocv.MinAreaRect(c)
		if min(rr.Width, rr.Height) < dbMinSidePx || len(rr.Points) != 4 {
			continue
		}
		br := rr.BoundingRect.Intersect(valid)
		if br.Empty() {
			continue
		}
		score := boxScore(prob, br, c)
		if score < dbBoxThresh {
			continue
		}
		q := unclip([4]image.Point(rr.Points), dbUnclip)
		for k := range q {
			q[k] = image.Pt(origin.X+int(math.Round(float64(q[k].X)*scale)),
				origin.Y+int(math.Round(float64(q[k].Y)*scale)))
		}
		out = append(out, Candidate{Quad: orderQuad(q), Score: score, Source: "db"})
	}
	return out
}

// unclip grows a rectangle given by its corners (in order around it) by
// area*ratio/perimeter on every side.
func unclip(p [4]image.Point, ratio float64) [4]image.Point {
	w := dist(p[0], p[1])
	h := dist(p[1], p[2])
	if w == 0 || h == 0 {
		return p
	}
	d := w * h * ratio / (2 * (w + h))
	// Unit vectors along the two edges.
	ux, uy := float64(p[1].X-p[0].X)/w, float64(p[1].Y-p[0].Y)/w
	vx, vy := float64(p[2].X-p[1].X)/h, float64(p[2].Y-p[1].Y)/h
	signs := [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}
	var q [4]image.Point
	for i, s := range signs {
		q[i] = image.Pt(int(math.Round(float64(p[i].X)+d*(s[0]*ux+s[1]*vx))),
			int(math.Round(float64(p[i].Y)+d*(s[0]*uy+s[1]*vy))))
	}
	return q
}

// boxScore is the mean probability inside a contour (PaddleOCR's "fast"
// score uses the bounding box, which dilutes tilted text lines).
func boxScore(prob gocv.Mat, br image.Rectangle, contour gocv.PointVector) float64 {
	mask := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), br.Dy(), br.Dx(), gocv.MatTypeCV8U)
	defer mask.Close()
	pts := contour.ToPoints()
	for i := range pts {
		pts[i] = pts[i].Sub(br.Min)
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	defer pv.Close()
	gocv.FillPoly(&mask, pv, color.RGBA{255, 255, 255, 0})
	roi := prob.Region(br)
	defer roi.Close()
	return roi.MeanWithMask(mask).Val1
}
