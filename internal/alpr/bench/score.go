package bench

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Score sums up the labelled images of a run.
type Score struct {
	Name     string // "all", "tuning" or "holdout"
	Images   int    // labelled images scored
	Exact    int    // best plate equals a label
	Folded   int    // equal once the letter O is mapped to the digit 0
	Detected int    // the best plate's box centre is inside a labelled box
	// Mean, Median and P90 are recognition times over every image scored.
	Mean, Median, P90 time.Duration
}

func score(name string, results []Result) Score {
	s := Score{Name: name}
	var times []time.Duration
	for _, r := range results {
		if len(r.Labels) == 0 {
			continue
		}
		s.Images++
		times = append(times, r.Time)
		if !r.Found {
			continue
		}
		if hit(r.Plate.Box, r.Labels) {
			s.Detected++
		}
		exact, folded := false, false
		for _, l := range r.Labels {
			exact = exact || r.Plate.Text == l.Text
			folded = folded || plate.Fold(r.Plate.Text) == plate.Fold(l.Text)
		}
		if exact {
			s.Exact++
		}
		if folded {
			s.Folded++
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

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// Write prints the score on one line.
func (s Score) Write(w io.Writer) error {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	_, err := fmt.Fprintf(w, "%-8s images %d  exact %.1f%% (%d)  O/0-folded %.1f%% (%d)  detected %.1f%% (%d)  ms mean %.1f median %.1f p90 %.1f\n",
		s.Name, s.Images, pct(s.Exact, s.Images), s.Exact, pct(s.Folded, s.Images), s.Folded,
		pct(s.Detected, s.Images), s.Detected, ms(s.Mean), ms(s.Median), ms(s.P90))
	return err
}
