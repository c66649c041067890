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
	"image/color"
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

// Crop is a part of a frame to read: Area, or, when Roll is not 0, a plate
// turned Roll degrees (clockwise, its right end lower) whose axis-aligned
// box is Area: the plate's own rectangle, grown by Trained and turned
// level, is read.
type Crop struct {
	Area image.Rectangle
	Roll float64
}

// Read reads the plates at areas of img (8-bit BGR; see Margin.Area) and
// returns, for each, its character positions with their alternatives.
func (r *Reader) Read(img gocv.Mat, areas []image.Rectangle) ([][]plate.Char, error) {
	crops := make([]Crop, len(areas))
	for i, a := range areas {
		crops[i] = Crop{Area: a}
	}
	return r.ReadCrops(img, crops)
}

// ReadCrops reads the plates of crops of img (8-bit BGR), as Read does.
//
// Each crop is read in a network run of its own. OpenCV 4.6's DNN module
// sets every layer up anew, allocating its buffers, whenever the input's
// shape changes: with batches of as many crops as a frame had boxes, the
// batch size changed from run to run, and each change cost 1.7-2 ms. And a
// batch reads no faster per crop than one crop alone: 3.0 ms a crop alone,
// 3.3-4.2 ms a crop in batches of 2 to 16 (2 cores, a slow day).
func (r *Reader) ReadCrops(img gocv.Mat, crops []Crop) ([][]plate.Char, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("platereader: Read needs a non-empty 8-bit BGR image")
	}
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	out := make([][]plate.Char, len(crops))
	for i, c := range crops {
		chars, err := r.read(img, c, frame)
		if err != nil {
			return nil, err
		}
		out[i] = chars
	}
	return out, nil
}

// read reads the plate of one crop of img.
func (r *Reader) read(img gocv.Mat, c Crop, frame image.Rectangle) ([]plate.Char, error) {
	in := cut(img, c, frame)
	defer in.Close()
	blob := gocv.BlobFromImage(in, 1.0/127.5, image.Pt(InputWidth, InputHeight),
		gocv.NewScalar(127.5, 127.5, 127.5, 0), false, false)
	defer blob.Close()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.net.SetInput(blob, "")
	out := r.net.Forward("")
	defer out.Close()
	if n := classes * Steps; out.Total() != n {
		return nil, fmt.Errorf("platereader: output of %d values, want %d", out.Total(), n)
	}
	v, err := out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("platereader: output: %w", err)
	}
	return Decode(v), nil
}

// cut is the network's input for c: InputWidth x InputHeight BGR.
func cut(img gocv.Mat, c Crop, frame image.Rectangle) gocv.Mat {
	a := c.Area.Intersect(frame)
	if a.Dx() < 2 || a.Dy() < 2 {
		return gocv.NewMatWithSize(InputHeight, InputWidth, gocv.MatTypeCV8UC3)
	}
	out := gocv.NewMat()
	if c.Roll != 0 {
		if m, ok := levelled(c); ok {
			defer m.Close()
			gocv.WarpAffineWithParams(img, &out, m, image.Pt(InputWidth, InputHeight),
				gocv.InterpolationLinear|gocv.WarpInverseMap, gocv.BorderReplicate, color.RGBA{})
			return out
		}
	}
	src := img.Region(a)
	defer src.Close()
	interp := gocv.InterpolationLinear
	switch {
	case a.Dx() > InputWidth:
		interp = gocv.InterpolationArea
	case a.Dx() <= InputWidth/sharpUpscale:
		interp = gocv.InterpolationCubic
	}
	gocv.Resize(src, &out, image.Pt(InputWidth, InputHeight), 0, 0, interp)
	return out
}

// sharpUpscale: a crop blown up this many times or more (a far plate, at
// most 64 px wide) is blown up bicubically, though the reader was trained
// on crops blown up bilinearly (reader.py: to_input); less blown up, it is
// blown up bilinearly. Its sharper edges read more far plates: through the
// whole engine, the synthetic far street sets (us_street.py --far) 132 of
// 180 plates at 720p against 128, 115 against 114 at 1080p; the other
// street sets, EU, BR and the US crops the same plates but one more turned
// and one fewer at night. Every crop blown up bicubically read 6 more far
// plates but 2 fewer turned ones, and a rendered plate turned 10 degrees
// lost its first character (TestRecognizeReadsRolledPlates).
const sharpUpscale = 2

// maxLevelRoll is the largest roll, in degrees, a crop is levelled for.
const maxLevelRoll = 30

// levelled is the affine map from the network's input to the frame for a
// crop of a turned plate: the plate's rectangle (w x h, turned by Roll,
// whose bounding box is Area) grown by Trained, turned level. Not ok when
// the roll is over maxLevelRoll or no plate-like rectangle turned by it
// fits Area (a box too flat for the roll).
func levelled(c Crop) (gocv.Mat, bool) {
	// W = w cos + h |sin|, H = w |sin| + h cos, solved for w and h; the
	// solution is ill-conditioned towards 45 degrees, so a roll over
	// maxLevelRoll is not levelled.
	if math.Abs(c.Roll) > maxLevelRoll {
		return gocv.Mat{}, false
	}
	sin, cos := math.Sincos(c.Roll * math.Pi / 180)
	as := math.Abs(sin)
	W, H := float64(c.Area.Dx()), float64(c.Area.Dy())
	d := cos*cos - as*as
	w, h := (W*cos-H*as)/d, (H*cos-W*as)/d
	if w <= 0 || h <= 0 || h < 0.15*w {
		return gocv.Mat{}, false
	}
	sx := w * (1 + 2*Trained.X) / InputWidth
	sy := h * (1 + 2*Trained.Y) / InputHeight
	cx := float64(c.Area.Min.X+c.Area.Max.X) / 2
	cy := float64(c.Area.Min.Y+c.Area.Max.Y) / 2
	// (u, v) of the input -> (x, y) of the frame: the centre, plus the
	// input's offset from its centre scaled and turned by Roll.
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	m.SetDoubleAt(0, 0, cos*sx)
	m.SetDoubleAt(0, 1, -sin*sy)
	m.SetDoubleAt(0, 2, cx-cos*sx*InputWidth/2+sin*sy*InputHeight/2)
	m.SetDoubleAt(1, 0, sin*sx)
	m.SetDoubleAt(1, 1, cos*sy)
	m.SetDoubleAt(1, 2, cy-sin*sx*InputWidth/2-cos*sy*InputHeight/2)
	return m, true
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
