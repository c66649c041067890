package synth

import (
	"image"
	"math"
	"time"
)

// camera is one photo's camera move: a zoom and a pan towards the plate,
// eased in and out.
type camera struct {
	W, H    int     // frame size
	IW, IH  int     // image size
	Plate   vec     // plate centre in the image
	PlateW  float64 // plate width in the image
	ZoomIn  bool    // zoom in towards the plate, else start close and pull back
	ZoomMax float64 // zoom at the close end, ≥ 1 (1 = the whole image letterboxed)
	Toward  float64 // 0..1: how far the view centre moves towards the plate
}

// newCamera draws a camera move for a photo.
func newCamera(r *rng, w, h, iw, ih int, box image.Rectangle) camera {
	c := camera{W: w, H: h, IW: iw, IH: ih, ZoomIn: r.float() < 0.7, Toward: r.between(0.6, 0.9)}
	c.Plate = vec{float64(box.Min.X+box.Max.X) / 2, float64(box.Min.Y+box.Max.Y) / 2}
	c.PlateW = float64(box.Dx())
	// Never zoom the plate wider than 40% of the frame.
	limit := 0.4 * float64(w) / (c.fit() * c.PlateW)
	c.ZoomMax = math.Max(1, math.Min(r.between(1.25, 1.6), limit))
	return c
}

// fit is the scale that letterboxes the whole image into the frame.
func (c camera) fit() float64 {
	return math.Min(float64(c.W)/float64(c.IW), float64(c.H)/float64(c.IH))
}

// at returns, for t in [0, 1], the scale from image to frame pixels and the
// image point shown at the frame centre.
func (c camera) at(t float64) (k float64, centre vec) {
	e := smoothstep(t)
	if !c.ZoomIn {
		e = 1 - e
	}
	k = c.fit() * (1 + (c.ZoomMax-1)*e)
	mid := vec{float64(c.IW) / 2, float64(c.IH) / 2}
	centre = vec{mid.X + (c.Plate.X-mid.X)*c.Toward*e, mid.Y + (c.Plate.Y-mid.Y)*c.Toward*e}
	// Keep the view inside the image along each axis that the view does not
	// already cover wholly.
	clamp := func(v, half, size float64) float64 {
		if 2*half >= size {
			return size / 2
		}
		return math.Max(half, math.Min(size-half, v))
	}
	centre.X = clamp(centre.X, float64(c.W)/(2*k), float64(c.IW))
	centre.Y = clamp(centre.Y, float64(c.H)/(2*k), float64(c.IH))
	return k, centre
}

// toFrame returns the transform from image to frame pixels at t.
func (c camera) toFrame(t float64) homography {
	k, ctr := c.at(t)
	return translation(-ctr.X, -ctr.Y).then(scaling(k, k)).then(translation(float64(c.W)/2, float64(c.H)/2))
}

// DefaultPhotoGap is the black between two photos of a photo video: longer
// than the agent's default alpr.track_timeout (1.5 s), so that each photo is
// a vehicle pass of its own. Two photos of one car (the datasets hold such
// pairs) shown closer together are one pass to any tracker: a plate that
// reappears where it was before the track timed out is the same vehicle.
const DefaultPhotoGap = 1600 * time.Millisecond

// photoTiming is the layout of a photo video: each photo is on screen for
// Frames frames, fading in and out over Fade frames, with Gap black frames
// before it and after the last one.
type photoTiming struct {
	Frames, Fade, Gap int
}

func newPhotoTiming(fps, secondsPerPhoto, gapSeconds float64) photoTiming {
	return photoTiming{
		Frames: int(math.Round(fps * secondsPerPhoto)),
		Fade:   max(1, int(math.Round(fps*0.2))),
		Gap:    max(1, int(math.Round(fps*gapSeconds))),
	}
}

// first returns the first frame of photo i.
func (pt photoTiming) first(i int) int { return pt.Gap + i*(pt.Frames+pt.Gap) }

// total returns the frame count of a video of n photos.
func (pt photoTiming) total(n int) int { return pt.first(n) }

// alpha returns the brightness of the j-th frame of a photo, 0..1.
func (pt photoTiming) alpha(j int) float64 {
	return math.Min(1, math.Min(float64(j+1)/float64(pt.Fade+1), float64(pt.Frames-j)/float64(pt.Fade+1)))
}
