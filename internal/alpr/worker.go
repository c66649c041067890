package alpr

import (
	"errors"
	"image"
	"slices"
	"sort"
	"strings"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Reading settings.
const (
	// goodConf is the confidence at which a reading that fits a layout of
	// the region ends the search.
	goodConf = 0.85
	// maxReads is the number of candidates read per detection pass at most:
	// the coarse pass and the fine pass (more text lines, split plates).
	maxReads, maxReadsFine = 5, 8
	// minAspect and maxAspect bound a plate text line's width/height.
	minAspect, maxAspect = 1.3, 12.0
	// padX and padY grow a candidate before it is cut out: left and right
	// by padX of its height (the detector may miss an edge character at low
	// resolution), above and below by padY of its height.
	padX, padY = 0.35, 0.12
)

// worker holds one set of networks; it serves one frame at a time. It has
// a single detector network (its input size is fixed): the fine pass runs
// it over overlapping tiles instead of a larger input, which also keeps the
// memory of a second network away.
type worker struct {
	det *DBDetector
	ocr *OCR
	// stats of the frame being recognised, for the debug log
	detections, reads int
	lastPass          string
}

// pass counts a detector pass of the given kind.
func (w *worker) pass(kind string, e *Engine) {
	e.passes.WithLabelValues(kind).Inc()
	w.lastPass = kind
}

func newWorker(detPath, recPath string, a *Alphabet, recWidth int, opts Options) (*worker, error) {
	w := &worker{}
	var err error
	if w.det, err = NewDBDetector(detPath, opts.DetectWidth/2); err != nil {
		return nil, err
	}
	if w.ocr, err = NewOCR(recPath, a, recWidth); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *worker) close() error {
	var errs []error
	if w.det != nil {
		errs = append(errs, w.det.Close())
	}
	if w.ocr != nil {
		errs = append(errs, w.ocr.Close())
	}
	return errors.Join(errs...)
}

// recognize finds plates in one area of the frame, in up to three passes,
// each only when the ones before read no good plate (see good):
//   - coarse: the detector over the whole area;
//   - zoom: the detector over a window around each of the first candidates
//     read (maxZoom), so that a small plate is seen at a scale where its
//     characters separate from the state name and slogan around them;
//   - fine: the detector over overlapping tiles of the area (see tiles).
func (w *worker) recognize(img gocv.Mat, area image.Rectangle, e *Engine) ([]Plate, error) {
	w.pass("coarse", e)
	w.detections++
	cands, err := w.det.Detect(img, area)
	if err != nil {
		return nil, err
	}
	plates, read, done, err := w.read(img, cands, nil, maxReads, e)
	if err != nil || done || max(area.Dx(), area.Dy()) <= w.det.side {
		return plates, err
	}
	for i, c := range zoomOrder(plates, read) {
		if i == maxZoom {
			break
		}
		win := zoomWindow(c.Box(), area, w.det.side)
		if win.Dx() > area.Dx()*2/3 && win.Dy() > area.Dy()*2/3 {
			continue // no closer than the coarse pass
		}
		w.pass("zoom", e)
		w.detections++
		zc, err := w.det.Detect(img, win)
		if err != nil {
			return nil, err
		}
		more, r, done, err := w.read(img, zc, read, maxReads, e)
		plates, read = append(plates, more...), append(read, r...)
		if err != nil || done {
			return plates, err
		}
	}
	w.pass("fine", e)
	var fine []Candidate
	for _, t := range tiles(area, w.det.side) {
		w.detections++
		cs, err := w.det.Detect(img, t)
		if err != nil {
			return nil, err
		}
		fine = append(fine, cs...)
	}
	more, _, _, err := w.read(img, dedupe(fine, 0.7), read, maxReadsFine, e)
	return append(plates, more...), err
}

// maxZoom is the number of coarse candidates looked at closer at most.
const maxZoom = 3

// zoomOrder lists the candidates read in the coarse pass for a closer look:
// those that read as plates first, best ranked first (a plate read in part,
// or with the state name and slogan around it, is more promising than a
// line that read as nothing), then the others in their order.
func zoomOrder(plates []Plate, read []Candidate) []Candidate {
	ps := slices.Clone(plates)
	sort.SliceStable(ps, func(i, j int) bool { return rank(ps[i]) > rank(ps[j]) })
	out := make([]Candidate, 0, len(read))
	for _, p := range ps {
		out = append(out, Candidate{Quad: p.Quad, Source: "plate"})
	}
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

// fineScale is the least scale of the fine pass: tiles are at most
// side/fineScale source pixels wide, so that a plate 75 px wide in a 1080p
// frame is still about 30 detector pixels wide.
const fineScale = 0.42

// tiles covers an area with overlapping square tiles for the fine pass:
// tiles of 60% of the area's longer side (upscaled in the detector when
// the area is small), at most side/fineScale pixels, overlapping by at
// least a fifth.
func tiles(a image.Rectangle, side int) []image.Rectangle {
	t := min(int(float64(side)/fineScale), max(a.Dx(), a.Dy())*3/5)
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

// sameBox is the overlap (IoU) above which two candidates are one: the
// second is not read. Parts of a line and their union overlap less.
const sameBox = 0.85

// read reads up to limit plausible candidates, best prior first, skipping
// those that are the same box as one read before (seen, then this call's);
// it returns the plates, the candidates read, and whether a good plate was
// read.
func (w *worker) read(img gocv.Mat, cands, seen []Candidate, limit int, e *Engine) (plates []Plate, read []Candidate, done bool, err error) {
	cands = plausible(append(cands, mergeLines(cands)...))
	for _, c := range cands {
		if len(read) == limit {
			break
		}
		if overlapsAny(c, seen, sameBox) || overlapsAny(c, read, sameBox) {
			continue
		}
		read = append(read, c)
		w.reads++
		p, ok, err := w.readOne(img, c, e)
		if err != nil {
			return plates, read, false, err
		}
		if !ok {
			continue
		}
		plates = append(plates, p)
		if good(p, true) {
			return plates, read, true, nil
		}
	}
	return plates, read, false, nil
}

// readOne cuts out, reads and post-processes one candidate.
func (w *worker) readOne(img gocv.Mat, c Candidate, e *Engine) (Plate, bool, error) {
	w0, h0 := c.size()
	crop := Rectify(img, c.Quad, recHeight, padX*h0/max(w0, 1), padY)
	defer crop.Close()
	sharp := sharpness(crop)
	if !blackInk[e.opts.Region] {
		return w.readCrop(crop, c, sharp, e)
	}
	// Painting out coloured marks helps where there are marks and may hurt
	// a poor crop: when the painted read is not good, the plain crop is read
	// too and the better reading kept.
	painted := crop.Clone()
	defer painted.Close()
	paintOutColour(painted)
	p, ok, err := w.readCrop(painted, c, sharp, e)
	if err != nil || good(p, ok) {
		return p, ok, err
	}
	q, okq, err := w.readCrop(crop, c, sharp, e)
	if err != nil || !okq || (ok && rank(p) >= rank(q)) {
		return p, ok, err
	}
	return q, true, nil
}

// hasDigit reports a digit in the text. Nearly all plates have digits;
// shop signs, state names, dealer names and slogans, which the detector
// also finds, mostly do not.
func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// catchAll reports a format that is a region's catch-all ("us-any": any 5–8
// characters) rather than a layout.
func catchAll(format string) bool { return strings.HasSuffix(format, "-any") }

// good reports a reading that ends the search: it fits a layout of the
// region (not only its catch-all) with good confidence, and has a digit, so
// that a sign or a partial read does not end the search before the plate is
// found.
func good(p Plate, ok bool) bool {
	return ok && p.Format != "" && !catchAll(p.Format) && p.Conf >= goodConf && hasDigit(p.Text)
}

// readCrop reads a rectified crop and post-processes the characters.
func (w *worker) readCrop(crop gocv.Mat, c Candidate, sharp float64, e *Engine) (Plate, bool, error) {
	chars, err := w.ocr.Read(crop, stretch[e.opts.Region])
	if err != nil {
		return Plate{}, false, err
	}
	readings := e.pack.Candidates(chars, e.opts.TopN)
	if len(readings) == 0 {
		return Plate{}, false, nil
	}
	readings = preferFormat(readings)
	best := readings[0]
	if len([]rune(best.Text)) < e.opts.MinChars || best.Conf < e.opts.MinConfidence {
		return Plate{}, false, nil
	}
	return Plate{
		Text: best.Text, Conf: best.Conf, CharConfs: best.CharConfs,
		Box: c.Box(), Quad: c.Quad,
		Region: best.Region, Format: best.Format,
		Candidates: readings,
		Sharpness:  sharp,
	}, true, nil
}

// plausible keeps candidates shaped like a plate's text line, most
// plate-like first.
func plausible(cs []Candidate) []Candidate {
	out := cs[:0:0]
	for _, c := range cs {
		w, h := c.size()
		if h < 4 || w/h < minAspect || w/h > maxAspect {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return prior(out[i]) > prior(out[j]) })
	return out
}

// prior scores how plate-like a candidate is: its detector score, favouring
// text lines of a plate's aspect ratio (about 2.5 to 6).
func prior(c Candidate) float64 {
	w, h := c.size()
	a := w / h
	p := c.Score
	if a < 2.5 {
		p *= a / 2.5
	} else if a > 6 {
		p *= 6 / a
	}
	return p
}

func overlapsAny(c Candidate, cs []Candidate, maxIoU float64) bool {
	for _, k := range cs {
		if iou(c.Box(), k.Box()) > maxIoU {
			return true
		}
	}
	return false
}

// sharpness is the variance of the Laplacian of a crop's grey levels.
func sharpness(crop gocv.Mat) float64 {
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(crop, &grey, gocv.ColorBGRToGray)
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	return s * s
}

// formatSlack is how much lower (as a ratio of confidences) a reading that
// fits one of the region's layouts may be than the best reading that fits
// none, and still be preferred. The OCR often adds a character for a
// plate's edge, its country strip or a sticker; the format pack can drop
// it, but with a confidence just under the raw reading's.
const formatSlack = 0.9

// preferFormat moves to the front the best reading that fits a layout, when
// the readings before it fit none and it is within formatSlack of the first.
func preferFormat(rs []plate.Reading) []plate.Reading {
	for i, r := range rs {
		if r.Format != "" {
			if i > 0 && r.Conf >= formatSlack*rs[0].Conf {
				out := append([]plate.Reading{r}, rs[:i]...)
				return append(out, rs[i+1:]...)
			}
			break
		}
	}
	return rs
}
