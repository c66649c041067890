// Package motion tells whether a camera frame differs from the recent scene,
// and where, so that the capture stage can keep still scenes away from the
// ALPR engine and the engine can restrict detection to the changed areas.
//
// The algorithm follows frigate's improved motion detector: the frame is
// downscaled, turned to gray and blurred, compared with a running average of
// the scene, thresholded, dilated, and the outlines of what changed are kept
// when they are large enough. A sudden change of most of the picture (lights
// switched on, the vehicle driving off) switches the detector into a fast
// recalibration until the scene settles again.
package motion

import (
	"image"

	"gocv.io/x/gocv"
)

// Detector finds motion in a stream of frames of one camera.
type Detector interface {
	// Detect compares frame (BGR, BGRA or gray, any size) with the scene seen
	// so far. It reports whether something moved and the bounding boxes of
	// the changed areas in frame pixels. The first frame after New or Reset
	// becomes the scene and reports no motion. Detect does not keep frame.
	Detect(frame gocv.Mat) (moving bool, regions []image.Rectangle)
	// Reset forgets the scene, e.g. after the camera was reopened.
	Reset()
	// Close frees the detector's buffers; the detector is unusable after.
	Close() error
}
