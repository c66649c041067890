package alpr

import (
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
	// maxReads is the number of candidates read per detection at most.
	maxReads = 5
	// minAspect and maxAspect bound a plate text line's width/height.
	minAspect, maxAspect = 1.3, 12.0
	// padX and padY grow a candidate before it is cut out: left and right
	// by padX of its height (the detector may miss an edge character at low
	// resolution), above and below by padY of its height.
	padX, padY = 0.35, 0.12
)

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
