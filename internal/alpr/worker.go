package alpr

import (
	"errors"
	"image"
	"slices"
	"sort"
	"sync"

	"gocv.io/x/gocv"
)

// networks is one detector and one recogniser network. Workers share them:
// each network serves one call at a time, so while one worker's frame is
// in the detector another's text lines can be in the recogniser, and a
// second set (Options.Networks) costs memory only where it buys speed. A
// set has a single detector network (its input size is fixed): the zoom and
// fine passes run it over parts of the area instead of at a larger input,
// which also keeps the memory of a second network away, except from the
// search of a large whole frame (see wideDetector).
type networks struct {
	det *DBDetector
	ocr *OCR

	detPath   string
	wideWidth int
	wideMu    sync.Mutex
	wide      *DBDetector // loaded on first use
}

func loadNetworks(detPath, recPath string, a *Alphabet, recWidth int, opts Options) (*networks, error) {
	n := &networks{detPath: detPath, wideWidth: opts.DetectWidth}
	var err error
	if n.det, err = NewDBDetector(detPath, opts.DetectWidth/2); err != nil {
		return nil, err
	}
	if n.ocr, err = NewOCR(recPath, a, recWidth); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

func (n *networks) close() error {
	var errs []error
	if n.det != nil {
		errs = append(errs, n.det.Close())
	}
	if n.ocr != nil {
		errs = append(errs, n.ocr.Close())
	}
	if n.wide != nil {
		errs = append(errs, n.wide.Close())
	}
	return errors.Join(errs...)
}

// wideFits reports whether a whole area is better seen first by the wide
// detector: it is larger than the wide input, and shaped so that the wide
// input shows it at least wideGain times larger than the square one (a
// 16:9 frame twice as large; a square photo barely larger, for twice the
// cost).
func (n *networks) wideFits(area image.Rectangle) bool {
	if max(area.Dx(), area.Dy()) <= n.wideWidth {
		return false
	}
	sq := float64(n.det.side) / float64(max(area.Dx(), area.Dy()))
	wide := min(float64(n.wideWidth)/float64(area.Dx()), float64(wideHeight(n.wideWidth))/float64(area.Dy()))
	return wide >= wideGain*sq
}

// wideGain is how much larger than the square detector the wide one must
// show an area to be used: 16:9 and 16:10 frames (about twice as large),
// not 4:3 ones (1.5 times), whose plates the square input mostly finds.
const wideGain = 1.8

// wideFineScale: fine rounds at a smaller scale than this are skipped after
// a wide look, which showed the frame at about that scale already (a third
// or a half of a 1080p or 720p frame, against 0.42 for the first round).
const wideFineScale = 0.5

// wideHeight is the wide detector's input height for an input width: 9/16
// of it, rounded down to a multiple of 32 (352 for 640).
func wideHeight(width int) int { return width * 9 / 16 / 32 * 32 }

// wideDetector returns the detector that takes a first look at a large
// whole frame (a photo, a camera searched without motion regions): its
// input is Options.DetectWidth wide and about 9/16 of that high, the shape
// of most camera frames, so a 1920×1080 frame is seen at a third of its size
// in one pass, against a sixth in the square input, where a plate under
// about 200 px is too small to be found. It costs about twice a square
// pass and about 36 MB, so it is loaded on first use, and only with
// Options.WideLook.
func (n *networks) wideDetector() (*DBDetector, error) {
	n.wideMu.Lock()
	defer n.wideMu.Unlock()
	if n.wide == nil {
		d, err := newDBDetector(n.detPath, n.wideWidth, wideHeight(n.wideWidth))
		if err != nil {
			return nil, err
		}
		n.wide = d
	}
	return n.wide, nil
}

// worker recognises one frame at a time with a set of networks it may
// share with other workers.
type worker struct {
	*networks
	// stats of the frame being recognised, for the debug log
	detections, reads int
	lastPass          string
	// settled are the boxes of the frame's lines read clearly as no plate
	// (see settle).
	settled []image.Rectangle
}

// pass counts a detector pass of the given kind.
func (w *worker) pass(kind string, e *Engine) {
	e.passes.WithLabelValues(kind).Inc()
	w.lastPass = kind
}

// recognize finds plates in one area of the frame, in up to three passes,
// each only when the ones before read no good plate (see good):
//   - coarse: the detector over the whole area (wide: the wide detector,
//     for a large whole frame with Options.WideLook, see wideFits);
//   - zoom: the detector over a window around each of the first candidates
//     read (maxZoom), so that a small plate is seen at a scale where its
//     characters separate from the state name and slogan around them;
//   - fine: the detector over overlapping tiles of the area, in two rounds
//     of smaller and smaller tiles (see fineScales; only the second after a
//     wide look), when fine is true.
//
// Lines in seen (read in an earlier look at the frame) are not read again.
func (w *worker) recognize(img gocv.Mat, area image.Rectangle, fine bool, seen []Candidate, e *Engine) ([]Plate, error) {
	det := w.det
	if fine && e.opts.WideLook && w.wideFits(area) {
		var err error
		if det, err = w.wideDetector(); err != nil {
			return nil, err
		}
		w.pass("wide", e)
	} else {
		w.pass("coarse", e)
	}
	// A line cut by the edge of a motion region is read in part (a sign's
	// words, a plate's last characters): only the frame's own edges may cut.
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	plates, coarse, done, err := w.look(img, det, area, frame, seen, e)
	if err != nil || done || max(area.Dx(), area.Dy()) <= w.det.side {
		return plates, err
	}
	read := append(slices.Clip(seen), coarse...)
	scale := float64(w.det.side) / float64(max(area.Dx(), area.Dy()))
	zoomed := 0
	for _, c := range zoomOrder(plates, coarse) {
		if zoomed == maxZoom {
			break
		}
		if _, h := c.size(); !fine && c.Source != "plate" && h*scale >= zoomBelow {
			continue // seen large enough: its box is right, and it read as no plate
		}
		zoomed++
		win := zoomWindow(c.Box(), area, w.det.side)
		if win.Dx() > area.Dx()*2/3 && win.Dy() > area.Dy()*2/3 {
			continue // no closer than the coarse pass
		}
		w.pass("zoom", e)
		more, r, done, err := w.look(img, w.det, win, frame, read, e)
		plates, read = append(plates, more...), append(read, r...)
		if err != nil || done {
			return plates, err
		}
	}
	if !fine {
		return plates, nil
	}
	w.pass("fine", e)
	var prev []image.Rectangle
	for _, scale := range fineScales {
		if det != w.det && scale < wideFineScale {
			continue // the wide look saw the frame at about this scale
		}
		ts := tiles(area, w.det.side, scale)
		if slices.Equal(ts, prev) {
			continue // a small area: the same tiles at both scales
		}
		prev = ts
		for _, t := range byPlateLikelihood(slices.Clone(ts), area) {
			more, r, done, err := w.look(img, w.det, t, frame, read, e)
			plates, read = append(plates, more...), append(read, r...)
			if err != nil || done {
				return plates, err
			}
		}
	}
	return plates, nil
}

// lookExpected runs the detector over a window around each box where a
// plate read in an earlier frame is expected (see
// Engine.RecognizeExpecting), every one whatever the others read, and
// returns the plates and the candidates read.
func (w *worker) lookExpected(img gocv.Mat, expected []image.Rectangle, e *Engine) (plates []Plate, read []Candidate, err error) {
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	for _, b := range expected {
		w.pass("track", e)
		ps, r, _, err := w.look(img, w.det, zoomWindow(b, frame, w.det.side), frame, read, e)
		if err != nil {
			return nil, nil, err
		}
		plates, read = append(plates, ps...), append(read, r...)
	}
	return plates, read, nil
}

// look runs a detector over win, a part of the frame, and reads the
// lines it finds whole there (see inside and read).
func (w *worker) look(img gocv.Mat, det *DBDetector, win, frame image.Rectangle, seen []Candidate, e *Engine) ([]Plate, []Candidate, bool, error) {
	w.detections++
	cs, err := det.Detect(img, win)
	if err != nil {
		return nil, nil, false, err
	}
	return w.read(img, inside(cs, win, frame), seen, maxReads, e)
}

// inside drops the candidates cut by an edge of the tile (a motion region,
// a zoom window or a fine pass tile) that is not an edge of the area (the
// frame): a cut plate reads as a shorter text, and a cut sign as a few of
// its characters. The overlapping tile beside holds them whole.
func inside(cs []Candidate, tile, area image.Rectangle) []Candidate {
	const margin = 2
	out := cs[:0:0]
	for _, c := range cs {
		b := c.Box()
		cut := (b.Min.X <= tile.Min.X+margin && tile.Min.X > area.Min.X) ||
			(b.Min.Y <= tile.Min.Y+margin && tile.Min.Y > area.Min.Y) ||
			(b.Max.X >= tile.Max.X-margin && tile.Max.X < area.Max.X) ||
			(b.Max.Y >= tile.Max.Y-margin && tile.Max.Y < area.Max.Y)
		if !cut {
			out = append(out, c)
		}
	}
	return out
}

// byPlateLikelihood orders tiles so that those nearest the point at the
// middle of the area, 60% of the way down, come first: plates sit below the
// middle of most vehicle photos and road views, so the fine pass, which
// stops at the first good plate, usually ends early.
func byPlateLikelihood(ts []image.Rectangle, area image.Rectangle) []image.Rectangle {
	px, py := (area.Min.X+area.Max.X)/2, area.Min.Y+area.Dy()*3/5
	d := func(r image.Rectangle) int {
		dx, dy := (r.Min.X+r.Max.X)/2-px, (r.Min.Y+r.Max.Y)/2-py
		return dx*dx + dy*dy
	}
	sort.SliceStable(ts, func(i, j int) bool { return d(ts[i]) < d(ts[j]) })
	return ts
}

// maxZoom is the number of coarse candidates looked at closer at most.
const maxZoom = 3

// zoomBelow is the height, in detector pixels, under which a text line the
// coarse pass found but did not read as a plate is looked at closer in a
// motion region: a taller line was boxed well enough to be read as it is.
// (A whole frame, searched in every pass, zooms regardless.)
const zoomBelow = 16.0

// zoomOrder lists the candidates read in the coarse pass for a closer look:
// those that read as plates first, best ranked first (a plate read in part,
// or with the state name and slogan around it, is more promising than a
// line that read as nothing), then the others by prior alone. Their reading
// order also put light text on a dark ground last (see plausible), but a
// line too small to read at the coarse scale is often boxed with the dark
// body around it: the zoom would look at a small plate last.
func zoomOrder(plates []Plate, read []Candidate) []Candidate {
	ps := slices.Clone(plates)
	sort.SliceStable(ps, func(i, j int) bool { return rank(ps[i]) > rank(ps[j]) })
	out := make([]Candidate, 0, len(read))
	for _, p := range ps {
		out = append(out, Candidate{Quad: p.Quad, Source: "plate"})
	}
	read = slices.Clone(read)
	sort.SliceStable(read, func(i, j int) bool { return prior(read[i]) > prior(read[j]) })
	for _, c := range read {
		if !overlapsAny(c, out, sameBox) {
			out = append(out, c)
		}
	}
	return out
}

// zoomWindow is a square window around a candidate's box, three times its
// width (at least side/2 pixels), inside the area.
func zoomWindow(box, area image.Rectangle, side int) image.Rectangle {
	s := max(box.Dx()*3, side/2)
	c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
	win := image.Rect(c.X-s/2, c.Y-s/2, c.X+s/2, c.Y+s/2)
	// Slide the window inside the area rather than cut it.
	if d := area.Min.X - win.Min.X; d > 0 {
		win = win.Add(image.Pt(d, 0))
	}
	if d := area.Min.Y - win.Min.Y; d > 0 {
		win = win.Add(image.Pt(0, d))
	}
	if d := win.Max.X - area.Max.X; d > 0 {
		win = win.Sub(image.Pt(d, 0))
	}
	if d := win.Max.Y - area.Max.Y; d > 0 {
		win = win.Sub(image.Pt(0, d))
	}
	return win.Intersect(area)
}

// fineScales are the least scales of the fine pass's two rounds of tiles,
// the second only when the first read no good plate: tiles are at most
// side/scale source pixels wide. The first round's large tiles hold a large
// plate whole (a tile's overlap with the next is a fifth of it; a plate
// cut by every tile is read in part or not at all); the second's show a
// plate 62–75 px wide in a 1080p frame at 50–60 detector pixels, where the
// detector finds 93–98% of the EU photos scaled to those widths
// (BenchmarkSmallPlates), against 5–17% at the first round's 0.42 (~30
// pixels). Photos up to about 640 px get the same tiles (60% of the
// photo) in both rounds, and one round. A 1080p frame without a plate
// costs 6 + 24 tiles instead of 6.
var fineScales = [2]float64{0.42, 0.8}

// tiles covers an area with overlapping square tiles for the fine pass:
// tiles of 60% of the area's longer side (upscaled in the detector when
// the area is small), at most side/scale pixels, overlapping by at least a
// fifth.
func tiles(a image.Rectangle, side int, scale float64) []image.Rectangle {
	t := min(int(float64(side)/scale), max(a.Dx(), a.Dy())*3/5)
	xs, ys := spans(a.Min.X, a.Max.X, t), spans(a.Min.Y, a.Max.Y, t)
	out := make([]image.Rectangle, 0, len(xs)*len(ys))
	for _, y := range ys {
		for _, x := range xs {
			out = append(out, image.Rect(x[0], y[0], x[1], y[1]))
		}
	}
	return out
}

// spans covers [lo, hi) with evenly spaced spans of length t overlapping by
// at least t/5 (one span when the range is shorter than t).
func spans(lo, hi, t int) [][2]int {
	l := hi - lo
	if l <= t {
		return [][2]int{{lo, hi}}
	}
	step := t * 4 / 5
	n := (l-t+step-1)/step + 1
	out := make([][2]int, n)
	for i := range out {
		s := lo + i*(l-t)/(n-1)
		out[i] = [2]int{s, s + t}
	}
	return out
}
