package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// runScore is `edge-videogen score`: it matches the reads a replay stored
// (`edge-agent reads --format jsonl`) to the passes of the video's truth and
// prints the scorecard.
func runScore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(stderr)
	truthPath := fs.String("truth", "", "the video's ground truth, FILE.truth.json (required)")
	readsPath := fs.String("reads", "", "the replay's reads as JSON lines, from `edge-agent reads --format jsonl`; - for stdin (required)")
	errata := fs.String("errata", "", "a dataset's ERRATA.tsv: its corrected labels replace the upstream ones")
	clock := fs.String("clock-start", "", "RFC 3339 time the replay gave frame 0 (--clock-start of the replay; default: the truth's start)")
	details := fs.Bool("details", false, "also list each pass not read exactly and each extra read (plate text: test data only)")
	holdout := fs.Int("holdout", 4, "also score every N-th pass apart, as `edge-agent bench --holdout` splits a dataset's photos (0: off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *truthPath == "" || *readsPath == "" || fs.NArg() > 0 {
		return errors.New("score: --truth FILE and --reads FILE are required and no other arguments are taken")
	}
	truth, err := synth.LoadTruth(*truthPath)
	if err != nil {
		return err
	}
	fixed := 0
	if *errata != "" {
		if _, err := os.Stat(*errata); err != nil {
			return fmt.Errorf("score: --errata: %w", err)
		}
		if fixed, err = truth.ApplyErrata(*errata); err != nil {
			return err
		}
	}
	start := truth.Start
	if *clock != "" {
		if start, err = time.Parse(time.RFC3339, *clock); err != nil {
			return fmt.Errorf("score: --clock-start %q: must be an RFC 3339 time such as 2025-06-02T08:00:00Z", *clock)
		}
	}
	reads, err := loadReads(*readsPath, start)
	if err != nil {
		return err
	}
	sc := synth.Score(truth, reads)
	pct := func(n int) string { return fmt.Sprintf("%d (%.1f%%)", n, 100*float64(n)/float64(max(sc.Passes, 1))) }
	fmt.Fprintf(stdout, "passes %d  exact %s  folded %s  wrong %d  missed %d  split %d  clean %s  extra %d  others %d  reads %d  labels fixed by errata %d\n",
		sc.Passes, pct(sc.Exact), pct(sc.Folded), sc.Wrong, sc.Missed, sc.Split, pct(sc.Clean), len(sc.Extra), sc.Others, len(reads), fixed)
	if *holdout > 1 {
		var hold, tune [3]int // passes, exact, folded
		for i, r := range sc.Result {
			h := &tune
			if i%*holdout == 0 {
				h = &hold
			}
			h[0]++
			if r.Verdict == synth.VerdictExact {
				h[1]++
			}
			if r.Verdict == synth.VerdictExact || r.Verdict == synth.VerdictFolded {
				h[2]++
			}
		}
		for _, x := range []struct {
			name string
			n    [3]int
		}{{"tuning", tune}, {"holdout", hold}} {
			p := func(k int) float64 { return 100 * float64(k) / float64(max(x.n[0], 1)) }
			fmt.Fprintf(stdout, "%-8s passes %d  exact %d (%.1f%%)  folded %d (%.1f%%)\n", x.name, x.n[0], x.n[1], p(x.n[1]), x.n[2], p(x.n[2]))
		}
	}
	if !*details {
		return nil
	}
	for _, r := range sc.Result {
		if r.Verdict == synth.VerdictExact && len(r.Reads) == 1 {
			continue
		}
		fmt.Fprintf(stdout, "pass %d\t%s\t%s\t%s\twidth %d px\treads %s\n", r.Pass.Index, r.Pass.Source, r.Pass.Plate,
			r.Verdict, r.Pass.PlateWidthPx, strings.Join(r.Reads, ","))
	}
	for _, e := range sc.Extra {
		on := "gap"
		if e.Pass != nil {
			on = fmt.Sprintf("pass %d (%s)", e.Pass.Index, e.Pass.Plate)
		}
		fmt.Fprintf(stdout, "extra\tframe %d\t%s\ton %s\n", e.Frame, e.Plate, on)
	}
	return nil
}

// loadReads reads the captured_at and plate of each JSON line of path (or
// stdin for "-"), as times from start.
func loadReads(path string, start time.Time) ([]synth.StoredRead, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("score: --reads: %w", err)
		}
		defer f.Close()
		r = f
	}
	reads, err := synth.ParseReads(r, start)
	if err != nil {
		return nil, fmt.Errorf("score: %s: %w", path, err)
	}
	return reads, nil
}
