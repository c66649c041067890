// Package bench measures a plate recogniser on a folder of photos: one TSV
// line per image with the best plate and the recognition time, and, where
// the folder has a manifest.tsv, accuracy, detection recall and timing
// figures.
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
)

// Options configure a Run.
type Options struct {
	// Out receives one line per image:
	// image, plate, confidence, x, y, w, h, ms (tab-separated).
	Out io.Writer
	// Progress, when not nil, receives a progress bar redrawn in place.
	Progress io.Writer
	// Holdout, when above 1, also scores every Holdout-th labelled image
	// (the 1st, the Holdout+1-th, ...) apart from the others, so that a part
	// of a set is kept aside from tuning.
	Holdout int
	// Limit, when above 0, stops after that many images.
	Limit int
}

// Result is one image's outcome.
type Result struct {
	Image  string
	Plate  alpr.Plate // the best plate; zero when none was read
	Found  bool
	Time   time.Duration
	Labels []Label
}

// Run recognises every .jpg, .jpeg and .png in dir, in name order, and
// writes a line per image to opts.Out. It returns the results and the
// scores (nil scores when dir has no manifest.tsv).
func Run(ctx context.Context, rec alpr.Recognizer, dir string, opts Options) ([]Result, []Score, error) {
	images, err := listImages(dir)
	if err != nil {
		return nil, nil, err
	}
	if opts.Limit > 0 && opts.Limit < len(images) {
		images = images[:opts.Limit]
	}
	labels, err := ReadManifest(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		return nil, nil, err
	}
	results := make([]Result, 0, len(images))
	for i, name := range images {
		if err := ctx.Err(); err != nil {
			return results, nil, err
		}
		r, err := runOne(rec, filepath.Join(dir, name))
		if err != nil {
			return results, nil, err
		}
		r.Labels = labels[name]
		results = append(results, r)
		if err := writeLine(opts.Out, r); err != nil {
			return results, nil, err
		}
		if opts.Progress != nil {
			progress(opts.Progress, i+1, len(images))
		}
	}
	if labels == nil {
		return results, nil, nil
	}
	scores := []Score{score("all", results)}
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
		scores = append(scores, score("tuning", tune), score("holdout", hold))
	}
	return results, scores, nil
}

func listImages(dir string) ([]string, error) {
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
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset %q: no .jpg or .png images", dir)
	}
	slices.Sort(out)
	return out, nil
}

func runOne(rec alpr.Recognizer, path string) (Result, error) {
	img := gocv.IMRead(path, gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		return Result{}, fmt.Errorf("%s: cannot decode image", path)
	}
	start := time.Now()
	plates, err := rec.Recognize(img, nil)
	r := Result{Image: filepath.Base(path), Time: time.Since(start)}
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if len(plates) > 0 {
		r.Plate, r.Found = plates[0], true
	}
	return r, nil
}

func writeLine(w io.Writer, r Result) error {
	if w == nil {
		return nil
	}
	b := r.Plate.Box
	_, err := fmt.Fprintf(w, "%s\t%s\t%.3f\t%d\t%d\t%d\t%d\t%.1f\n", r.Image, r.Plate.Text, r.Plate.Conf,
		b.Min.X, b.Min.Y, b.Dx(), b.Dy(), float64(r.Time.Microseconds())/1000)
	return err
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

// hit reports that a plate box was found where a label is: the centre of
// box lies inside the labelled box.
func hit(box image.Rectangle, labels []Label) bool {
	c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
	for _, l := range labels {
		if c.In(l.Box) {
			return true
		}
	}
	return false
}
