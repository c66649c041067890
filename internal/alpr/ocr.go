package alpr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"sync"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// recHeight is the recogniser's input height in pixels.
const recHeight = 48

// OCR reads the characters of one text line with the PP-OCRv4 recogniser.
// An OCR is safe for concurrent use: calls take turns on its network, whose
// output is only valid until its next run.
type OCR struct {
	mu       sync.Mutex
	net      gocv.Net
	alphabet *Alphabet
	width    int // input width in pixels, fixed by the patched model
	canvas   gocv.Mat
}

// NewOCR loads the recogniser from path. width must be the input width the
// model was patched for (the MANIFEST's rec_width): OpenCV aborts the
// process when the input does not match a patched model.
func NewOCR(path string, alphabet *Alphabet, width int) (*OCR, error) {
	if width%8 != 0 || width < 64 {
		return nil, fmt.Errorf("alpr: recogniser width %d is not a multiple of 8 of at least 64", width)
	}
	net := gocv.ReadNetFromONNX(path)
	if net.Empty() {
		net.Close()
		return nil, fmt.Errorf("alpr: cannot load recogniser %q", path)
	}
	o := &OCR{
		net:      net,
		alphabet: alphabet,
		width:    width,
		canvas:   gocv.NewMatWithSizeFromScalar(gocv.NewScalar(127, 127, 127, 0), recHeight, width, gocv.MatTypeCV8UC3),
	}
	return o, nil
}

// Close frees the network.
func (o *OCR) Close() error {
	o.canvas.Close()
	return o.net.Close()
}

// Steps is the number of CTC steps per read.
func (o *OCR) Steps() int { return o.width / 8 }

// Read recognises one BGR text-line crop. The crop is scaled to the model's
// height and stretched horizontally by up to stretch (≥ 1), as far as the
// input width allows (squeezed when wider than the input), and padded on the
// right with grey: the network always sees one input size, since OpenCV 4.6
// returns zeros when a loaded network's input size changes.
func (o *OCR) Read(crop gocv.Mat, stretch float64) ([]plate.Char, error) {
	if crop.Empty() || crop.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("alpr: OCR needs a non-empty 8-bit BGR crop")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	w := (crop.Cols()*recHeight + crop.Rows()/2) / crop.Rows()
	w = min(int(float64(max(w, 8))*max(stretch, 1)), o.width)
	o.canvas.SetTo(gocv.NewScalar(127, 127, 127, 0))
	roi := o.canvas.Region(image.Rect(0, 0, w, recHeight))
	gocv.Resize(crop, &roi, image.Pt(w, recHeight), 0, 0, gocv.InterpolationLinear)
	roi.Close()

	blob := gocv.BlobFromImage(o.canvas, 1.0/127.5, image.Pt(o.width, recHeight),
		gocv.NewScalar(127.5, 127.5, 127.5, 0), false, false)
	defer blob.Close()
	o.net.SetInput(blob, "")
	out := o.net.Forward("")
	defer out.Close()
	probs, err := out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("alpr: recogniser output: %w", err)
	}
	steps := len(probs) / o.alphabet.Classes()
	if steps != o.Steps() {
		return nil, fmt.Errorf("alpr: recogniser gave %d values, want %d steps of %d classes",
			len(probs), o.Steps(), o.alphabet.Classes())
	}
	return o.alphabet.Decode(probs, steps)
}

// grey is the padding colour of crops.
var grey = color.RGBA{127, 127, 127, 0}
