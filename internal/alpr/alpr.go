// Package alpr reads licence plates in video frames and photos: a text
// detector proposes plate text lines, a rectifier cuts them out flat, the
// PP-OCRv4 recogniser reads them (CTC decoding restricted to A–Z, 0–9, with
// per-position alternatives), and the region's format pack
// (internal/alpr/plate) turns the characters into ranked readings.
//
// The models are PaddleOCR's PP-OCRv4 detector and recogniser, patched for
// OpenCV 4.6 by scripts/models.sh into the folder alpr.models_dir.
package alpr

import (
	"image"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Recognizer reads the plates in a frame.
type Recognizer interface {
	// Recognize returns the plates found in img (8-bit BGR), best first.
	// regions, when not empty, restricts the search to those parts of the
	// frame (motion regions); nil searches the whole frame.
	Recognize(img gocv.Mat, regions []image.Rectangle) ([]Plate, error)
	// Close frees the models.
	Close() error
}

// Plate is one plate read in a frame.
type Plate struct {
	Text      string    // best reading, A–Z and 0–9 only
	Conf      float64   // 0..1
	CharConfs []float64 // one per character of Text
	// Box is the axis-aligned box of the plate's text in frame pixels, and
	// Quad its corners (top-left, top-right, bottom-right, bottom-left).
	Box  image.Rectangle
	Quad [4]image.Point
	// Region and Format name the format pack and the layout the reading
	// matched ("" when none did).
	Region, Format string
	// Layout is true when the reading fits one of the region's plate
	// layouts, not only its catch-all (see plate.Reading.Layout). It is
	// always true unless Options.AllowFreeText, or the line carries the EU
	// country strip (region eu), which makes it a plate whatever its text.
	Layout bool
	// Candidates are the top-N readings, best first; Candidates[0] gives
	// Text and Conf.
	Candidates []plate.Reading
	// Sharpness is the variance of the Laplacian of the plate crop: higher is
	// sharper. A tracker uses it to keep the best frame of a pass.
	Sharpness float64

	// lookalikeDigits: every digit of Text stands for a letter the OCR
	// read there (PIZZA read as P1ZZA to fit a layout): a word, more likely
	// than a plate.
	lookalikeDigits bool
}
