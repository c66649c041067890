// Package bench measures the plate engine on a folder of photos: a TSV
// line per plate read (best first) with the image's search time, and, where the
// folder has a manifest.tsv, scores. A folder of street scenes (a manifest
// with boxes) is searched as the agent searches a frame; a folder of plate
// crops (a manifest of image, state, plate_text) is read crop by crop, the
// reader and the region's rules alone; with Options.Detector, only the
// detector's boxes are scored.
package bench

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
)

// Engine is what a run measures: alpr.Engine.
type Engine interface {
	alpr.Recognizer
	Detect(img gocv.Mat) ([]platedet.Detection, error)
	ReadBox(img gocv.Mat, box image.Rectangle) (alpr.Plate, bool, error)
}

// Options configure a Run.
type Options struct {
	// Out receives one line per plate read, best first (with Detector, per
	// box found, its plate empty and its confidence the detector's score),
	// or one line with an empty plate for an image with none:
	// image, plate, confidence, x, y, w, h, ms (tab-separated; ms is the
	// image's search, on each of its lines).
	Out io.Writer
	// Progress, when not nil, receives a progress bar redrawn in place.
	Progress io.Writer
	// Holdout, when above 1, also scores every Holdout-th labelled image
	// (the 1st, the Holdout+1-th, ...) apart from the others, so that a part
	// of a set is kept aside from tuning.
	Holdout int
	// Limit, when above 0, stops after that many images.
	Limit int
	// Keep, when not nil, selects the images to run by file name (a split,
	// a video of a set).
	Keep func(image string) bool
	// Detector scores the detector's boxes alone (recall and precision at
	// IoU MatchIoU) instead of the plates read.
	Detector bool
}

// Result is one image's outcome.
type Result struct {
	Image  string
	Plates []alpr.Plate         // the plates read, best first
	Boxes  []platedet.Detection // Options.Detector: the boxes found
	Time   time.Duration
	Labels []Label
}

// Best is the best plate read, and whether there is one.
func (r Result) Best() (alpr.Plate, bool) {
	if len(r.Plates) == 0 {
		return alpr.Plate{}, false
	}
	return r.Plates[0], true
}

// Run measures every .jpg, .jpeg and .png in dir (that opts.Keep keeps), in
// name order, and writes each image's plates (or boxes) to opts.Out. It returns the
// results and the scores (nil scores when dir has no manifest.tsv).
func Run(ctx context.Context, e Engine, dir string, opts Options) ([]Result, []Score, error) {
	m, err := ReadManifest(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		return nil, nil, err
	}
	images, err := listImages(dir, m)
	if err != nil {
		return nil, nil, err
	}
	if opts.Keep != nil {
		images = slices.DeleteFunc(images, func(n string) bool { return !opts.Keep(n) })
		if len(images) == 0 {
			return nil, nil, fmt.Errorf("dataset %q: no image selected", dir)
		}
	}
	if opts.Limit > 0 && opts.Limit < len(images) {
		images = images[:opts.Limit]
	}
	if m.Crops && opts.Detector {
		return nil, nil, fmt.Errorf("dataset %q holds plate crops: there is no detector to score", dir)
	}
	results := make([]Result, 0, len(images))
	for i, name := range images {
		if err := ctx.Err(); err != nil {
			return results, nil, err
		}
		r, err := runOne(e, dir, name, m, opts)
		if err != nil {
			return results, nil, err
		}
		results = append(results, r)
		if err := writeLines(opts.Out, r); err != nil {
			return results, nil, err
		}
		if opts.Progress != nil {
			progress(opts.Progress, i+1, len(images))
		}
	}
	if m.Labels == nil {
		return results, nil, nil
	}
	scores := []Score{score("all", results, opts.Detector)}
	if opts.Holdout > 1 {
		var tune, hold []Result
		k := 0
		for _, r := range results {
			if len(r.Labels) == 0 {
				continue
			}
			if k%opts.Holdout == 0 {
				hold = append(hold, r)
			} else {
				tune = append(tune, r)
			}
			k++
		}
		scores = append(scores, score("tuning", tune, opts.Detector), score("holdout", hold, opts.Detector))
	}
	return results, scores, nil
}

// listImages lists the images of a dataset: its folder's, and those its
// manifest names in subfolders.
func listImages(dir string, m Manifest) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	for name := range m.Labels {
		if strings.Contains(name, "/") {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset %q: no .jpg or .png images", dir)
	}
	slices.Sort(out)
	return out, nil
}

func runOne(e Engine, dir, name string, m Manifest, opts Options) (Result, error) {
	path := filepath.Join(dir, name)
	img := gocv.IMRead(path, gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		return Result{}, fmt.Errorf("%s: cannot decode image", path)
	}
	r := Result{Image: name, Labels: slices.Clone(m.Labels[name])}
	whole := image.Rect(0, 0, img.Cols(), img.Rows())
	if m.Crops {
		for i := range r.Labels {
			r.Labels[i].Box = whole
		}
	}
	start := time.Now()
	var err error
	switch {
	case m.Crops:
		var p alpr.Plate
		var ok bool
		if p, ok, err = e.ReadBox(img, whole); ok {
			r.Plates = []alpr.Plate{p}
		}
	case opts.Detector:
		r.Boxes, err = e.Detect(img)
	default:
		r.Plates, err = e.Recognize(img, nil)
	}
	r.Time = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// writeLines writes r's lines to w (Options.Out); nothing when w is nil.
func writeLines(w io.Writer, r Result) error {
	if w == nil {
		return nil
	}
	ms := float64(r.Time.Microseconds()) / 1000
	line := func(text string, conf float64, b image.Rectangle) error {
		_, err := fmt.Fprintf(w, "%s\t%s\t%.3f\t%d\t%d\t%d\t%d\t%.1f\n", r.Image, text, conf,
			b.Min.X, b.Min.Y, b.Dx(), b.Dy(), ms)
		return err
	}
	// A detector run finds boxes and reads no plate; a search the reverse.
	for _, d := range r.Boxes {
		if err := line("", d.Score, d.Box); err != nil {
			return err
		}
	}
	for _, p := range r.Plates {
		if err := line(p.Text, p.Conf, p.Box); err != nil {
			return err
		}
	}
	if len(r.Boxes)+len(r.Plates) == 0 {
		return line("", 0, image.Rectangle{})
	}
	return nil
}

// progress draws "[=====>    ] 12/108" in place.
func progress(w io.Writer, done, total int) {
	const width = 30
	n := done * width / total
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n < width {
		bar = bar[:n] + ">" + bar[n+1:]
	}
	end := ""
	if done == total {
		end = "\n"
	}
	fmt.Fprintf(w, "\r[%s] %d/%d%s", bar, done, total, end)
}
