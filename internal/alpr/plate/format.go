package plate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// class is the set of characters a format allows at one position: bit i is
// set for the i-th character of [alphabet].
type class uint64

// alphabet is the plate alphabet, in class bit order.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const (
	letter class = 1<<26 - 1         // A–Z
	digit  class = (1<<10 - 1) << 26 // 0–9
	alnum        = letter | digit    // either
)

// bit is the class bit of r, or 0 when r is outside the plate alphabet.
func bit(r rune) class {
	switch {
	case r >= 'A' && r <= 'Z':
		return 1 << (r - 'A')
	case r >= '0' && r <= '9':
		return 1 << (26 + r - '0')
	}
	return 0
}

// allows reports whether r may stand at a position of class c.
func (c class) allows(r rune) bool { return c&bit(r) != 0 }

// count is the number of text's characters that c allows.
func (c class) count(text string) int {
	n := 0
	for _, r := range text {
		if c.allows(r) {
			n++
		}
	}
	return n
}

// format is one fixed-length plate layout of a pack.
type format struct {
	name    string  // "sk", "de/pl", "br-old", ...
	classes []class // one per character
	slots   []int   // per character, the index of its class in Pack.classes
	weight  float64 // prior of the layout, in (0, 1]; 1 for the specific layouts
	// catchAll marks a permissive pattern that is no layout of the region
	// (see [spec]).
	catchAll bool
}

// spec describes a family of layouts in a small pattern language, expanded to
// fixed-length formats by [expand]: L is a letter, D a digit, A either,
// [...] a set of characters and ranges ([A-HJ0-9]), and each may be followed
// by {n} or {m,n} repetitions ({0,n}: optional).
type spec struct {
	name    string
	pattern string
	weight  float64
	maxLen  int // longest expansion kept; 0 keeps all
	// catchAll marks a pattern that admits texts of no particular layout
	// (vanity plates: any 5–8 characters): a reading fitting only it ranks
	// as a plate text but is not a plate by its syntax ([Reading.Layout]).
	catchAll bool
}

// expand turns a spec into its fixed-length class sequences, in pattern order.
func expand(s spec) ([][]class, error) {
	type token struct {
		c        class
		min, max int
	}
	var toks []token
	p := s.pattern
	for i := 0; i < len(p); i++ {
		var t token
		switch p[i] {
		case 'L':
			t.c = letter
		case 'D':
			t.c = digit
		case 'A':
			t.c = alnum
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("plate: format %q: pattern %q: unclosed '[' at %d", s.name, p, i)
			}
			c, err := parseSet(p[i+1 : i+end])
			if err != nil {
				return nil, fmt.Errorf("plate: format %q: pattern %q: %w", s.name, p, err)
			}
			t.c = c
			i += end
		default:
			return nil, fmt.Errorf("plate: format %q: pattern %q: unexpected %q at %d (want L, D or A)", s.name, p, p[i], i)
		}
		t.min, t.max = 1, 1
		if i+1 < len(p) && p[i+1] == '{' {
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("plate: format %q: pattern %q: unclosed '{' at %d", s.name, p, i+1)
			}
			lo, hi, err := parseRepeat(p[i+2 : i+end])
			if err != nil {
				return nil, fmt.Errorf("plate: format %q: pattern %q: %w", s.name, p, err)
			}
			t.min, t.max = lo, hi
			i += end
		}
		toks = append(toks, t)
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("plate: format %q: empty pattern", s.name)
	}
	var out [][]class
	var walk func(k int, acc []class)
	walk = func(k int, acc []class) {
		if s.maxLen > 0 && len(acc) > s.maxLen {
			return
		}
		if k == len(toks) {
			out = append(out, append([]class(nil), acc...))
			return
		}
		t := toks[k]
		for n := t.min; n <= t.max; n++ {
			next := acc
			for range n {
				next = append(next, t.c)
			}
			walk(k+1, next)
		}
	}
	walk(0, nil)
	if len(out) == 0 {
		return nil, fmt.Errorf("plate: format %q: pattern %q has no layout within %d characters", s.name, p, s.maxLen)
	}
	return out, nil
}

// parseSet parses the inside of [...]: characters of the plate alphabet and
// ranges of them.
func parseSet(s string) (class, error) {
	var c class
	for i := 0; i < len(s); i++ {
		lo, hi := rune(s[i]), rune(s[i])
		if i+2 < len(s) && s[i+1] == '-' {
			hi = rune(s[i+2])
			i += 2
		}
		if bit(lo) == 0 || bit(hi) == 0 || bit(hi) < bit(lo) || (bit(lo)&letter == 0) != (bit(hi)&letter == 0) {
			return 0, fmt.Errorf("bad set [%s]", s)
		}
		for r := lo; r <= hi; r++ {
			c |= bit(r)
		}
	}
	if c == 0 {
		return 0, fmt.Errorf("empty set []")
	}
	return c, nil
}

// parseRepeat parses the inside of {n} or {m,n}.
func parseRepeat(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, ",")
	lo, err = strconv.Atoi(a)
	if err != nil {
		return 0, 0, fmt.Errorf("bad repetition {%s}", s)
	}
	hi = lo
	if found {
		if hi, err = strconv.Atoi(b); err != nil {
			return 0, 0, fmt.Errorf("bad repetition {%s}", s)
		}
	}
	if lo < 0 || hi < max(lo, 1) || hi > 16 {
		return 0, 0, fmt.Errorf("bad repetition {%s} (want 0 ≤ m ≤ n ≤ 16, n ≥ 1)", s)
	}
	return lo, hi, nil
}

// Pack is the set of plate formats of one region. A Pack is immutable and
// safe for concurrent use.
type Pack struct {
	name    string
	formats []format
	classes []class // the distinct classes of the formats; alnum first
	// noFormat is the prior of a reading that fits none of the formats,
	// relative to a specific format's 1: how often a plate of this region is
	// a vanity plate or a foreign one.
	noFormat float64
	// countries are the views of the pack from each country named by its
	// formats (see [Pack.Country]).
	countries map[string]*Pack
	// free bounds the texts that fit no format (see [Pack.Free]).
	free freeText
	// signs are the texts, O/0-folded, that are lines of signs (see
	// [Pack.Sign]).
	signs map[string]bool
	// vanity describes the region's vanity plates (see [Pack.Vanity]).
	vanity vanity
}

// Lookup returns the format pack of a region: "us", "eu" or "br".
func Lookup(region string) (*Pack, error) {
	def, ok := packDefs[region]
	if !ok {
		return nil, fmt.Errorf("plate: unknown region %q (want us, eu or br)", region)
	}
	return newPack(region, def)
}

// newPack expands the specs into formats. Layouts shared by several specs
// (Slovak, Italian and French LLDDDLL, say) become one format whose name lists
// them all, with the highest of their weights.
func newPack(name string, def packDef) (*Pack, error) {
	p := &Pack{name: name, noFormat: def.noFormat, free: def.free, vanity: def.vanity, signs: map[string]bool{}}
	for _, w := range def.signs {
		p.signs[Fold(w)] = true
	}
	index := map[string]int{}
	for _, s := range def.specs {
		if s.weight <= 0 || s.weight > 1 {
			return nil, fmt.Errorf("plate: format %q: weight %v outside (0, 1]", s.name, s.weight)
		}
		layouts, err := expand(s)
		if err != nil {
			return nil, err
		}
		for _, cl := range layouts {
			key := layoutKey(cl)
			i, seen := index[key]
			if !seen {
				index[key] = len(p.formats)
				p.formats = append(p.formats, format{name: s.name, classes: cl, weight: s.weight, catchAll: s.catchAll})
				continue
			}
			f := &p.formats[i]
			f.catchAll = f.catchAll && s.catchAll // a layout somewhere is a layout
			if !strings.Contains("/"+f.name+"/", "/"+s.name+"/") {
				f.name += "/" + s.name
			}
			f.weight = max(f.weight, s.weight)
		}
	}
	p.classes = []class{alnum}
	for i := range p.formats {
		f := &p.formats[i]
		for _, c := range f.classes {
			k := slices.Index(p.classes, c)
			if k < 0 {
				k = len(p.classes)
				p.classes = append(p.classes, c)
			}
			f.slots = append(f.slots, k)
		}
	}
	p.countries = p.countryViews()
	return p, nil
}

// freeText bounds the texts of a region that fit none of its formats but
// may still be whole plates (vanity or foreign plates); zero: any.
type freeText struct {
	minLen, maxLen int // characters
	minDigits      int
}

// Free reports whether text, which fits none of the pack's formats, may
// still be a whole plate of the region rather than a piece of one or a
// word: Brazilian plates, say, all have seven characters, three or four of
// them digits, so 2545X is a plate read in part and CAR8RAX the brand on a
// car's back. Where vanity plates are words of any length (us, eu), every
// text is free.
func (p *Pack) Free(text string) bool {
	f := p.free
	n := len(text)
	return digit.count(text) >= f.minDigits && (f.minLen == 0 || n >= f.minLen) && (f.maxLen == 0 || n <= f.maxLen)
}

// vanity describes the vanity plates of a region, whose text fits none of
// its layouts; zero: a text that fits none is a plate only in a box the
// detector is sure of.
type vanity struct {
	minLetters int     // letters of the text at least
	maxAspect  float64 // width over height of the plate's box at most
}

// Vanity reports whether text, which fits none of the pack's layouts, read
// in a box aspect times as wide as high, may be a vanity plate of the
// region: the region has vanity plates (US states issue them by the
// million), the text has their letters and the box their shape. It says
// nothing of how surely the text was read, which the caller weighs.
func (p *Pack) Vanity(text string, aspect float64) bool {
	v := p.vanity
	if v.minLetters == 0 || aspect > v.maxAspect {
		return false
	}
	return letter.count(text) >= v.minLetters
}

// Sign reports whether text is a line of a road sign or a vehicle marking
// (SPEED, ONEWAY, POLICE), read with O or 0 alike: no plate, even if the
// detector is sure of its box.
func (p *Pack) Sign(text string) bool { return p.signs[Fold(text)] }

// layoutKey spells a layout as its pattern, e.g. "LLDDDLL", with other
// sets in brackets.
func layoutKey(cl []class) string {
	var b strings.Builder
	for _, c := range cl {
		switch c {
		case letter:
			b.WriteByte('L')
		case digit:
			b.WriteByte('D')
		case alnum:
			b.WriteByte('A')
		default:
			b.WriteByte('[')
			for i, r := range alphabet {
				if c&(1<<i) != 0 {
					b.WriteRune(r)
				}
			}
			b.WriteByte(']')
		}
	}
	return b.String()
}

// Name is the region of the pack: "us", "eu" or "br".
func (p *Pack) Name() string { return p.name }

// Match reports the format text fits (the one with the highest weight, the
// first in pack order on a tie) and whether any fits. Text is matched as is:
// no confusion is fixed.
func (p *Pack) Match(text string) (string, bool) {
	f := p.match([]byte(text))
	if f == nil {
		return "", false
	}
	return f.name, true
}

// Layout reports whether text, as is, fits one of the region's plate
// layouts: a format that is not a catch-all (see [Reading.Layout]).
func (p *Pack) Layout(text string) bool {
	for i := range p.formats {
		f := &p.formats[i]
		if !f.catchAll && f.fits([]byte(text)) {
			return true
		}
	}
	return false
}

// fits reports whether text has f's length and each character is allowed
// at its position.
func (f *format) fits(text []byte) bool {
	if len(f.classes) != len(text) {
		return false
	}
	for j, c := range f.classes {
		if !c.allows(rune(text[j])) {
			return false
		}
	}
	return true
}

func (p *Pack) match(text []byte) *format {
	var best *format
	for i := range p.formats {
		f := &p.formats[i]
		if (best == nil || f.weight > best.weight) && f.fits(text) {
			best = f
		}
	}
	return best
}
