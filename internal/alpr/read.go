package alpr

import (
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
// those that are the same box as one read before (seen, then this call's)
// and settled lines; it returns the plates, the candidates read, and
// whether a good plate was read.
func (w *worker) read(img gocv.Mat, cands, seen []Candidate, limit int, e *Engine) (plates []Plate, read []Candidate, done bool, err error) {
	all := slices.Concat(cands, mergeLines(cands))
	// Lines read in an earlier look are dropped before plausible ranks the
	// rest, which looks at each one's pixels.
	fresh := all[:0:0]
	for _, c := range all {
		if !overlapsAny(c, seen, sameBox) && !w.isSettled(c) {
			fresh = append(fresh, c)
		}
	}
	for _, c := range plausible(img, fresh) {
		if len(read) == limit {
			break
		}
		// A line read in this look may have settled another.
		if overlapsAny(c, read, sameBox) || w.isSettled(c) {
			continue
		}
		read = append(read, c)
		if fragment(c, all) {
			continue // part of a longer line: a sign's words, or part of a plate
		}
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

// Fragments: a line that continues, on either side, with a detected box of
// about its height (fragmentHeight), on its line (centres within
// fragmentShift of its height), within fragmentGap of its height, is a part
// of a longer text line: a plate's text is a whole line on its board, with
// clear margins before the board's edge.
const (
	fragmentHeight = 0.7
	fragmentShift  = 0.3
	fragmentGap    = 0.8
)

// fragment reports whether c is part of a longer line among the boxes all
// (the candidates of its pass, with the unions of their runs).
func fragment(c Candidate, all []Candidate) bool {
	b := c.Box()
	h := float64(b.Dy())
	for _, o := range all {
		n := b.Union(o.Box())
		ob := o.Box()
		if n == b || ob.Intersect(b) == ob { // c itself, or a part of c
			continue
		}
		oh := float64(ob.Dy())
		if oh < fragmentHeight*h || h < fragmentHeight*oh {
			continue
		}
		if dy := float64(ob.Min.Y+ob.Max.Y-b.Min.Y-b.Max.Y) / 2; dy > fragmentShift*h || dy < -fragmentShift*h {
			continue
		}
		gapR, gapL := float64(ob.Min.X-b.Max.X), float64(b.Min.X-ob.Max.X)
		if (ob.Max.X > b.Max.X && gapR <= fragmentGap*h) || (ob.Min.X < b.Min.X && gapL <= fragmentGap*h) {
			return true
		}
	}
	return false
}

// readOne cuts out, reads and post-processes one candidate.
func (w *worker) readOne(img gocv.Mat, c Candidate, e *Engine) (Plate, bool, error) {
	w0, h0 := c.size()
	crop := Rectify(img, c.Quad, recHeight, padX*h0/max(w0, 1), padY)
	defer crop.Close()
	sharp := sharpness(crop)
	// A line with a country strip is a plate whatever its text, and the
	// strip's code, when it can be read, names the country whose layouts
	// its reading should fit.
	pack, stripped := e.pack, false
	if stripRegion[e.opts.Region] {
		var s strip
		if s, stripped = findStrip(img, c); stripped {
			country, err := w.country(img, c, s)
			if err != nil {
				return Plate{}, false, err
			}
			pack = pack.Country(country)
		}
	}
	if !blackInk[e.opts.Region] {
		return w.readCrop(crop, c, sharp, pack, stripped, e)
	}
	// Painting out coloured marks helps where there are marks and may hurt
	// a poor crop: when the painted read is not good, the plain crop is read
	// too and the better reading kept. A crop without marks is read once.
	painted := crop.Clone()
	defer painted.Close()
	if !paintOutColour(painted) {
		return w.readCrop(crop, c, sharp, pack, stripped, e)
	}
	p, ok, err := w.readCrop(painted, c, sharp, pack, stripped, e)
	if err != nil || good(p, ok) {
		return p, ok, err
	}
	q, okq, err := w.readCrop(crop, c, sharp, pack, stripped, e)
	if err != nil || !okq || (ok && rank(p) >= rank(q)) {
		return p, ok, err
	}
	return q, true, nil
}

// hasDigit reports a digit in the text. Nearly all plates have digits;
// shop signs, state names, dealer names and slogans, which the detector
// also finds, mostly do not.
func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// good reports a reading that ends the search: it fits a layout of the
// region (not only its catch-all) with good confidence, and has a digit the
// OCR read as one, so that a sign or a partial read does not end the search
// before the plate is found.
func good(p Plate, ok bool) bool {
	return ok && p.Layout && p.Conf >= goodConf && readDigit(p)
}

// readDigit reports a digit in the plate's text that the OCR read as a
// digit.
func readDigit(p Plate) bool { return hasDigit(p.Text) && !p.lookalikeDigits }

// ocrDigit reports whether the OCR's best character at some position is a
// digit.
func ocrDigit(chars []plate.Char) bool {
	for _, c := range chars {
		if len(c.Alts) > 0 && c.Alts[0].R >= '0' && c.Alts[0].R <= '9' {
			return true
		}
	}
	return false
}

// readCrop reads a rectified crop and post-processes the characters with
// pack (the engine's, or its view from the line's country). Unless
// Options.AllowFreeText, a reading that fits no layout, or fits one only
// with digits that the OCR read as letters, is kept only when the line is
// stripped: it has an EU country strip (see findStrip).
func (w *worker) readCrop(crop gocv.Mat, c Candidate, sharp float64, pack *plate.Pack, stripped bool, e *Engine) (Plate, bool, error) {
	chars, err := w.ocr.Read(crop, stretch[e.opts.Region])
	if err != nil {
		return Plate{}, false, err
	}
	readings := pack.Candidates(chars, e.opts.TopN*readingsPerKept)
	if !e.opts.AllowFreeText {
		if layout := plateReadings(readings); len(layout) > 0 || len(readings) == 0 || !stripped {
			readings = layout
		}
	}
	if len(readings) == 0 {
		w.settle(c, chars)
		return Plate{}, false, nil
	}
	readings = preferFormat(readings)
	readings = readings[:min(len(readings), e.opts.TopN)]
	best := readings[0]
	if len([]rune(best.Text)) < e.opts.MinChars || best.Conf < e.opts.MinConfidence {
		return Plate{}, false, nil
	}
	lookalike := hasDigit(best.Text) && !ocrDigit(chars)
	if lookalike && !e.opts.AllowFreeText && !stripped {
		// A word that fits a layout only by reading a letter as a digit
		// (PIZZA as P1ZZA) has no plate syntax of its own.
		w.settle(c, chars)
		return Plate{}, false, nil
	}
	return Plate{
		Text: best.Text, Conf: best.Conf, CharConfs: best.CharConfs,
		Box: c.Box(), Quad: c.Quad,
		Region: best.Region, Format: best.Format, Layout: best.Layout,
		Candidates: readings,
		Sharpness:  sharp,

		lookalikeDigits: lookalike,
	}, true, nil
}

// Settled lines: a line whose OCR reading is clear (settleChars to
// settleMaxChars characters, each at least settleConf) and still no plate (a
// shop sign, a street name) is not read again in the frame, where a later
// look boxes it anew at another scale or boxes a part of it: a candidate
// at most settleWider times as wide, overlapping it by more than settleIoU
// or lying settleInside within it, is that line or a part of it. A wider
// one may be the whole of a plate read in part (8 characters where 7 were
// read is 1.14 times as wide), and is read; a line longer than a plate (a
// plate with the text beside it) is never settled, so its parts are read.
const (
	settleChars    = 4
	settleMaxChars = 8
	settleConf     = 0.8
	settleIoU      = 0.5
	settleWider    = 1.08
	settleInside   = 0.8
)

// settle records c as settled when its characters read clearly.
func (w *worker) settle(c Candidate, chars []plate.Char) {
	if len(chars) < settleChars || len(chars) > settleMaxChars {
		return
	}
	for _, ch := range chars {
		if len(ch.Alts) == 0 || ch.Alts[0].P < settleConf {
			return
		}
	}
	w.settled = append(w.settled, c.Box())
}

// isSettled reports whether c is a settled line boxed anew, or a part of
// one.
func (w *worker) isSettled(c Candidate) bool {
	b := c.Box()
	for _, s := range w.settled {
		if float64(b.Dx()) > settleWider*float64(s.Dx()) {
			continue // perhaps the whole of a plate read in part
		}
		if iou(b, s) > settleIoU {
			return true
		}
		if in := b.Intersect(s); float64(area(in)) >= settleInside*float64(area(b)) {
			return true
		}
	}
	return false
}

// plausible keeps candidates shaped like a plate's text line, most
// plate-like first: by prior, halved for light text on a dark ground (see
// lightOnDark).
func plausible(img gocv.Mat, cs []Candidate) []Candidate {
	type ranked struct {
		c Candidate
		p float64
	}
	var rs []ranked
	for _, c := range cs {
		w, h := c.size()
		if h < 4 || w/h < minAspect || w/h > maxAspect {
			continue
		}
		p := prior(c)
		if !darkOnLight(img, c) {
			p *= lightOnDark
		}
		rs = append(rs, ranked{c, p})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].p > rs[j].p })
	out := make([]Candidate, len(rs))
	for i, r := range rs {
		out[i] = r.c
	}
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

// readingsPerKept: the pack is asked for this many readings per reading
// kept, so that the layout readings among them still fill TopN.
const readingsPerKept = 3

// plateReadings keeps the readings that fit a layout of the region, when
// the best of them is within formatSlack of the OCR's best reading (so that
// preferFormat puts it first): a text line whose own reading has no plate
// syntax (a shop sign, a state name, a slogan) is no plate, even if a few
// lookalike swaps could bend it into one. It returns none otherwise.
func plateReadings(rs []plate.Reading) []plate.Reading {
	out := rs[:0:0]
	for _, r := range rs {
		if r.Layout {
			out = append(out, r)
		}
	}
	if len(out) == 0 || out[0].Conf < formatSlack*rs[0].Conf {
		return nil
	}
	return out
}

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
