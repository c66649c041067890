package alpr

import (
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// testKeys is a small dictionary: the plate characters, lower-case letters,
// a dash and a CJK character, in a scrambled order as in the real one.
func testKeys() []string {
	var keys []string
	for _, r := range "中" + "zyxwvutsrqponmlkjihgfedcba" + "-" + plateRunes {
		keys = append(keys, string(r))
	}
	return keys
}

// matrix builds a steps×classes probability matrix; each step puts p on one
// class (by key text, "" for blank) and spreads the rest over the blank.
type step struct {
	key string
	p   float32
	alt string  // optional second class
	q   float32 // its probability
}

func matrix(t *testing.T, a *Alphabet, keys []string, steps []step) []float32 {
	t.Helper()
	idx := map[string]int{"": 0}
	for i, k := range keys {
		idx[k] = i + 1
	}
	m := make([]float32, len(steps)*a.Classes())
	for s, st := range steps {
		row := m[s*a.Classes() : (s+1)*a.Classes()]
		c, ok := idx[st.key]
		if !ok {
			t.Fatalf("no class %q", st.key)
		}
		row[c] += st.p
		if st.alt != "" {
			row[idx[st.alt]] += st.q
		}
		row[0] += 1 - st.p - st.q
	}
	return m
}

func text(chars []plate.Char) string {
	var b strings.Builder
	for _, c := range chars {
		b.WriteRune(c.Alts[0].R)
	}
	return b.String()
}

func TestDecode(t *testing.T) {
	keys := testKeys()
	a, err := NewAlphabet(keys)
	if err != nil {
		t.Fatal(err)
	}
	if a.Classes() != len(keys)+2 {
		t.Fatalf("classes = %d, want keys+blank+space = %d", a.Classes(), len(keys)+2)
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{"repeats merge", []step{{key: "A", p: .9}, {key: "A", p: .8}, {key: "B", p: .9}}, "AB"},
		{"blank separates a double letter", []step{{key: "A", p: .9}, {key: "", p: 1}, {key: "A", p: .9}}, "AA"},
		{"blanks dropped", []step{{key: "", p: 1}, {key: "7", p: .9}, {key: "", p: 1}}, "7"},
		{"dash emits nothing but separates", []step{{key: "1", p: .9}, {key: "-", p: .9}, {key: "1", p: .9}}, "11"},
		{"CJK dropped", []step{{key: "中", p: .95}, {key: "K", p: .9}}, "K"},
		{"lower case counts as upper", []step{{key: "o", p: .5, alt: "O", q: .3}, {key: "1", p: .9}}, "O1"},
		{"upper and lower case add up against the blank", []step{{key: "s", p: .3, alt: "S", q: .3}}, "S"},
		{"all blank", []step{{key: "", p: 1}, {key: "", p: 1}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chars, err := a.Decode(matrix(t, a, keys, tt.steps), len(tt.steps))
			if err != nil {
				t.Fatal(err)
			}
			if got := text(chars); got != tt.want {
				t.Fatalf("decoded %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeAlternatives(t *testing.T) {
	keys := testKeys()
	a, _ := NewAlphabet(keys)
	// A run of three steps: the alternatives come from the step where the
	// run's symbol is most likely.
	steps := []step{{key: "0", p: .5, alt: "O", q: .4}, {key: "0", p: .7, alt: "O", q: .2}, {key: "0", p: .6, alt: "D", q: .3}}
	chars, err := a.Decode(matrix(t, a, keys, steps), len(steps))
	if err != nil {
		t.Fatal(err)
	}
	if len(chars) != 1 {
		t.Fatalf("got %d positions, want 1", len(chars))
	}
	alts := chars[0].Alts
	if len(alts) != 2 || alts[0].R != '0' || alts[1].R != 'O' {
		t.Fatalf("alternatives %+v, want 0 then O", alts)
	}
	if d := alts[0].P - 0.7; d > 1e-6 || d < -1e-6 {
		t.Fatalf("P(0) = %v, want 0.7", alts[0].P)
	}
}

func TestDecodeErrors(t *testing.T) {
	a, _ := NewAlphabet(testKeys())
	if _, err := a.Decode(make([]float32, 10), 3); err == nil || !strings.Contains(err.Error(), "10 values for 3 steps") {
		t.Fatalf("err = %v, want a size mismatch", err)
	}
	if _, err := NewAlphabet([]string{"A", "B"}); err == nil || !strings.Contains(err.Error(), "2 of the 36 plate characters") {
		t.Fatalf("err = %v, want missing characters", err)
	}
	if _, err := NewAlphabet(nil); err == nil {
		t.Fatal("empty key list accepted")
	}
}
