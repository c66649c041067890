// Package platedet finds licence plates in a frame with the plate detector
// trained by scripts/train/detector.py: a small fully convolutional network
// that sees a whole frame once, scaled so that its longer side is at most
// Options.Width pixels, and answers on a grid of stride 4 how likely a
// plate's centre is in each cell and the plate's box. It runs in OpenCV's
// DNN module; the decoding here is the one the training script validates
// with (detector.py: decode).
package platedet

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sort"
	"sync"

	"gocv.io/x/gocv"
)

// File is the detector's file name in the models folder.
const File = "plate-detector.onnx"

// stride is the network's output stride: one cell per 4x4 input pixels.
const stride = 4

// maps is the number of output maps: centre probability, centre offset x
// and y within the cell, log width and log height in cells.
const maps = 5

// linearFrom is the least scale at which a frame is shrunk for the network
// by bilinear interpolation, as training shrinks its scenes (detector.py:
// Scenes.sample warps them bilinearly from 0.6 up, and averages pixels
// first below that). Pixel averaging (InterpolationArea) at 0.75, a
// 1280x720 frame's scale, is OpenCV's slow general path: 2.0 ms against
// 0.4 ms bilinear on two cores, at 0.5 (1920x1080) its fast one. The
// script's validation (detector.py: prepare) still averages at any scale;
// on dashcam-ro's 1280x720 frames both find the same plates.
const linearFrom = 0.6

// Defaults of Options.
const (
	// DefaultWidth shows a 1920x1080 frame at half its size and a 1280x720
	// one at three quarters: a 30 px plate of a 1080p frame reaches the
	// network 15 px wide, the smallest it was trained to find (10 px) with
	// some room, at about 30 ms a frame on two cores (BenchmarkRecognize).
	DefaultWidth = 960
	// DefaultMinScore is the centre probability a plate must reach. On the
	// held-out dashcam video it keeps every labelled plate; the boxes it
	// also passes (about one a frame, most of them plates the set leaves
	// unlabelled) the reader and the format pack mostly turn into no read
	// (see assets/models/README.md).
	DefaultMinScore = 0.3
	// DefaultMaxPlates bounds the plates kept per call, best first.
	DefaultMaxPlates = 8
)

// nmsIoU: of two detections overlapping more than this, or the weaker with
// its centre inside the better, the weaker is dropped. Plates do not
// overlap; one plate found at two cells overlaps itself by far more, or is
// a part of itself.
const nmsIoU = 0.3

// Options configure a Detector. Zero values take the defaults.
type Options struct {
	// Width is the longer side of the network's input: an area larger than
	// that is scaled down to it, a smaller one is seen at its own size, or,
	// with Enlarge, scaled up to it (by MaxEnlarge at most).
	Width     int
	Enlarge   bool
	MinScore  float64
	MaxPlates int
}

// MaxEnlarge is the most an area is scaled up with Options.Enlarge: a plate
// shown larger than twice its pixels gains no detail.
const MaxEnlarge = 2.0

// Detection is a plate found in a frame.
type Detection struct {
	Box   image.Rectangle // in frame pixels
	Score float64         // centre probability, 0..1
}

// Detector is the plate detector network. It is safe for concurrent use:
// calls take turns on the network, whose output is only valid until its
// next run.
type Detector struct {
	opts Options
	mu   sync.Mutex
	net  gocv.Net
	// scaled is the area at the network's scale and blob the network's
	// input; both are kept from one call to the next and reallocated only
	// when the input size changes: made anew for every frame (6 MB of
	// floats for a 960x544 input, and as much again inside
	// gocv.BlobFromImage), they were mapped and faulted in a page at a
	// time under the agent's malloc settings (internal/cmalloc): 70% of
	// its page faults, some 9 ms of a 1280x720 frame's search.
	scaled gocv.Mat
	blob   gocv.Mat
}

// New loads the detector from path.
func New(path string, opts Options) (*Detector, error) {
	if opts.Width == 0 {
		opts.Width = DefaultWidth
	}
	if opts.MinScore == 0 {
		opts.MinScore = DefaultMinScore
	}
	if opts.MaxPlates == 0 {
		opts.MaxPlates = DefaultMaxPlates
	}
	if opts.Width < 128 || opts.Width > 4096 {
		return nil, fmt.Errorf("platedet: input width %d is outside 128..4096", opts.Width)
	}
	if opts.MinScore < 0 || opts.MinScore >= 1 {
		return nil, fmt.Errorf("platedet: minimum score %g is outside [0, 1)", opts.MinScore)
	}
	net := gocv.ReadNetFromONNX(path)
	if net.Empty() {
		net.Close()
		return nil, fmt.Errorf("platedet: cannot load %q", path)
	}
	d := &Detector{opts: opts, net: net, scaled: gocv.NewMat(), blob: gocv.NewMat()}
	// A network of another shape is refused now rather than misread later.
	blank := gocv.NewMatWithSize(64, 64, gocv.MatTypeCV8UC3)
	defer blank.Close()
	if _, err := d.Detect(blank, image.Rect(0, 0, 64, 64)); err != nil {
		d.Close()
		return nil, fmt.Errorf("platedet: %q is not a plate detector of this agent: %w", path, err)
	}
	return d, nil
}

// Close frees the network.
func (d *Detector) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.scaled.Close()
	d.blob.Close()
	return d.net.Close()
}

// Input returns the scale at which the detector sees an area and the size
// of its input: the area scaled so that its longer side is at most
// Options.Width (enlarged only with Options.Enlarge), padded to multiples
// of 32.
func (d *Detector) Input(area image.Rectangle) (scale float64, size image.Point) {
	scale = float64(d.opts.Width) / float64(max(area.Dx(), area.Dy()))
	if d.opts.Enlarge {
		scale = min(MaxEnlarge, scale)
	} else {
		scale = min(1, scale)
	}
	w := max(32, int(math.Round(float64(area.Dx())*scale)))
	h := max(32, int(math.Round(float64(area.Dy())*scale)))
	return scale, image.Pt((w+31)/32*32, (h+31)/32*32)
}

// Detect finds the plates inside area of img (8-bit BGR): the whole frame,
// or a window of it. Boxes are in img's pixels, best first.
func (d *Detector) Detect(img gocv.Mat, area image.Rectangle) ([]Detection, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("platedet: Detect needs a non-empty 8-bit BGR image")
	}
	area = area.Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if area.Dx() < 8 || area.Dy() < 8 {
		return nil, nil
	}
	scale, size := d.Input(area)
	sw := min(size.X, int(math.Round(float64(area.Dx())*scale)))
	sh := min(size.Y, int(math.Round(float64(area.Dy())*scale)))

	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.prepare(img.Region(area), image.Pt(sw, sh), scale, size); err != nil {
		return nil, err
	}
	d.net.SetInput(d.blob, "")
	out := d.net.Forward("")
	defer out.Close()
	gw, gh := size.X/stride, size.Y/stride
	if out.Total() != maps*gw*gh {
		return nil, fmt.Errorf("platedet: output of %d values for a %dx%d input, want %d", out.Total(), size.X, size.Y, maps*gw*gh)
	}
	v, err := out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("platedet: output: %w", err)
	}
	dets := decode(v, gw, gh, float32(d.opts.MinScore))
	valid := image.Rect(0, 0, sw, sh)
	out2 := make([]Detection, 0, len(dets))
	for _, c := range dets {
		if c.cx < float64(valid.Min.X) || c.cx >= float64(valid.Max.X) || c.cy < float64(valid.Min.Y) || c.cy >= float64(valid.Max.Y) {
			continue // a centre in the padding
		}
		b := image.Rect(
			area.Min.X+int(math.Floor((c.cx-c.w/2)/scale)), area.Min.Y+int(math.Floor((c.cy-c.h/2)/scale)),
			area.Min.X+int(math.Ceil((c.cx+c.w/2)/scale)), area.Min.Y+int(math.Ceil((c.cy+c.h/2)/scale)),
		).Intersect(area)
		if b.Empty() {
			continue
		}
		out2 = append(out2, Detection{Box: b, Score: float64(c.score)})
	}
	out2 = Suppress(out2)
	if len(out2) > d.opts.MaxPlates {
		out2 = out2[:d.opts.MaxPlates]
	}
	return out2, nil
}

// prepare makes the network's input of size from src, an area of a frame
// (closed here): src scaled to scaled (its size at scale), BGR / 255 in
// planes, zero in the padding right and below.
func (d *Detector) prepare(src gocv.Mat, scaled image.Point, scale float64, size image.Point) error {
	defer src.Close()
	switch {
	case scaled.X == src.Cols() && scaled.Y == src.Rows():
		src.CopyTo(&d.scaled)
	case scale >= linearFrom:
		gocv.Resize(src, &d.scaled, scaled, 0, 0, gocv.InterpolationLinear)
	default:
		gocv.Resize(src, &d.scaled, scaled, 0, 0, gocv.InterpolationArea)
	}
	if s := d.blob.Size(); len(s) != 4 || s[2] != size.Y || s[3] != size.X {
		d.blob.Close()
		d.blob = gocv.NewMatWithSizes([]int{1, 3, size.Y, size.X}, gocv.MatTypeCV32F)
	}
	px, err := d.scaled.DataPtrUint8()
	if err == nil && len(px) != 3*scaled.X*scaled.Y {
		err = fmt.Errorf("%d bytes for %dx%d BGR pixels", len(px), scaled.X, scaled.Y)
	}
	if err != nil {
		return fmt.Errorf("platedet: scaled frame: %w", err)
	}
	in, err := d.blob.DataPtrFloat32()
	if err != nil {
		return fmt.Errorf("platedet: input: %w", err)
	}
	planes(in, px, scaled, size)
	return nil
}

// toUnit scales an 8-bit value to [0, 1], as training does (detector.py:
// prepare divides by 255).
const toUnit = float32(1.0 / 255)

// planes writes img (BGR, 3 bytes a pixel, imgSize.X x imgSize.Y, rows one
// after the other) into in, the network's input of size: its blue, green and red
// planes one after the other, each value / 255, and zero where the input
// reaches past img. It is what gocv.BlobFromImage makes of the padded
// image, written into a buffer that is kept.
func planes(in []float32, img []uint8, imgSize, size image.Point) {
	n := size.X * size.Y
	b, g, r := in[:n], in[n:2*n], in[2*n:3*n]
	w := imgSize.X
	for y := 0; y < size.Y; y++ {
		row := y * size.X
		fill := row // where the padding starts in this row
		if y < imgSize.Y {
			src := img[y*w*3 : (y+1)*w*3]
			bb, gg, rr := b[row:row+w], g[row:row+w], r[row:row+w]
			for x := range bb {
				p := src[3*x : 3*x+3 : 3*x+3]
				bb[x] = float32(p[0]) * toUnit
				gg[x] = float32(p[1]) * toUnit
				rr[x] = float32(p[2]) * toUnit
			}
			fill += w
		}
		end := row + size.X
		clear(b[fill:end])
		clear(g[fill:end])
		clear(r[fill:end])
	}
}

// cand is a decoded peak in input pixels.
type cand struct {
	cx, cy, w, h float64
	score        float32
}

// maxLogSize bounds the decoded log size, so that a wild value cannot make
// an absurd box (e^6 cells is 1600 input pixels).
const maxLogSize = 6

// decode finds the cells whose centre probability is at least minScore and
// at least that of its eight neighbours, and reads their boxes. v holds the
// five maps of gw x gh cells one after the other.
func decode(v []float32, gw, gh int, minScore float32) []cand {
	n := gw * gh
	heat := v[:n]
	var out []cand
	for y := 0; y < gh; y++ {
		for x := 0; x < gw; x++ {
			p := heat[y*gw+x]
			if p < minScore || !peak(heat, gw, gh, x, y, p) {
				continue
			}
			i := y*gw + x
			out = append(out, cand{
				cx:    (float64(x) + float64(v[n+i])) * stride,
				cy:    (float64(y) + float64(v[2*n+i])) * stride,
				w:     math.Exp(min(float64(v[3*n+i]), maxLogSize)) * stride,
				h:     math.Exp(min(float64(v[4*n+i]), maxLogSize)) * stride,
				score: p,
			})
		}
	}
	return out
}

// peak reports whether p, at (x, y), is at least each of its neighbours.
func peak(heat []float32, gw, gh, x, y int, p float32) bool {
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			nx, ny := x+dx, y+dy
			if (dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= gw || ny >= gh {
				continue
			}
			if heat[ny*gw+nx] > p {
				return false
			}
		}
	}
	return true
}

// Suppress sorts detections best first and drops each that overlaps a
// better one by more than nmsIoU or has its centre inside a better one.
func Suppress(ds []Detection) []Detection {
	ds = slices.Clone(ds)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Score > ds[j].Score })
	out := ds[:0]
next:
	for _, d := range ds {
		c := image.Pt((d.Box.Min.X+d.Box.Max.X)/2, (d.Box.Min.Y+d.Box.Max.Y)/2)
		for _, k := range out {
			if IoU(d.Box, k.Box) > nmsIoU || c.In(k.Box) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

// IoU is the intersection over union of two boxes.
func IoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}
