// Package alpr reads licence plates in video frames and photos, in three
// steps: the plate detector (internal/alpr/platedet) boxes the plates of the
// whole frame in one pass, the plate reader (internal/alpr/platereader)
// reads the characters of each box from the full-resolution frame, and the
// region's format pack (internal/alpr/plate) turns them into ranked
// readings and decides which text is a plate. The search of one frame is a
// value of its own (search); the engine only pools the networks.
//
// Both networks are trained in this repository (scripts/train, see
// assets/models/README.md) and run in OpenCV's DNN module; `make models`
// installs them into the folder alpr.models_dir.
package alpr

import (
	"image"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Recognizer reads the plates in a frame.
type Recognizer interface {
	// Recognize returns the plates found in img (8-bit BGR), best first.
	// expected, when not empty, are the boxes where plates read in earlier
	// frames should be now (a tracker's passes not confirmed yet): each one
	// the whole-frame pass did not find is looked at closer.
	Recognize(img gocv.Mat, expected []image.Rectangle) ([]Plate, error)
	// Close frees the models.
	Close() error
}

// Plate is one plate read in a frame.
type Plate struct {
	Text      string    // best reading, A–Z and 0–9 only
	Conf      float64   // 0..1
	CharConfs []float64 // one per character of Text
	// Box is the plate's box in frame pixels, as the detector found it.
	Box image.Rectangle
	// Score is the detector's confidence that Box holds a plate, 0..1.
	Score float64
	// Region and Format name the format pack and the layout the reading
	// matched ("" when none did).
	Region, Format string
	// Layout is true when the reading fits one of the region's plate
	// layouts, not only its catch-all (see plate.Reading.Layout). It is
	// true unless Options.AllowFreeText, or the detector is sure of the
	// plate (Tuning.SurePlate), which makes it a plate whatever its text.
	Layout bool
	// Candidates are the top-N readings, best first; Candidates[0] gives
	// Text and Conf.
	Candidates []plate.Reading
	// Sharpness is the variance of the Laplacian of the plate crop: higher is
	// sharper. A tracker uses it to keep the best frame of a pass.
	Sharpness float64
}
