package motion

import (
	"errors"
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/config"
)

// Tunables of the algorithm that are not in the configuration; the values
// are frigate's defaults.
const (
	// frameAlpha is the weight of a new frame in the scene average.
	frameAlpha = 0.01
	// calibrationAlpha replaces frameAlpha while the detector recalibrates.
	calibrationAlpha = 0.2
	// lightningShare is the share of the picture whose change makes the
	// detector recalibrate.
	lightningShare = 0.8
	// settledShare and settledRegions: below both, recalibration is over.
	settledShare   = 0.05
	settledRegions = 4
	// persistFrames is how many frames in a row must move before they are
	// blended into the average, so a passing object leaves no ghost while a
	// parked one slowly becomes scene.
	persistFrames = 10
)

// Improved is frigate's improved motion detector ported to gocv. It is not
// safe for concurrent use; each camera has its own.
type Improved struct {
	width     int     // width of the compared frame
	threshold float32 // pixel difference that counts as change
	minArea   float64 // share of the compared frame an area must cover

	// Buffers reused from frame to frame.
	small, gray, blurred, avg, avg8, delta, thresh, dilated, kernel gocv.Mat

	full        image.Point // size of the frames the average was built from
	calibrating bool
	movingRun   int // frames in a row with motion
}

// NewImproved returns a detector for cfg. cfg.Enabled is not looked at:
// whether to gate at all is the caller's decision.
func NewImproved(cfg config.Motion) (*Improved, error) {
	switch {
	case cfg.Width < 8:
		return nil, fmt.Errorf("motion: 'width' must be at least 8 px, got %d", cfg.Width)
	case cfg.Threshold < 1 || cfg.Threshold > 255:
		return nil, fmt.Errorf("motion: 'threshold' must be within 1..255, got %d", cfg.Threshold)
	case cfg.MinArea < 0 || cfg.MinArea > 1 || math.IsNaN(cfg.MinArea):
		return nil, fmt.Errorf("motion: 'min_area' must be within 0..1, got %g", cfg.MinArea)
	}
	return &Improved{
		width:     cfg.Width,
		threshold: float32(cfg.Threshold),
		minArea:   cfg.MinArea,
		small:     gocv.NewMat(),
		gray:      gocv.NewMat(),
		blurred:   gocv.NewMat(),
		avg:       gocv.NewMat(),
		avg8:      gocv.NewMat(),
		delta:     gocv.NewMat(),
		thresh:    gocv.NewMat(),
		dilated:   gocv.NewMat(),
		kernel:    gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3)),
	}, nil
}

// Detect implements Detector.
func (d *Improved) Detect(frame gocv.Mat) (bool, []image.Rectangle) {
	if frame.Empty() {
		return false, nil
	}
	full := image.Pt(frame.Cols(), frame.Rows())
	if full != d.full {
		d.Reset()
		d.full = full
	}
	d.prepare(frame)
	if d.avg.Empty() {
		d.blurred.ConvertTo(&d.avg, gocv.MatTypeCV32F)
		return false, nil
	}

	gocv.ConvertScaleAbs(d.avg, &d.avg8, 1, 0)
	gocv.AbsDiff(d.blurred, d.avg8, &d.delta)
	gocv.Threshold(d.delta, &d.thresh, d.threshold, 255, gocv.ThresholdBinary)
	gocv.Dilate(d.thresh, &d.dilated, d.kernel)
	regions, changed := d.outline()

	if changed < settledShare && len(regions) <= settledRegions {
		d.calibrating = false
	}
	if changed > lightningShare {
		d.calibrating = true
	}
	alpha := frameAlpha
	if d.calibrating {
		alpha = calibrationAlpha
	}
	if len(regions) > 0 {
		d.movingRun++
		if d.movingRun >= persistFrames {
			gocv.AccumulatedWeighted(d.blurred, &d.avg, alpha)
		}
	} else {
		d.movingRun = 0
		gocv.AccumulatedWeighted(d.blurred, &d.avg, alpha)
	}
	return len(regions) > 0, regions
}

// prepare leaves the downscaled, gray, blurred frame in d.blurred.
func (d *Improved) prepare(frame gocv.Mat) {
	w := min(d.width, frame.Cols())
	h := max(1, int(math.Round(float64(w)*float64(frame.Rows())/float64(frame.Cols()))))
	// Nearest neighbour is the cheapest; the blur below evens out its noise.
	gocv.Resize(frame, &d.small, image.Pt(w, h), 0, 0, gocv.InterpolationNearestNeighbor)
	switch d.small.Channels() {
	case 3:
		gocv.CvtColor(d.small, &d.gray, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(d.small, &d.gray, gocv.ColorBGRAToGray)
	default:
		d.small.CopyTo(&d.gray)
	}
	gocv.GaussianBlur(d.gray, &d.blurred, image.Pt(3, 3), 1, 1, gocv.BorderDefault)
}

// outline returns the changed areas of d.dilated that are large enough, in
// full-frame pixels, and the share of the compared frame that changed.
func (d *Improved) outline() ([]image.Rectangle, float64) {
	contours := gocv.FindContours(d.dilated, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	defer contours.Close()

	w, h := d.dilated.Cols(), d.dilated.Rows()
	area := float64(w * h)
	fx := float64(d.full.X) / float64(w)
	fy := float64(d.full.Y) / float64(h)
	bounds := image.Rectangle{Max: d.full}

	var regions []image.Rectangle
	total := 0.0
	for i := range contours.Size() {
		c := contours.At(i)
		a := gocv.ContourArea(c)
		total += a
		if a == 0 || a < d.minArea*area {
			continue
		}
		r := gocv.BoundingRect(c)
		regions = append(regions, image.Rect(
			int(math.Floor(float64(r.Min.X)*fx)), int(math.Floor(float64(r.Min.Y)*fy)),
			int(math.Ceil(float64(r.Max.X)*fx)), int(math.Ceil(float64(r.Max.Y)*fy)),
		).Intersect(bounds))
	}
	return regions, total / area
}

// Reset implements Detector.
func (d *Improved) Reset() {
	if !d.avg.Empty() {
		d.avg.Close()
		d.avg = gocv.NewMat()
	}
	d.full = image.Point{}
	d.calibrating = false
	d.movingRun = 0
}

// Close implements Detector.
func (d *Improved) Close() error {
	var errs []error
	for _, m := range []*gocv.Mat{&d.small, &d.gray, &d.blurred, &d.avg, &d.avg8, &d.delta, &d.thresh, &d.dilated, &d.kernel} {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
