package plate

import (
	"cmp"
	"math"
	"slices"
)

// choice is one character a position may take, with its probability q: the
// OCR's probability of it plus the probability of each of its lookalikes
// times their lookalike factor k (see [lookalikes]), capped at 1. The pooling
// is the same whatever the format, so a format gains nothing over the raw
// reading where it keeps the OCR's character, and moving to a lookalike
// costs about k: nearly nothing for O/0, a lot for A/4. r == 0 means no
// choice.
type choice struct {
	r rune
	q float64
}

// MaxPositions is the most OCR positions Candidates reads. The work grows
// with the cube of the positions (each dropped position times each
// runner-up times the text built), so it needs a bound: 64 is far above any
// plate and above the 40 steps of the recogniser we ship (320 px input), so
// no real read reaches it.
const MaxPositions = 64

// position is one OCR position, cleaned: the probability of its best
// alternative, and its best two choices for each class of the pack, indexed
// like Pack.classes.
type position struct {
	top    float64
	choose [][2]choice
}

// Candidates returns up to topN readings of chars, best first, with distinct
// texts made only of A–Z and 0–9.
//
// Each reading fixes the text of the whole plate. It is built in one of the
// pack's formats (per position, the most probable character the format's
// class allows, possibly a lookalike of what the OCR preferred), or as the
// raw reading (the OCR's best character per position; its Format is the best
// format it happens to fit, "" when none), or as one of those with one
// position changed to its runner-up. Each is also tried without the first
// character, without the last, without both, and without any single
// position, for the OCR may emit an extra character from a border or a
// screw: a dropped position counts with the probability that it was spurious,
// 1 − its best alternative's probability.
//
// Scoring: the probability of a reading is the product over every OCR
// position of the kept character's q (see [choice]) or the dropped
// position's factor, times the prior of its format (the format's weight, or
// the pack's weight for no format). A lookalike substitution costs through q
// (O for 0 keeps 95% of the belief, A for 4 only 60%), so a format is forced
// only where the OCR's own reading is unlikely or fits no format: a text
// that needs several unlikely substitutions to fit a format loses to the raw
// reading. Conf is that product's geometric mean over the OCR positions: the
// ranking is the same (all readings of one call share the positions) but,
// unlike the product, it does not fall with the plate's length, so one
// threshold serves 5- and 8-character plates; unlike the minimum it still
// ranks readings that share their weakest character. CharConfs are the kept
// characters' q. Alternatives outside A–Z0–9, probabilities outside [0, 1]
// (clamped) and positions with no valid alternative are ignored. A line of
// more than [MaxPositions] valid positions is no plate and gives no reading.
func (p *Pack) Candidates(chars []Char, topN int) []Reading {
	pos := p.clean(chars)
	n := len(pos)
	if n == 0 || n > MaxPositions || topN < 1 {
		return nil
	}
	c := collector{pack: p, pos: pos, n: n, seen: map[string]scored{}}
	for _, v := range variants(pos) {
		c.raw(v)
		for i := range p.formats {
			if f := &p.formats[i]; len(f.classes) == len(v.keep) {
				c.layout(v, f)
			}
		}
	}
	out := make([]scored, 0, len(c.seen))
	for _, s := range c.seen {
		out = append(out, s)
	}
	// Select the topN best in place (topN is small; a full sort of the few
	// hundred readings would cost more than building them).
	k := min(topN, len(out))
	for i := range k {
		best := i
		for j := i + 1; j < len(out); j++ {
			if ranksBefore(&out[j], &out[best]) {
				best = j
			}
		}
		out[i], out[best] = out[best], out[i]
	}
	out = out[:k]
	res := make([]Reading, 0, k)
	for _, s := range out {
		r := s.Reading
		r.Conf = min(1, math.Exp(s.log/float64(n)))
		res = append(res, r)
	}
	return res
}

// ranksBefore orders readings by score, then those with a format first, then
// by text, so that the order is deterministic.
func ranksBefore(a, b *scored) bool {
	if a.log != b.log {
		return a.log > b.log
	}
	if (a.Format == "") != (b.Format == "") {
		return a.Format != ""
	}
	return a.Text < b.Text
}

// clean drops invalid alternatives and empty positions and works out the
// per-class choices of each position.
func (p *Pack) clean(chars []Char) []position {
	var out []position
	for _, ch := range chars {
		var alts []Alt // valid, one per rune, in rune order (a stable sum order)
		for _, a := range ch.Alts {
			if bit(a.R) == 0 || math.IsNaN(a.P) {
				continue
			}
			p := min(1, max(0, a.P))
			if i, found := slices.BinarySearchFunc(alts, a.R, func(x Alt, r rune) int { return cmp.Compare(x.R, r) }); found {
				alts[i].P = max(alts[i].P, p)
			} else {
				alts = slices.Insert(alts, i, Alt{a.R, p})
			}
		}
		if len(alts) == 0 {
			continue
		}
		var ps position
		for _, a := range alts {
			ps.top = max(ps.top, a.P)
		}
		ps.choose = make([][2]choice, len(p.classes))
		for i, c := range p.classes {
			ps.choose[i] = bestTwo(alts, c)
		}
		out = append(out, ps)
	}
	return out
}

// bestTwo returns the two most probable characters of class c at a position
// with the alternatives alts.
func bestTwo(alts []Alt, c class) [2]choice {
	var best [2]choice
	consider := func(r rune) {
		if r == best[0].r || r == best[1].r {
			return
		}
		var q float64
		for _, a := range alts {
			q += likeness(a.R, r) * a.P
		}
		ch := choice{r, min(1, q)}
		switch {
		case better(ch, best[0]):
			best[0], best[1] = ch, best[0]
		case better(ch, best[1]):
			best[1] = ch
		}
	}
	for _, a := range alts {
		if c.allows(a.R) {
			consider(a.R)
		}
		for _, l := range lookalikes {
			if o := other(l.letter, l.digit, a.R); o != 0 && c.allows(o) {
				consider(o)
			}
		}
	}
	return best
}

// other is the lookalike partner of r in the pair (letter, digit), or 0.
func other(letter, digit, r rune) rune {
	switch r {
	case letter:
		return digit
	case digit:
		return letter
	}
	return 0
}

// better orders choices by probability, then by rune for determinism.
func better(a, b choice) bool {
	if b.r == 0 {
		return a.r != 0
	}
	return a.q > b.q || (a.q == b.q && a.r < b.r)
}

// variant is a subset of the OCR positions read as the plate, with the log
// probability that the others were spurious.
type variant struct {
	keep []int
	log  float64
}

// variants are all positions, all but one, and all but the first and last.
func variants(pos []position) []variant {
	n := len(pos)
	drop := func(i int) float64 { return math.Log(1 - pos[i].top) }
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	out := []variant{{keep: all}}
	if n < 2 {
		return out
	}
	for i := range n {
		if l := drop(i); !math.IsInf(l, -1) {
			out = append(out, variant{keep: slices.Delete(slices.Clone(all), i, i+1), log: l})
		}
	}
	if n >= 3 {
		if l := drop(0) + drop(n-1); !math.IsInf(l, -1) {
			out = append(out, variant{keep: all[1 : n-1], log: l})
		}
	}
	return out
}

// scored is a reading with its log probability.
type scored struct {
	Reading
	log float64
}

// collector gathers the readings of one Candidates call, keeping the best
// score per text.
type collector struct {
	pack *Pack
	pos  []position
	n    int
	seen map[string]scored
	buf  []byte // scratch for texts
}

// raw adds the OCR's own reading of v and its single-position runner-ups.
func (c *collector) raw(v variant) {
	c.build(v, make([]int, len(v.keep)), nil) // slot 0 is alnum
}

// layout adds the best reading of v in format f and its runner-ups.
func (c *collector) layout(v variant, f *format) { c.build(v, f.slots, f) }

// build adds the reading of v whose position j is the best choice of the
// class in slot slots[j] (see Pack.classes), then the readings with one
// position at its runner-up. With f nil the format is the best one each text
// fits.
func (c *collector) build(v variant, slots []int, f *format) {
	best := make([]choice, len(v.keep))
	for j, i := range v.keep {
		best[j] = c.pos[i].choose[slots[j]][0]
		if best[j].r == 0 {
			return
		}
	}
	c.add(v, best, f)
	swapped := make([]choice, len(best))
	for j, i := range v.keep {
		if alt := c.pos[i].choose[slots[j]][1]; alt.r != 0 {
			copy(swapped, best)
			swapped[j] = alt
			c.add(v, swapped, f)
		}
	}
}

// add scores one reading and keeps it when its text is new or beats the
// earlier score of the text.
func (c *collector) add(v variant, chs []choice, f *format) {
	text := c.buf[:0] // the plate alphabet is ASCII
	l := v.log
	for _, ch := range chs {
		text = append(text, byte(ch.r))
		l += math.Log(ch.q)
	}
	c.buf = text
	if f == nil {
		f = c.pack.match(text)
	}
	if f != nil {
		l += math.Log(f.weight)
	} else {
		l += math.Log(c.pack.noFormat)
	}
	if old, ok := c.seen[string(text)]; math.IsInf(l, -1) || math.IsNaN(l) || (ok && old.log >= l) {
		return
	}
	r := Reading{Text: string(text), CharConfs: make([]float64, len(chs))}
	for j, ch := range chs {
		r.CharConfs[j] = ch.q
	}
	if f != nil {
		r.Format, r.Region, r.Layout = f.name, c.pack.name, !f.catchAll
	}
	c.seen[r.Text] = scored{r, l}
}
