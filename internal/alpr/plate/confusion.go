package plate

import (
	"slices"
	"strings"
)

// lookalikes are the letter/digit pairs that plate fonts draw alike, with the
// share of the OCR's belief in one that may be moved to the other when the
// format needs the other class. O and 0 are drawn identically on Slovak and
// Czech plates, I and 1 nearly so; B/8, S/5 and Z/2 differ by a stroke;
// G/6, D/0, Q/0, A/4 and T/7 only in poor images.
var lookalikes = [...]struct {
	letter, digit rune
	k             float64
}{
	{'O', '0', 0.95},
	{'I', '1', 0.85},
	{'B', '8', 0.6},
	{'S', '5', 0.6},
	{'Z', '2', 0.6},
	{'G', '6', 0.5},
	{'D', '0', 0.5},
	{'Q', '0', 0.4},
	{'A', '4', 0.4},
	{'T', '7', 0.3},
}

// likeness is the lookalike factor of a and b: 1 when equal, the table's k
// for a lookalike letter/digit pair (either order), 0 otherwise.
func likeness(a, b rune) float64 {
	if a == b {
		return 1
	}
	for _, l := range lookalikes {
		if (a == l.letter && b == l.digit) || (a == l.digit && b == l.letter) {
			return l.k
		}
	}
	return 0
}

// Fold maps the letter O to the digit 0, for the O/0-folded accuracy metric
// (benchmark labels type O for 0 where plates draw them alike).
func Fold(s string) string { return strings.ReplaceAll(s, "O", "0") }

// Similar is the similarity of two plate texts in [0, 1]: 1 minus their edit
// distance over the longer length, where inserting or deleting a character
// costs 1, replacing it by an unrelated one 1, and by a lookalike (O/0, I/1,
// B/8, ...) 1−k, so O vs 0 costs only 0.05. Two empty texts are similar (1).
func Similar(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	n := max(len(ra), len(rb))
	if n == 0 {
		return 1
	}
	return 1 - align(ra, rb, false)[len(rb)]/float64(n)
}

// Within is how well the shorter of two plate texts matches some run of
// the longer's characters, in [0, 1]: 1 minus the edit distance (costed as
// in Similar) between the shorter and its closest run of the longer, over
// the shorter's length. A reading of part of a plate, O440 of 1B70440 (a
// far plate whose edge characters the reader missed), is within it (1)
// where Similar finds them unlike (0.57). An empty text is within nothing
// (0).
func Within(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	if len(ra) == 0 {
		return 0
	}
	return 1 - slices.Min(align(ra, rb, true))/float64(len(ra))
}

// align is the last row of the edit distance table of a against b (costed
// as in Similar): its j-th value is the least cost of turning all of a into
// b's first j characters, or, with anyStart, into a run of b that ends at
// its j-th character (b's characters before the run cost nothing).
func align(a, b []rune, anyStart bool) []float64 {
	prev := make([]float64, len(b)+1)
	cur := make([]float64, len(b)+1)
	if !anyStart {
		for j := range prev {
			prev[j] = float64(j)
		}
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = float64(i)
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1] + 1 - likeness(a[i-1], b[j-1])
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev
}
