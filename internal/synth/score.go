package synth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// StoredRead is one read a replay of a video stored, as Score sees it.
type StoredRead struct {
	At    time.Duration // capture time of the read's best frame, from frame 0
	Plate string
}

// Verdicts of a pass in a Scorecard.
const (
	VerdictExact  = "exact"  // a read of the pass has the plate's text
	VerdictFolded = "folded" // only with the letter O and the digit 0 taken as one
	VerdictWrong  = "wrong"  // the pass's reads are all near its text but not it
	VerdictMissed = "missed" // no read near the plate's text
)

// nearPlate is the least similarity ([plate.Similar]) of a read to a pass's
// plate for it to be a (wrong) read of that plate rather than other text in
// the picture: the tracker's own bar (two wrong characters of a 5–8
// character plate at most).
const nearPlate = 0.6

// PassResult is how one pass was read.
type PassResult struct {
	Pass    *Pass
	Verdict string   // one of the Verdict constants
	Reads   []string // the texts of the reads of this pass, in time order
}

// ExtraRead is a stored read that is no read of a pass: text in a gap between
// passes, or far from the plate of the pass on screen.
type ExtraRead struct {
	Frame int
	Plate string
	Pass  *Pass // the pass on screen at Frame, nil in a gap
}

// Scorecard sums up how a replay read a video's passes.
type Scorecard struct {
	Passes int
	Exact  int // passes with a read of exactly the plate's text
	Folded int // passes right when O and 0 count as one (Exact included)
	Wrong  int // passes read only with the wrong text
	Missed int // passes without any read of their plate
	// Split counts the passes stored as more than one read.
	Split int
	// Clean counts the passes stored as exactly one read, with the exact text.
	Clean int
	// Others counts the reads of another plate labelled in the photo on
	// screen (Pass.Others; right or wrong, as near it as a pass's own reads
	// must be): a real plate read, scored by its own pass, and no extra read.
	Others int
	Extra  []ExtraRead
	Result []PassResult // one per pass, in order
}

// Percent is the share of passes read exactly, in percent.
func (s Scorecard) Percent() float64 {
	if s.Passes == 0 {
		return 0
	}
	return 100 * float64(s.Exact) / float64(s.Passes)
}

// Score matches the reads of a replay to the passes of the truth. A read
// belongs to the pass on screen in its best frame when its text is at least
// nearPlate similar to the pass's plate; it is one of the photo's other
// plates (Pass.Others) when it is as near one of them, and extra otherwise.
// A pass is right when one of its reads has the plate's text.
func Score(t *Truth, reads []StoredRead) Scorecard {
	sc := Scorecard{Passes: len(t.Passes), Result: make([]PassResult, len(t.Passes))}
	for i := range t.Passes {
		sc.Result[i].Pass = &t.Passes[i]
	}
	rs := slices.Clone(reads)
	slices.SortStableFunc(rs, func(a, b StoredRead) int { return cmp.Compare(a.At, b.At) })
	for _, r := range rs {
		f := int(math.Round(r.At.Seconds() * t.FPS))
		i := slices.IndexFunc(t.Passes, func(p Pass) bool { return f >= p.FirstFrame && f <= p.LastFrame })
		near := func(text string) bool { return plate.Similar(r.Plate, text) >= nearPlate }
		own := i >= 0 && near(t.Passes[i].Plate)
		if !own && i >= 0 && slices.ContainsFunc(t.Passes[i].Others, near) {
			sc.Others++
			continue
		}
		if !own {
			var p *Pass
			if i >= 0 {
				p = &t.Passes[i]
			}
			sc.Extra = append(sc.Extra, ExtraRead{Frame: f, Plate: r.Plate, Pass: p})
			continue
		}
		sc.Result[i].Reads = append(sc.Result[i].Reads, r.Plate)
	}
	for i := range sc.Result {
		pr := &sc.Result[i]
		text := pr.Pass.Plate
		switch {
		case slices.Contains(pr.Reads, text):
			pr.Verdict = VerdictExact
			sc.Exact++
			sc.Folded++
		case slices.ContainsFunc(pr.Reads, func(s string) bool { return plate.Fold(s) == plate.Fold(text) }):
			pr.Verdict = VerdictFolded
			sc.Folded++
		case len(pr.Reads) > 0:
			pr.Verdict = VerdictWrong
			sc.Wrong++
		default:
			pr.Verdict = VerdictMissed
			sc.Missed++
		}
		if len(pr.Reads) > 1 {
			sc.Split++
		}
		if len(pr.Reads) == 1 && pr.Verdict == VerdictExact {
			sc.Clean++
		}
	}
	return sc
}

// unresolvedLabel is an ERRATA.tsv's likely label for a plate flagged
// upstream that no one could read for sure (openalpr-br's OUN4297: O or Q).
// Made the pass's label, no read could match it: the pass would be a miss
// and its plate's right read an extra.
const unresolvedLabel = "?"

// ApplyErrata replaces the plate labels that a dataset's ERRATA.tsv (columns
// image, upstream label, likely correct label, then notes; one header line)
// marks as wrong, in the passes made from those images with that label. It
// returns how many passes it changed; a missing file changes none. A row
// whose likely label is unresolvedLabel changes nothing: the pass keeps the
// upstream label, which the photo bench scores the same photo against.
func (t *Truth) ApplyErrata(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	fix := map[string][2]string{}
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 || f[0] == "" || f[1] == "" || f[2] == "" {
			return 0, fmt.Errorf("errata %s line %d: want image, upstream label and corrected label separated by tabs", path, i+1)
		}
		if f[2] != unresolvedLabel {
			fix[f[0]] = [2]string{f[1], f[2]}
		}
	}
	n := 0
	for i, p := range t.Passes {
		if e, ok := fix[p.Source]; ok && e[0] == p.Plate {
			t.Passes[i].Plate = e[1]
			n++
		}
	}
	return n, nil
}
