package alpr

import (
	"errors"
	"fmt"
	"sort"
	"unicode"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// Alphabet maps the recogniser's classes onto the plate alphabet A–Z, 0–9.
// Class 0 is the CTC blank; upper- and lower-case forms of a letter count as
// the same plate character; every other class (punctuation, CJK, space) is
// "other": it emits nothing but separates repeats, as a non-blank would.
type Alphabet struct {
	classes int
	sym     []int8 // class -> 0..35 (plate symbol), -1 other; sym[0] unused (blank)
}

// plateRunes lists the plate symbols in index order.
const plateRunes = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

const (
	numSymbols = len(plateRunes)
	// maxAlts is how many alternatives a position keeps at most.
	maxAlts = 4
	// minAltP drops alternatives less likely than this.
	minAltP = 0.01
)

// NewAlphabet builds the class mapping from the recogniser's dictionary:
// keys[i] is the text of class i+1; the class after the last key is space.
func NewAlphabet(keys []string) (*Alphabet, error) {
	if len(keys) == 0 {
		return nil, errors.New("alpr: empty key list")
	}
	a := &Alphabet{classes: len(keys) + 2, sym: make([]int8, len(keys)+2)}
	for i := range a.sym {
		a.sym[i] = -1
	}
	found := 0
	for i, k := range keys {
		r := []rune(k)
		if len(r) != 1 {
			continue
		}
		u := unicode.ToUpper(r[0])
		for s, pr := range plateRunes {
			if u == pr {
				a.sym[i+1] = int8(s)
				if u == r[0] {
					found++
				}
			}
		}
	}
	if found != numSymbols {
		return nil, fmt.Errorf("alpr: key list has %d of the %d plate characters A-Z, 0-9", found, numSymbols)
	}
	return a, nil
}

// Classes is the number of classes the recogniser must output per step.
func (a *Alphabet) Classes() int { return a.classes }

// Decode turns a steps×classes matrix of probabilities (row-major) into plate
// character positions: per step, the best of blank, each plate symbol (its
// classes summed) and "other"; repeats merged; blanks and others dropped.
// Each position keeps up to four alternatives, best first, taken at the step
// of the run where its best symbol was most likely.
func (a *Alphabet) Decode(probs []float32, steps int) ([]plate.Char, error) {
	if steps <= 0 || len(probs) != steps*a.classes {
		return nil, fmt.Errorf("alpr: decode: %d values for %d steps of %d classes", len(probs), steps, a.classes)
	}
	var (
		out     []plate.Char
		prev    = -2 // class of the previous step: -1 blank, -2 other, 0..35 symbol
		bestP   float64
		symP    [numSymbols]float64
		runBest [numSymbols]float64
	)
	flush := func() {
		if prev >= 0 {
			out = append(out, plate.Char{Alts: alternatives(runBest[:])})
		}
	}
	for t := 0; t < steps; t++ {
		row := probs[t*a.classes : (t+1)*a.classes]
		for i := range symP {
			symP[i] = 0
		}
		other := 0.0
		for c := 1; c < a.classes; c++ {
			if s := a.sym[c]; s >= 0 {
				symP[s] += float64(row[c])
			} else {
				other += float64(row[c])
			}
		}
		cls, p := -1, float64(row[0])
		for s, v := range symP {
			if v > p {
				cls, p = s, v
			}
		}
		if other > p {
			cls = -2
		}
		if cls == prev && cls >= 0 {
			if p > bestP {
				bestP = p
				runBest = symP
			}
			continue
		}
		flush()
		prev = cls
		if cls >= 0 {
			bestP = p
			runBest = symP
		}
	}
	flush()
	return out, nil
}

// alternatives lists the likely symbols of one step, best first.
func alternatives(p []float64) []plate.Alt {
	alts := make([]plate.Alt, 0, maxAlts)
	for s, v := range p {
		if v >= minAltP {
			alts = append(alts, plate.Alt{R: rune(plateRunes[s]), P: v})
		}
	}
	sort.Slice(alts, func(i, j int) bool { return alts[i].P > alts[j].P })
	if len(alts) > maxAlts {
		alts = alts[:maxAlts]
	}
	return alts
}
