package alpr

import (
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
	"github.com/edge-agent/edge-agent/internal/alpr/platereader"
)

// search is the search of one frame: the boxes the detector found, the
// windows it looked at, and the plates read. It lives for one Recognize
// call; the engine it runs on holds no state of a frame.
type search struct {
	e      *Engine
	img    gocv.Mat
	frame  image.Rectangle
	scale  float64 // of the frame at the whole-frame pass's input
	found  []platedet.Detection
	faint  []platedet.Detection // small boxes under MinScore, to look at closer (split)
	halved bool                 // the frame was seen again at half the scale
	looks  int                  // windows looked at for expected plates
	// faintLooks are the windows looked at around faint boxes.
	faintLooks int
	crops      int // crops the reader read
	plates     []Plate
}

func newSearch(e *Engine, img gocv.Mat) *search {
	return &search{e: e, img: img, frame: image.Rect(0, 0, img.Cols(), img.Rows())}
}

// run finds the plates' boxes and reads every box.
func (s *search) run(expected []image.Rectangle) error {
	if err := s.find(expected); err != nil {
		return err
	}
	return s.read()
}

// find detects the plates of the whole frame, and looks closer at small
// boxes it was not sure of and where expected plates were not found.
func (s *search) find(expected []image.Rectangle) error {
	ds, err := s.e.det.Detect(s.img, s.frame)
	if err != nil {
		return err
	}
	s.scale, _ = s.e.det.Input(s.frame)
	s.split(ds)
	if err := s.lookBig(); err != nil {
		return err
	}
	if err := s.lookFaint(); err != nil {
		return err
	}
	return s.lookExpected(expected)
}

// split keeps the boxes of the whole-frame pass with Tuning.MinScore, at
// most Tuning.MaxPlates, and the faint ones to look at closer: under
// MinScore but at least Tuning.FaintScore, narrower than Tuning.FaintWidth
// at the detector's input, at most Tuning.MaxFaintLooks, best first, when
// the pass saw the frame at Tuning.FaintScale or less.
func (s *search) split(ds []platedet.Detection) {
	t := s.e.tune
	faint := s.scale <= t.FaintScale
	for _, d := range ds {
		switch {
		case d.Score >= t.MinScore:
			if len(s.found) < t.MaxPlates {
				s.found = append(s.found, d)
			}
		case faint && d.Score >= t.FaintScore && float64(d.Box.Dx())*s.scale < float64(t.FaintWidth) && len(s.faint) < t.MaxFaintLooks:
			s.faint = append(s.faint, d)
		}
	}
}

// lookFaint runs the detector over a window around each faint box that no
// box found overlaps, as lookExpected does around an expected plate, and
// keeps the plates it finds there with Tuning.MinScore.
func (s *search) lookFaint() error {
	for _, f := range s.faint {
		if s.covered(f.Box) {
			continue
		}
		s.faintLooks++
		if err := s.lookAround(f.Box); err != nil {
			return err
		}
	}
	return nil
}

// lookAround runs the detector over a window of Tuning.LookWindow widths of
// b (lookWindow), seen at full resolution or more, and keeps the better of
// the boxes found there and before.
func (s *search) lookAround(b image.Rectangle) error {
	ds, err := s.e.look.Detect(s.img, lookWindow(b, s.frame, s.e.tune.LookWindow))
	if err != nil {
		return err
	}
	s.found = platedet.Suppress(append(s.found, ds...))
	return nil
}

// lookBig sees the frame again at half the scale when a box found is wider
// than Tuning.BigPlate at the detector's input, or when no box was found:
// a plate much wider than the detector was trained on (220 px at its
// input: a car close ahead) may not be found at all, and comes out at half
// the scale. It keeps the better of the boxes of both passes. The second
// pass sees a quarter of the first's pixels.
func (s *search) lookBig() error {
	big := false
	for _, d := range s.found {
		big = big || float64(d.Box.Dx())*s.scale > float64(s.e.tune.BigPlate)
	}
	if !big && len(s.found) > 0 {
		return nil
	}
	s.halved = true
	ds, err := s.e.half.Detect(s.img, s.frame)
	if err != nil {
		return err
	}
	s.found = platedet.Suppress(append(s.found, ds...))
	return nil
}

// lookExpected runs the detector over a window around each expected box
// (at most Tuning.MaxLooks) that no box found overlaps: the window is seen
// at full resolution or more, where a plate too small for the whole frame's
// scale is found.
func (s *search) lookExpected(expected []image.Rectangle) error {
	t := s.e.tune
	for _, b := range expected {
		if s.looks == t.MaxLooks {
			break
		}
		if s.covered(b) {
			continue
		}
		s.looks++
		if err := s.lookAround(b); err != nil {
			return err
		}
	}
	if len(s.found) > t.MaxPlates {
		s.found = s.found[:t.MaxPlates]
	}
	return nil
}

// covered reports whether a box found overlaps b.
func (s *search) covered(b image.Rectangle) bool {
	for _, d := range s.found {
		if d.Box.Overlaps(b) {
			return true
		}
	}
	return false
}

// minLookSide is the least side of a look window, in frame pixels: the
// detector needs some context around a plate (and enlarges a window at
// most platedet.MaxEnlarge times).
const minLookSide = 128

// lookWindow is a square window of k times b's width (at least minLookSide)
// centred on b, slid inside the frame.
func lookWindow(b, frame image.Rectangle, k float64) image.Rectangle {
	side := max(minLookSide, int(math.Round(k*float64(b.Dx()))))
	c := image.Pt((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2)
	w := image.Rect(c.X-side/2, c.Y-side/2, c.X-side/2+side, c.Y-side/2+side)
	if d := frame.Min.X - w.Min.X; d > 0 {
		w = w.Add(image.Pt(d, 0))
	}
	if d := frame.Min.Y - w.Min.Y; d > 0 {
		w = w.Add(image.Pt(0, d))
	}
	if d := w.Max.X - frame.Max.X; d > 0 {
		w = w.Sub(image.Pt(d, 0))
	}
	if d := w.Max.Y - frame.Max.Y; d > 0 {
		w = w.Sub(image.Pt(0, d))
	}
	return w.Intersect(frame)
}

// read reads every box found in the first of readViews, and the boxes not
// read surely there (Tuning.SureRead) in the other views, unless the first
// view read next to nothing in them (Tuning.MinViewChars); then the boxes
// still not read surely whose plate is rolled (Tuning.MinRoll) once more,
// turned level. It keeps for each box its best plate of all crops read.
func (s *search) read() error {
	if len(s.found) == 0 {
		return nil
	}
	best := make([]reading, len(s.found))
	if err := s.readViews(best, readViews[:1], func(int) bool { return true }); err != nil {
		return err
	}
	unsure := func(i int) bool {
		return best[i].chars >= s.e.tune.MinViewChars && (!best[i].ok || !s.sure(best[i].p))
	}
	if err := s.readViews(best, readViews[1:], unsure); err != nil {
		return err
	}
	if err := s.readLevelled(best, unsure); err != nil {
		return err
	}
	for _, b := range best {
		if s.keeps(b) {
			b.p.Sharpness = sharpness(s.img, b.area)
			s.plates = append(s.plates, b.p)
		}
	}
	return nil
}

// reading is the best plate read in a box so far, and the crop it was read
// in; chars is the most characters the reader read in one of the box's
// crops, plate or not.
type reading struct {
	p     Plate
	area  image.Rectangle
	ok    bool
	chars int
	// text is what the reader read in the box's first crop that read
	// anything, varied whether a later crop read another text.
	text   string
	varied bool
}

// saw records text, read in one of the box's crops: varied turns true when
// it is not the first text read (a crop read as nothing says nothing).
func (r *reading) saw(text string) {
	switch {
	case text == "":
	case r.text == "":
		r.text = text
	default:
		r.varied = r.varied || text != r.text
	}
}

// keeps reports whether the box's best plate is reported: a vanity plate
// only when every crop of the box read its text; none at the frame's top or
// bottom edge, where overlays are, unless the detector is sure of its box
// (overlayBand).
func (s *search) keeps(b reading) bool {
	return b.ok && !(s.readAsVanity(b.p) && b.varied) && !s.overlayBand(b.p)
}

// overlayBand reports a plate whose box the detector was not sure of
// (Tuning.SurePlate) and lies within Tuning.OverlayGap of its height of the
// frame's top or bottom edge, where cameras burn in their overlays.
func (s *search) overlayBand(p Plate) bool {
	if p.Score >= s.e.tune.SurePlate {
		return false
	}
	gap := min(p.Box.Min.Y-s.frame.Min.Y, s.frame.Max.Y-p.Box.Max.Y)
	return float64(gap) < s.e.tune.OverlayGap*float64(p.Box.Dy())
}

// readViews reads the boxes that want(i) in each of views,
// and keeps in best[i] the better plate (rank) of best[i] and those read.
func (s *search) readViews(best []reading, views []platereader.Margin, want func(int) bool) error {
	var crops []platereader.Crop
	var boxes []int
	for i, d := range s.found {
		if !want(i) {
			continue
		}
		for _, v := range views {
			crops = append(crops, platereader.Crop{Area: v.Area(d.Box, s.frame)})
			boxes = append(boxes, i)
		}
	}
	return s.readCrops(best, boxes, crops)
}

// readLevelled reads the boxes that want(i) whose plate is
// rolled by Tuning.MinRoll degrees or more (plateRoll), turned level, and
// keeps in best[i] the better plate of best[i] and the one read.
func (s *search) readLevelled(best []reading, want func(int) bool) error {
	var crops []platereader.Crop
	var boxes []int
	for i, d := range s.found {
		if !want(i) {
			continue
		}
		if roll := plateRoll(s.img, d.Box); math.Abs(roll) >= s.e.tune.MinRoll {
			crops = append(crops, platereader.Crop{Area: d.Box.Intersect(s.frame), Roll: roll})
			boxes = append(boxes, i)
		}
	}
	return s.readCrops(best, boxes, crops)
}

// readCrops reads crops, crops[k] of the box boxes[k], and
// keeps in best the better plate (rank) of each box's and those read.
func (s *search) readCrops(best []reading, boxes []int, crops []platereader.Crop) error {
	if len(crops) == 0 {
		return nil
	}
	chars, err := s.e.reader.ReadCrops(s.img, crops)
	if err != nil {
		return err
	}
	s.crops += len(crops)
	for k, i := range boxes {
		best[i].chars = max(best[i].chars, len(chars[k]))
		best[i].saw(readerText(chars[k]))
		p, ok := s.e.plateOf(chars[k], s.found[i])
		if ok && (!best[i].ok || rank(p) > rank(best[i].p)) {
			best[i].p, best[i].area, best[i].ok = p, crops[k].Area, true
		}
	}
	return nil
}

// readAsVanity reports a plate read as a vanity plate: its text fits no layout
// of the region and the detector was not sure of its box (plateOf). Such a
// plate is kept only when every crop of its box read the same text: a
// plate's board ends at its edges, while a sign's lettering that the box
// cut runs on into the wider view (SALE5 of SALE 50% reads SALE50 there).
func (s *search) readAsVanity(p Plate) bool { return !p.Layout && !s.e.opts.AllowFreeText }

// sure reports a reading that fits a layout of the region with at least
// Tuning.SureRead confidence.
func (s *search) sure(p Plate) bool {
	return fitsLayout(p) && p.Conf >= s.e.tune.SureRead
}

// readViews are the crops each box is read in: the margins the reader was
// trained with, a wider one that holds an edge character the box cut, and a
// tighter one that leaves out text around the plate.
var readViews = []platereader.Margin{
	platereader.Trained,
	{X: 0.14, Y: platereader.Trained.Y},
	{X: 0.02, Y: 0.04},
}

// rank orders readings of one box: one whose text fits a layout of the
// region first, then one that fits its catch-all, then the more confident.
// Its text, not Plate.Layout, which a box the detector is sure of sets for
// any text: a view that cut a narrow edge character of VJT338 reads JT338
// a little surer than the others read the whole plate.
func rank(p Plate) float64 {
	r := p.Conf
	if p.Format != "" {
		r++
	}
	if fitsLayout(p) {
		r++
	}
	return r
}

// fitsLayout reports whether the text read fits a layout of the region.
func fitsLayout(p Plate) bool { return len(p.Candidates) > 0 && p.Candidates[0].Layout }

// sharpness is the variance of the Laplacian of the grey levels of area.
func sharpness(img gocv.Mat, area image.Rectangle) float64 {
	crop := img.Region(area)
	defer crop.Close()
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
	v := std.GetDoubleAt(0, 0)
	return v * v
}
