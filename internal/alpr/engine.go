package alpr

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Options configure an Engine. Zero values take the defaults noted.
type Options struct {
	ModelsDir string // folder with det.onnx, rec.onnx, keys.txt; required
	Region    string // format pack: "us", "eu" or "br"; required
	// Workers is the number of frames recognised in parallel. Default 2.
	Workers int
	// Networks is the number of network sets the workers share (at most
	// Workers; default 1). A set takes about 80 MB; the workers of one set
	// take turns on its detector and its recogniser, one call at a time.
	Networks int
	// DetectWidth sets the detector's input: a square of DetectWidth/2
	// pixels (rounded up to a multiple of 32), which the coarse pass fills
	// with the whole area and the zoom and fine passes with parts of it,
	// and the wide detector's, DetectWidth by about 9/16 of it, which takes
	// the first look at a large whole frame (see networks.wideFits).
	// Default 640 (a 320×320 and a 640×352 input).
	DetectWidth int
	// WideLook lets the wide detector take the first look at a large whole
	// frame. It loads when first used and takes about 36 MB: photos (the
	// bench) want it; the agent's video, searched in motion regions and
	// only now and then whole, keeps within its memory without it.
	WideLook      bool
	TopN          int     // readings kept per plate; default 5
	MinChars      int     // shorter readings are dropped; default 4
	MinConfidence float64 // readings below are dropped; default 0
	// AllowFreeText also reports text lines whose reading fits none of the
	// region's plate layouts (only its catch-all, or nothing): vanity and
	// foreign plates, at the price of shop signs, state names and slogans
	// read as plates. It is the negation of alpr.require_layout. By default
	// a text line is a plate only when one of its readings, close to the
	// OCR's best, has the syntax of a plate of the region.
	AllowFreeText bool
	Logger        *slog.Logger          // default: discard
	Metrics       prometheus.Registerer // default: none
}

// Engine is the Recognizer backed by the PP-OCRv4 models.
type Engine struct {
	opts Options
	pack *plate.Pack
	log  *slog.Logger
	// Workers and network sets are made on demand, up to Options.Workers
	// and Options.Networks: a sequential caller (bench) keeps one set of
	// networks in memory.
	slots   chan struct{} // one per worker that may run
	idle    chan *worker
	newNets func() (*networks, error)
	mu      sync.Mutex
	workers int
	sets    []*networks

	duration prometheus.Histogram
	passes   *prometheus.CounterVec
	plates   prometheus.Counter
}

var _ Recognizer = (*Engine)(nil)

// Open checks and loads the models (one worker's networks; the others load
// when concurrent calls first need them).
func Open(opts Options) (*Engine, error) {
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.Networks == 0 {
		opts.Networks = 1
	}
	if opts.DetectWidth == 0 {
		opts.DetectWidth = 640
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
	if opts.Networks < 1 || opts.Networks > opts.Workers {
		return nil, fmt.Errorf("alpr.networks must be in 1..alpr.workers (%d), got %d", opts.Workers, opts.Networks)
	}
	if opts.DetectWidth < 320 || opts.DetectWidth > 1920 {
		return nil, fmt.Errorf("alpr.detect_width must be in 320..1920, got %d", opts.DetectWidth)
	}
	pack, err := plate.Lookup(opts.Region)
	if err != nil {
		return nil, fmt.Errorf("alpr.region: %w", err)
	}
	detPath, recPath, _, err := modelPaths(opts.ModelsDir)
	if err != nil {
		return nil, err
	}
	alphabet, err := LoadAlphabet(opts.ModelsDir)
	if err != nil {
		return nil, err
	}
	width, err := recWidth(opts.ModelsDir)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		opts: opts, pack: pack, log: opts.Logger,
		slots: make(chan struct{}, opts.Workers),
		idle:  make(chan *worker, opts.Workers),
		newNets: func() (*networks, error) {
			return loadNetworks(detPath, recPath, alphabet, width, opts)
		},
	}
	w, err := e.load()
	if err != nil {
		return nil, err
	}
	e.idle <- w
	reg := promauto.With(opts.Metrics)
	e.duration = reg.NewHistogram(prometheus.HistogramOpts{
		Name:    "edge_alpr_recognize_seconds",
		Help:    "Time to recognise the plates of one frame.",
		Buckets: []float64{.01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5},
	})
	e.passes = reg.NewCounterVec(prometheus.CounterOpts{
		Name: "edge_alpr_detector_passes_total",
		Help: "Text detector passes, by pass (track: around a plate read in an earlier frame whose pass is not confirmed yet; coarse, or wide for a large whole frame: every frame; zoom and fine: when the passes before read no good plate).",
	}, []string{"pass"})
	e.plates = reg.NewCounter(prometheus.CounterOpts{
		Name: "edge_alpr_plates_total",
		Help: "Plates read.",
	})
	opts.Logger.Info("alpr engine ready", "models_dir", opts.ModelsDir, "region", opts.Region,
		"workers", opts.Workers, "networks", opts.Networks, "detect_width", opts.DetectWidth)
	return e, nil
}

// load makes a worker, with the next network set in turn, loading the set
// when it is new.
func (e *Engine) load() (*worker, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := e.workers % e.opts.Networks
	if k == len(e.sets) {
		n, err := e.newNets()
		if err != nil {
			return nil, err
		}
		e.sets = append(e.sets, n)
	}
	e.workers++
	return &worker{networks: e.sets[k]}, nil
}

// acquire waits for a free slot and returns an idle worker, loading a new
// one when none is idle.
func (e *Engine) acquire() (*worker, error) {
	e.slots <- struct{}{}
	select {
	case w := <-e.idle:
		return w, nil
	default:
	}
	w, err := e.load()
	if err != nil {
		<-e.slots
		return nil, err
	}
	return w, nil
}

func (e *Engine) release(w *worker) {
	e.idle <- w
	<-e.slots
}

// Close frees the networks. It must not be called while Recognize runs.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, n := range e.sets {
		errs = append(errs, n.close())
	}
	e.sets = nil
	return errors.Join(errs...)
}

// Recognize implements Recognizer. Calls from several goroutines run in
// parallel, up to Options.Workers at a time.
func (e *Engine) Recognize(img gocv.Mat, regions []image.Rectangle) ([]Plate, error) {
	return e.RecognizeExpecting(img, regions, nil)
}

// MaxExpected is the number of expected plates looked for at most per
// frame.
const MaxExpected = 3

// RecognizeExpecting is Recognize told where plates read in earlier frames
// should be now (a tracker's passes not confirmed yet, see
// track.Tracker.Expect; the first MaxExpected of them). Before the search,
// the detector looks at a window around each, three times the plate's width
// or half its input, where a plate too small for a motion region's scale is
// seen large: a plate read once in a lucky frame is read again in the next
// ones, and its pass confirmed, instead of waiting for it to come closer.
// Lines read there are not read again in the search.
func (e *Engine) RecognizeExpecting(img gocv.Mat, regions, expected []image.Rectangle) ([]Plate, error) {
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return nil, errors.New("alpr: Recognize needs a non-empty 8-bit BGR frame")
	}
	start := time.Now()
	w, err := e.acquire()
	if err != nil {
		return nil, err
	}
	defer e.release(w)
	w.detections, w.reads, w.settled = 0, 0, w.settled[:0]

	// A whole frame (a photo, a camera without motion gate) is searched in
	// every pass; motion regions (video) in the coarse and zoom passes only,
	// each over its region at the region's scale: a moving vehicle fills its
	// region, so its plate is large enough there, and a plate missed in one
	// frame is seen again in the next ones.
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	areas, fine := []image.Rectangle{frame}, true
	if len(regions) > 0 {
		areas, fine = searchAreas(regions, frame), false
	}
	plates, seen, err := w.lookExpected(img, expected[:min(len(expected), MaxExpected)], e)
	if err != nil {
		return nil, err
	}
	for _, a := range areas {
		ps, err := w.recognize(img, a, fine, seen, e)
		if err != nil {
			return nil, err
		}
		plates = append(plates, ps...)
	}
	plates = bestPlates(plates)
	took := time.Since(start)
	e.duration.Observe(took.Seconds())
	e.log.Debug("frame recognised", "plates", len(plates), "last_pass", w.lastPass,
		"detections", w.detections, "reads", w.reads, "ms", took.Milliseconds())
	e.plates.Add(float64(len(plates)))
	return plates, nil
}

// bestPlates sorts plates best first and drops those overlapping a better
// one, and the smaller lines of a plate (see furniture).
func bestPlates(ps []Plate) []Plate {
	sort.SliceStable(ps, func(i, j int) bool { return rank(ps[i]) > rank(ps[j]) })
	var out []Plate
next:
	for _, p := range ps {
		for _, k := range out {
			if iou(p.Box, k.Box) > 0.3 {
				continue next
			}
		}
		out = append(out, p)
	}
	kept := out[:0:0]
	for _, p := range out {
		if !slices.ContainsFunc(out, func(q Plate) bool { return furniture(p.Box, q.Box) }) {
			kept = append(kept, p)
		}
	}
	return kept
}

// Plate furniture: a line at most furnitureHeight times as tall as a line
// stacked with it (above or below, overlapping it horizontally by half the
// narrower's width, at most furnitureGap of the taller's height apart) is
// the state name, a slogan or a dealer's line of that plate, not its text:
// the plate's text is the biggest line on its board.
const (
	furnitureHeight = 0.8
	furnitureGap    = 1.0
)

// furniture reports whether the line boxed by a is furniture of the plate
// whose text is boxed by b.
func furniture(a, b image.Rectangle) bool {
	if float64(a.Dy()) > furnitureHeight*float64(b.Dy()) {
		return false
	}
	overlap := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
	if 2*overlap < min(a.Dx(), b.Dx()) {
		return false
	}
	gap := max(a.Min.Y-b.Max.Y, b.Min.Y-a.Max.Y)
	return float64(gap) <= furnitureGap*float64(b.Dy())
}

// rank orders plates: a reading that fits one of the region's layouts
// beats one that fits only its catch-all (such as "us-any": any 5–8
// characters), which beats one that fits none; then one with a digit the
// OCR read as a digit beats one without (an all-letter reading is more
// often a sign than a vanity plate); then confidence decides.
func rank(p Plate) float64 {
	r := p.Conf
	switch {
	case p.Layout:
		r += 4
	case p.Format != "":
		r += 2
	}
	if readDigit(p) {
		r++
	}
	return r
}
