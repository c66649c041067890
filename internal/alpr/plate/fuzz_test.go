package plate

import (
	"math"
	"strings"
	"testing"
)

// fuzzChars decodes fuzz bytes into OCR positions, two bytes per alternative:
// the first picks the character (bit 7 starts a new position; 0–35 are A–Z
// and 0–9, the rest junk runes) and the second its probability (byte/200, so
// some exceed 1; 255 is NaN).
func fuzzChars(data []byte) []Char {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var out []Char
	for i := 0; i+1 < len(data); i += 2 {
		sel, pb := data[i], data[i+1]
		if sel&0x80 != 0 || len(out) == 0 {
			out = append(out, Char{})
		}
		r := rune(sel&0x7f) + 0x20 // junk: punctuation, lower case, ...
		if k := int(sel & 0x7f); k < len(alphabet) {
			r = rune(alphabet[k])
		}
		p := float64(pb) / 200
		if pb == 255 {
			p = math.NaN()
		}
		c := &out[len(out)-1]
		c.Alts = append(c.Alts, Alt{R: r, P: p})
	}
	return out
}

// FuzzCandidates checks the contract of Candidates on any input: no panic,
// at most topN readings with distinct A–Z0–9 texts, confidences in [0, 1],
// one char confidence per character, best first.
func FuzzCandidates(f *testing.F) {
	f.Add([]byte{0x91, 200, 10, 100, 0x8a, 190, 0x98, 150, 26, 60}, "eu", 5)
	f.Add([]byte{0x80, 255, 0x40, 255, 0x81, 0}, "us", 1)
	f.Add([]byte{0x8e, 120, 26, 110, 0x8a, 200, 0x92, 200, 0x9a, 190, 0x9a, 190, 0x9f, 190, 0x9f, 200}, "br", 20)
	f.Fuzz(func(t *testing.T, data []byte, region string, topN int) {
		p, err := Lookup(region)
		if err != nil {
			p, _ = Lookup("eu")
		}
		topN %= 32
		got := p.Candidates(fuzzChars(data), topN)
		if len(got) > max(topN, 0) {
			t.Fatalf("%d readings for topN %d", len(got), topN)
		}
		seen := map[string]bool{}
		for i, r := range got {
			if r.Text == "" || strings.Trim(r.Text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
				t.Fatalf("reading %d: text %q outside A–Z0–9", i, r.Text)
			}
			if seen[r.Text] {
				t.Fatalf("reading %d: %q twice", i, r.Text)
			}
			seen[r.Text] = true
			if !(r.Conf >= 0 && r.Conf <= 1) {
				t.Fatalf("reading %d: conf %v", i, r.Conf)
			}
			if i > 0 && r.Conf > got[i-1].Conf {
				t.Fatalf("not sorted: %v after %v", r.Conf, got[i-1].Conf)
			}
			if len(r.CharConfs) != len(r.Text) {
				t.Fatalf("reading %d: %d char confs for %q", i, len(r.CharConfs), r.Text)
			}
			for _, c := range r.CharConfs {
				if !(c >= 0 && c <= 1) {
					t.Fatalf("reading %d: char conf %v", i, c)
				}
			}
		}
	})
}
