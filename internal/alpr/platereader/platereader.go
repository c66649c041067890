// Package platereader reads the characters of plate crops with the plate
// reader trained by scripts/train/reader.py: a small convolutional CTC
// recogniser that sees one crop stretched to InputWidth x InputHeight and
// scores, for each of Steps columns, the CTC blank and the plate symbols
// 0-9, A-Z. It runs in OpenCV's DNN module, a batch of crops per call; the
// decoding is best path with per-position alternatives, which the format
// packs of internal/alpr/plate weigh against the region's layouts.
package platereader

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"sync"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// File is the reader's file name in the models folder.
const File = "plate-reader.onnx"

// The network's input and output.
const (
	InputWidth  = 128
	InputHeight = 32
	Steps       = InputWidth / 4
	// Symbols are the plate symbols in class order: class k+1 is
	// Symbols[k], class 0 the CTC blank.
	Symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	classes = len(Symbols) + 1
)

// Margin is how much a crop for the reader grows a detector's box on each
// side, as a share of the box's width (X) and height (Y).
type Margin struct{ X, Y float64 }

// Trained is the margin the reader was trained with (reader.py: MARGIN_X,
// MARGIN_Y): the box may cut an edge character; too wide a margin lets in
// the text around the plate.
var Trained = Margin{X: 0.06, Y: 0.12}

// Alternatives kept per position.
const (
	maxAlts = 4    // at most
	minAltP = 0.01 // less likely ones are dropped
)

// MaxBatch is the number of crops read in one network run at most; more
// are read in several.
const MaxBatch = 16

// Reader is the plate reader network. It is safe for concurrent use: calls
// take turns on the network.
type Reader struct {
	mu  sync.Mutex
	net gocv.Net
}

// New loads the reader from path.
func New(path string) (*Reader, error) {
	net := gocv.ReadNetFromONNX(path)
	if net.Empty() {
		net.Close()
		return nil, fmt.Errorf("platereader: cannot load %q", path)
	}
	r := &Reader{net: net}
	// A network of another shape (an older model, another input size) is
	// refused now rather than misread later.
	blank := gocv.NewMatWithSize(InputHeight, InputWidth, gocv.MatTypeCV8UC3)
	defer blank.Close()
	if _, err := r.Read(blank, []image.Rectangle{image.Rect(0, 0, InputWidth, InputHeight)}); err != nil {
		r.Close()
		return nil, fmt.Errorf("platereader: %q is not a plate reader of this agent: %w", path, err)
	}
	return r, nil
}

// Close frees the network.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.net.Close()
}

// Area is the part of the frame the reader reads for a plate boxed by box:
// the box grown by m, inside frame.
func (m Margin) Area(box, frame image.Rectangle) image.Rectangle {
	mx := int(math.Round(m.X * float64(box.Dx())))
	my := int(math.Round(m.Y * float64(box.Dy())))
	return image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).Intersect(frame)
}

// Read reads the plates at areas of img (8-bit BGR; see Margin.Area) and
// returns, for each, its character positions with their alternatives.
func (r *Reader) Read(img gocv.Mat, areas []image.Rectangle) ([][]plate.Char, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("platereader: Read needs a non-empty 8-bit BGR image")
	}
	out := make([][]plate.Char, 0, len(areas))
	for start := 0; start < len(areas); start += MaxBatch {
		chars, err := r.read(img, areas[start:min(len(areas), start+MaxBatch)])
		if err != nil {
			return nil, err
		}
		out = append(out, chars...)
	}
	return out, nil
}

func (r *Reader) read(img gocv.Mat, areas []image.Rectangle) ([][]plate.Char, error) {
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	crops := make([]gocv.Mat, len(areas))
	defer func() {
		for _, c := range crops {
			c.Close()
		}
	}()
	for i, a := range areas {
		a = a.Intersect(frame)
		crops[i] = gocv.NewMat()
		if a.Dx() < 2 || a.Dy() < 2 {
			crops[i].Close()
			crops[i] = gocv.NewMatWithSize(InputHeight, InputWidth, gocv.MatTypeCV8UC3)
			continue
		}
		src := img.Region(a)
		interp := gocv.InterpolationLinear
		if a.Dx() > InputWidth {
			interp = gocv.InterpolationArea
		}
		gocv.Resize(src, &crops[i], image.Pt(InputWidth, InputHeight), 0, 0, interp)
		src.Close()
	}
	blob := gocv.NewMat()
	defer blob.Close()
	gocv.BlobFromImages(crops, &blob, 1.0/127.5, image.Pt(InputWidth, InputHeight),
		gocv.NewScalar(127.5, 127.5, 127.5, 0), false, false, gocv.MatTypeCV32F)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.net.SetInput(blob, "")
	out := r.net.Forward("")
	defer out.Close()
	per := classes * Steps
	if out.Total() != len(areas)*per {
		return nil, fmt.Errorf("platereader: output of %d values for %d crops, want %d each", out.Total(), len(areas), per)
	}
	v, err := out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("platereader: output: %w", err)
	}
	res := make([][]plate.Char, len(areas))
	for i := range areas {
		res[i] = Decode(v[i*per : (i+1)*per])
	}
	return res, nil
}

// Decode turns one crop's output (classes x Steps probabilities, class
// major) into character positions: per step, the likeliest class; runs of
// one symbol merged; blanks dropped. A position's alternatives are the
// symbols' probabilities at the step of its run where its symbol was most
// likely, best first.
func Decode(p []float32) []plate.Char {
	var (
		out   []plate.Char
		prev  = 0 // class of the previous step; 0 is blank
		bestP float32
		bestT int
	)
	flush := func() {
		if prev > 0 {
			out = append(out, plate.Char{Alts: alternatives(p, bestT)})
		}
	}
	for t := 0; t < Steps; t++ {
		cls, pv := 0, p[t]
		for c := 1; c < classes; c++ {
			if q := p[c*Steps+t]; q > pv {
				cls, pv = c, q
			}
		}
		if cls == prev {
			if cls > 0 && pv > bestP {
				bestP, bestT = pv, t
			}
			continue
		}
		flush()
		prev, bestP, bestT = cls, pv, t
	}
	flush()
	return out
}

// alternatives lists the likely symbols at step t, best first.
func alternatives(p []float32, t int) []plate.Alt {
	alts := make([]plate.Alt, 0, maxAlts)
	for c := 1; c < classes; c++ {
		if q := float64(p[c*Steps+t]); q >= minAltP {
			alts = append(alts, plate.Alt{R: rune(Symbols[c-1]), P: q})
		}
	}
	sort.Slice(alts, func(i, j int) bool { return alts[i].P > alts[j].P })
	if len(alts) > maxAlts {
		alts = alts[:maxAlts]
	}
	return alts
}
