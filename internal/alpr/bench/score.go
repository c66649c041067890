package bench

import (
	"fmt"
	"image"
	"io"
	"slices"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
)

// MatchIoU is the overlap at which a detector's box counts as finding a
// labelled plate, as detection benchmarks count it.
const MatchIoU = 0.5

// Score sums up the labelled images of a run.
type Score struct {
	Name   string // "all", "tuning" or "holdout"
	Images int    // labelled images scored
	// Top-1: the best plate read in an image.
	Exact    int // equals a label
	Folded   int // equal once the letter O is mapped to the digit 0
	Detected int // its box centre is inside a labelled box
	// Per labelled plate, for scenes with several plates: a plate read at
	// its place (see at) with its text.
	Plates      int // labelled plates
	PlateExact  int // read exactly
	PlateFolded int // read, O/0 folded
	Extra       int // plates read where none is labelled (signs, overlays, unlabelled plates)
	// Options.Detector: the detector's boxes against the labelled plates.
	Detector bool
	Found    int // labelled plates boxed at MatchIoU
	Boxes    int // boxes found
	// Mean, Median and P90 are the times over every image scored.
	Mean, Median, P90 time.Duration
}

func score(name string, results []Result, detector bool) Score {
	s := Score{Name: name, Detector: detector}
	var times []time.Duration
	for _, r := range results {
		if len(r.Labels) == 0 {
			continue
		}
		s.Images++
		s.Plates += len(r.Labels)
		times = append(times, r.Time)
		if detector {
			s.Boxes += len(r.Boxes)
			s.Found += found(r.Boxes, r.Labels)
			continue
		}
		if best, ok := r.Best(); ok {
			s.Detected += b2i(hit(best.Box, r.Labels))
			exact, folded := false, false
			for _, l := range r.Labels {
				exact = exact || best.Text == l.Text
				folded = folded || plate.Fold(best.Text) == plate.Fold(l.Text)
			}
			s.Exact += b2i(exact)
			s.Folded += b2i(folded)
		}
		for _, l := range r.Labels {
			exact, folded := false, false
			for _, p := range r.Plates {
				if at(p.Box, l.Box) {
					exact = exact || p.Text == l.Text
					folded = folded || plate.Fold(p.Text) == plate.Fold(l.Text)
				}
			}
			s.PlateExact += b2i(exact)
			s.PlateFolded += b2i(folded)
		}
		for _, p := range r.Plates {
			if !slices.ContainsFunc(r.Labels, func(l Label) bool { return at(p.Box, l.Box) }) {
				s.Extra++
			}
		}
	}
	if len(times) == 0 {
		return s
	}
	slices.Sort(times)
	var sum time.Duration
	for _, t := range times {
		sum += t
	}
	s.Mean = sum / time.Duration(len(times))
	s.Median = times[len(times)/2]
	s.P90 = times[min(len(times)-1, len(times)*9/10)]
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// at reports that a plate read with box is at the labelled box: its centre
// inside it, or the two overlapping by a third (the labelled boxes of the
// photo sets are loose, with a fixed aspect ratio).
func at(box, label image.Rectangle) bool {
	c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
	return c.In(label) || platedet.IoU(box, label) >= 1.0/3
}

// hit reports that a plate box was found where a label is: the centre of
// box lies inside a labelled box.
func hit(box image.Rectangle, labels []Label) bool {
	c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
	for _, l := range labels {
		if c.In(l.Box) {
			return true
		}
	}
	return false
}

// found counts the labels that a box matches at MatchIoU, each box matching
// one label at most, best overlap first.
func found(boxes []platedet.Detection, labels []Label) int {
	used := make([]bool, len(labels))
	n := 0
	for _, b := range boxes {
		best, bi := 0.0, -1
		for i, l := range labels {
			if v := platedet.IoU(b.Box, l.Box); !used[i] && v > best {
				best, bi = v, i
			}
		}
		if best >= MatchIoU {
			used[bi] = true
			n++
		}
	}
	return n
}

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// Write prints the score on one line.
func (s Score) Write(w io.Writer) error {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if s.Detector {
		_, err := fmt.Fprintf(w, "%-8s images %d  plates %d  recall %.1f%% (%d)  precision %.1f%% (%d of %d)  false per frame %.3f  ms mean %.1f median %.1f p90 %.1f\n",
			s.Name, s.Images, s.Plates, pct(s.Found, s.Plates), s.Found, pct(s.Found, s.Boxes), s.Found, s.Boxes,
			float64(s.Boxes-s.Found)/float64(max(s.Images, 1)), ms(s.Mean), ms(s.Median), ms(s.P90))
		return err
	}
	_, err := fmt.Fprintf(w, "%-8s images %d  exact %.1f%% (%d)  O/0-folded %.1f%% (%d)  detected %.1f%% (%d)  ms mean %.1f median %.1f p90 %.1f  plates %d  read %.1f%% (%d)  folded %.1f%% (%d)  extra %d\n",
		s.Name, s.Images, pct(s.Exact, s.Images), s.Exact, pct(s.Folded, s.Images), s.Folded,
		pct(s.Detected, s.Images), s.Detected, ms(s.Mean), ms(s.Median), ms(s.P90),
		s.Plates, pct(s.PlateExact, s.Plates), s.PlateExact, pct(s.PlateFolded, s.Plates), s.PlateFolded, s.Extra)
	return err
}
