package alpr

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
	"github.com/edge-agent/edge-agent/internal/alpr/platereader"
)

// Options configure an Engine. Zero values take the defaults noted.
type Options struct {
	ModelsDir string // folder with the networks (Files); required
	Region    string // format pack: "us", "eu" or "br"; required
	// Workers is the number of frames searched at once. Default 2: the
	// networks serve one call at a time, so a second frame's detection
	// runs while the first frame's plates are read.
	Workers       int
	TopN          int     // readings kept per plate; default 5
	MinChars      int     // shorter readings are dropped; default 4
	MinConfidence float64 // readings below are dropped; default 0
	// AllowFreeText also reports plates whose reading fits none of the
	// region's plate layouts (only its catch-all, or nothing) when the
	// detector is not sure of them: vanity and foreign plates, at the price
	// of signs the detector mistakes for plates. It is the negation of
	// alpr.require_layout.
	AllowFreeText bool
	Tuning        Tuning                // zero fields: DefaultTuning's
	Logger        *slog.Logger          // default: discard
	Metrics       prometheus.Registerer // default: none
}

// Tuning holds the engine's tuning constants, in one place.
type Tuning struct {
	// DetectWidth is the longer side of the detector's input: a frame is
	// seen scaled down to it (a 1920x1080 frame at half size). Larger finds
	// smaller plates, at a cost that grows with its square.
	DetectWidth int
	// MinScore is the detector's confidence a box needs to be read.
	MinScore float64
	// MaxPlates is the number of boxes read per frame at most, best first.
	MaxPlates int
	// SurePlate is the detector's confidence from which a box is a plate
	// whatever its text reads (a vanity or foreign plate), as long as the
	// reading has MinChars to maxChars characters.
	SurePlate float64
	// VanityRead is the confidence from which a reading that fits no
	// layout of the region, in a box the detector is not sure of, is a
	// vanity plate, when its text and box are of one
	// ([plate.Pack.Vanity]). The vanity plates of the US street sets
	// (us_street.py: PLTFRM, ANYTEXT, CHICAG0, SAMPLE; box scores 0.31 to
	// 0.58) read 0.95 to 0.98; the sign lettering the agent's no-plate
	// test renders as well (0.97 to 0.98), but in boxes of another shape;
	// a sign board of a plate's shape whose lettering the box cut reads
	// otherwise in another crop (search.keeps).
	VanityRead float64
	// LookWindow is the side of the window, in plate widths, that the
	// detector looks at around an expected plate the whole-frame pass did
	// not find: the window is seen at full resolution or more (lookInput
	// pixels), where a plate too small for the scaled-down frame is large
	// enough.
	LookWindow float64
	// MaxLooks is the number of expected plates looked at per frame at most.
	MaxLooks int
	// FaintScore is the detector's confidence from which a box under
	// MinScore, narrower than FaintWidth at the detector's input, is looked
	// at closer (a window of LookWindow plate widths, as for an expected
	// plate), and read when the closer look finds a plate there, in a frame
	// that the whole-frame pass sees at FaintScale or less. A far plate in a
	// 1920x1080 frame, 30-50 px wide, is 15-25 px wide at the detector's
	// input, where it often scores under MinScore; seen at four times that
	// size it scores over. Measured on the synthetic 1080p street set with
	// plates at 0.4 of their size (us_street.py --far 0.4: 27-80 px wide):
	// 114 of its 180 plates read against 94, the median search 7 ms
	// longer; on the plain 1080p set the same plates, 4 ms longer.
	FaintScore float64
	// FaintWidth is the width, in detector input pixels, under which a
	// faint box is looked at closer (see FaintScore).
	FaintWidth int
	// FaintScale is the scale of the whole-frame pass above which faint
	// boxes are not looked at: a 1280x720 frame, seen at 0.75, shows its
	// far plates large enough to be found there (the 720p street set with
	// plates at 0.6 of their size, 25-75 px wide: 97% found at MinScore);
	// looks there read no plate more and cost 5-7 ms a frame.
	FaintScale float64
	// MaxFaintLooks is the number of faint boxes looked at per frame at
	// most, the likeliest first.
	MaxFaintLooks int
	// BigPlate is the width, in detector input pixels, above which a box is
	// of a plate closer than the detector was trained to box well (10 to
	// 220 px): the frame is then seen again at half the scale, where such a
	// plate's box comes out whole, and the better boxes kept.
	BigPlate int
	// SureRead is the confidence from which a box's reading in the first
	// of readViews, fitting a layout of the region, is kept without
	// reading the box's other views, which are most of the reading's cost.
	// Measured: at 0.98 the bench sets read the plates they read with every
	// view read, 1280x720 searches 6% faster; at 0.9, 17% faster, but 2
	// points fewer plates of the 1920x1080 street set.
	SureRead float64
	// MinViewChars is the least number of characters the reader must read
	// in a box's first view for the box to be read in its other views,
	// which find an edge character the box cut or leave out text around
	// the plate: a box read as next to nothing there (a logo, a wheel, a
	// plate too blurred to read) is not worth two more crops. Most plates
	// have five characters or more, and the other views add one at an edge:
	// over the bench sets (street, turned, night, far; EU and BR photos),
	// of 416 boxes whose first view read three or four characters and no
	// plate, 414 read no plate in the other views either (far plates a few
	// characters of which the reader made out, halves of plates), one a
	// plate that was not there and one a 4-character plate (2861) at
	// night. At 3, a 1280x720 street frame was searched in 39-41 ms
	// (median, four runs) against 35-40 at 5, run in turn; the same plates
	// read but one more and one fewer here and there.
	MinViewChars int
	// MinRoll is the roll, in degrees, from which a box not read surely in
	// its views is read once more turned level (plateRoll): the reader
	// reads a plate rolled 7.5-10 degrees in an upright box about a third
	// less often than a level one (us_street.py --pose).
	MinRoll float64
	// OverlayGap is the distance, in box heights, from the frame's top or
	// bottom edge within which a box is read only when the detector is
	// sure of it (SurePlate): cameras burn their date, time, speed and
	// camera-id overlays in a line of text about its own height or less
	// from the edge, and a plate that close to the edge is of a car close
	// ahead, which the detector is sure of (0.68 or more over the street,
	// night, turned and far sets). The two overlays those sets read as
	// plates, a date (2026.01 read 2OZ601) and a camera id (ID 53811), were
	// boxed at 0.35 and 0.31, 15 px from the bottom edge in boxes 28 and 29
	// px high. A band of the frame's height instead (6%) dropped as well a
	// far car's plate near the top of a BR photo (box 25 px high, 41 px
	// from the edge, 0.49).
	OverlayGap float64
}

// lookInput is the side of the detector's input for a look window: a
// window of LookWindow plate widths shows the plate about 64 px wide.
const lookInput = 256

// DefaultTuning is what the models were validated with (see
// assets/models/README.md).
var DefaultTuning = Tuning{
	DetectWidth:   platedet.DefaultWidth,
	MinScore:      platedet.DefaultMinScore,
	MaxPlates:     platedet.DefaultMaxPlates,
	SurePlate:     0.6,
	VanityRead:    0.95,
	LookWindow:    4,
	MaxLooks:      3,
	FaintScore:    0.15,
	FaintWidth:    26,
	FaintScale:    0.6,
	MaxFaintLooks: 3,
	BigPlate:      160,
	SureRead:      0.98,
	MinViewChars:  5,
	MinRoll:       3,
	OverlayGap:    1,
}

// withDefaults fills t's zero fields from DefaultTuning.
func (t Tuning) withDefaults() Tuning {
	d := DefaultTuning
	orDefault(&t.DetectWidth, d.DetectWidth)
	orDefault(&t.MinScore, d.MinScore)
	orDefault(&t.MaxPlates, d.MaxPlates)
	orDefault(&t.SurePlate, d.SurePlate)
	orDefault(&t.VanityRead, d.VanityRead)
	orDefault(&t.LookWindow, d.LookWindow)
	orDefault(&t.MaxLooks, d.MaxLooks)
	orDefault(&t.FaintScore, d.FaintScore)
	orDefault(&t.FaintWidth, d.FaintWidth)
	orDefault(&t.FaintScale, d.FaintScale)
	orDefault(&t.MaxFaintLooks, d.MaxFaintLooks)
	orDefault(&t.BigPlate, d.BigPlate)
	orDefault(&t.SureRead, d.SureRead)
	orDefault(&t.MinViewChars, d.MinViewChars)
	orDefault(&t.MinRoll, d.MinRoll)
	orDefault(&t.OverlayGap, d.OverlayGap)
	return t
}

func orDefault[T int | float64](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Engine is the Recognizer backed by the plate detector and reader. Its
// networks are shared by up to Options.Workers concurrent searches.
type Engine struct {
	opts   Options
	tune   Tuning
	pack   *plate.Pack
	log    *slog.Logger
	det    *platedet.Detector // whole frames
	half   *platedet.Detector // whole frames at half the scale, for big plates
	look   *platedet.Detector // windows around expected plates
	reader *platereader.Reader
	slots  chan struct{}

	duration prometheus.Histogram
	// Detector passes by kind, resolved once (edge_alpr_detector_passes_total).
	passFrame, passHalf, passTrack, passFaint prometheus.Counter
	reads                                     prometheus.Counter
	plates                                    prometheus.Counter
}

var _ Recognizer = (*Engine)(nil)

// Open checks the options and loads the networks.
func Open(opts Options) (*Engine, error) {
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.TopN == 0 {
		opts.TopN = 5
	}
	if opts.MinChars == 0 {
		opts.MinChars = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers < 1 || opts.Workers > 16 {
		return nil, fmt.Errorf("alpr.workers must be in 1..16, got %d", opts.Workers)
	}
	tune := opts.Tuning.withDefaults()
	if tune.DetectWidth < 320 || tune.DetectWidth > 1920 {
		return nil, fmt.Errorf("alpr.detect_width must be in 320..1920, got %d", tune.DetectWidth)
	}
	pack, err := plate.Lookup(opts.Region)
	if err != nil {
		return nil, fmt.Errorf("alpr.region: %w", err)
	}
	detPath, readPath, err := modelPaths(opts.ModelsDir)
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, tune: tune, pack: pack, log: opts.Logger, slots: make(chan struct{}, opts.Workers)}
	// The whole-frame pass keeps the faint boxes too (search.split).
	e.det, err = platedet.New(detPath, platedet.Options{Width: tune.DetectWidth, MinScore: min(tune.MinScore, tune.FaintScore),
		MaxPlates: tune.MaxPlates + tune.MaxFaintLooks})
	if err != nil {
		return nil, err
	}
	// The half-scale look and the windows get networks of their own, each at
	// one input size: a network whose input changes size reallocates its
	// layers.
	e.half, err = platedet.New(detPath, platedet.Options{Width: tune.DetectWidth / 2, MinScore: tune.MinScore, MaxPlates: tune.MaxPlates})
	if err != nil {
		e.det.Close()
		return nil, err
	}
	e.look, err = platedet.New(detPath, platedet.Options{Width: lookInput, Enlarge: true, MinScore: tune.MinScore, MaxPlates: tune.MaxPlates})
	if err != nil {
		e.det.Close()
		e.half.Close()
		return nil, err
	}
	if e.reader, err = platereader.New(readPath); err != nil {
		e.det.Close()
		e.half.Close()
		e.look.Close()
		return nil, err
	}
	reg := promauto.With(opts.Metrics)
	e.duration = reg.NewHistogram(prometheus.HistogramOpts{
		Name:    "edge_alpr_recognize_seconds",
		Help:    "Time to search one frame for plates (detection and reading).",
		Buckets: []float64{.01, .02, .03, .04, .06, .08, .1, .15, .25, .5, 1},
	})
	passes := reg.NewCounterVec(prometheus.CounterOpts{
		Name: "edge_alpr_detector_passes_total",
		Help: "Plate detector passes, by kind (frame: the whole frame; half: the whole frame again at half the scale, when a plate was too big for the first or it found none; faint: a window around a small box the whole-frame pass was not sure of; track: a window around a plate read in an earlier frame whose pass is not confirmed yet, which the whole-frame pass did not find).",
	}, []string{"pass"})
	e.passFrame, e.passHalf, e.passTrack = passes.WithLabelValues("frame"), passes.WithLabelValues("half"), passes.WithLabelValues("track")
	e.passFaint = passes.WithLabelValues("faint")
	e.reads = reg.NewCounter(prometheus.CounterOpts{
		Name: "edge_alpr_reads_total",
		Help: "Boxes the plate reader read.",
	})
	e.plates = reg.NewCounter(prometheus.CounterOpts{
		Name: "edge_alpr_plates_total",
		Help: "Plates read.",
	})
	opts.Logger.Info("alpr engine ready", "models_dir", opts.ModelsDir, "region", opts.Region,
		"workers", opts.Workers, "detect_width", tune.DetectWidth)
	return e, nil
}

// Close frees the networks. It must not be called while Recognize runs.
func (e *Engine) Close() error {
	return errors.Join(e.det.Close(), e.half.Close(), e.look.Close(), e.reader.Close())
}

// Recognize implements Recognizer. Calls from several goroutines run in
// parallel, up to Options.Workers at a time.
func (e *Engine) Recognize(img gocv.Mat, expected []image.Rectangle) ([]Plate, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("alpr: Recognize needs a non-empty 8-bit BGR frame")
	}
	e.slots <- struct{}{}
	defer func() { <-e.slots }()
	start := time.Now()
	s := newSearch(e, img)
	if err := s.run(expected); err != nil {
		return nil, err
	}
	took := time.Since(start)
	e.duration.Observe(took.Seconds())
	e.passFrame.Inc()
	if s.halved {
		e.passHalf.Inc()
	}
	e.passTrack.Add(float64(s.looks))
	e.passFaint.Add(float64(s.faintLooks))
	e.reads.Add(float64(len(s.found)))
	e.plates.Add(float64(len(s.plates)))
	e.log.Debug("frame searched", "boxes", len(s.found), "looks", s.looks, "faint_looks", s.faintLooks, "crops", s.crops, "plates", len(s.plates),
		"ms", took.Milliseconds())
	return s.plates, nil
}

// Detect finds the boxes a search of img reads, best first, unread: the
// whole-frame pass, the half-scale pass and the closer looks at faint boxes,
// without the tracker's expected plates (edge-agent bench --detector
// measures it).
func (e *Engine) Detect(img gocv.Mat) ([]platedet.Detection, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("alpr: Detect needs a non-empty 8-bit BGR frame")
	}
	e.slots <- struct{}{}
	defer func() { <-e.slots }()
	s := newSearch(e, img)
	if err := s.find(nil); err != nil {
		return nil, err
	}
	return s.found, nil
}

// ReadBox reads box of img as a plate the detector is sure of, without
// detecting (edge-agent bench on a folder of plate crops measures the reader
// and the region's rules alone).
func (e *Engine) ReadBox(img gocv.Mat, box image.Rectangle) (Plate, bool, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return Plate{}, false, errors.New("alpr: ReadBox needs a non-empty 8-bit BGR image")
	}
	e.slots <- struct{}{}
	defer func() { <-e.slots }()
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	box = box.Intersect(frame)
	area := platereader.Trained.Area(box, frame)
	chars, err := e.reader.Read(img, []image.Rectangle{area})
	if err != nil {
		return Plate{}, false, err
	}
	p, ok := e.plateOf(chars[0], platedet.Detection{Box: box, Score: 1})
	if ok {
		p.Sharpness = sharpness(img, area)
	}
	return p, ok, nil
}
