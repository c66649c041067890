// Package hotlist holds the plates a tenant wants to be alerted about and
// matches reads against them: on the normalised plate, with a tolerance of
// a few edited characters, the look-alike characters O/0, I/1, B/8, S/5 and
// Z/2 counted as the same. A list is parsed from CSV (Parse) and searched
// through an index (Match) that stays cheap with 100,000 entries; a Watcher
// reloads the file when it changes.
package hotlist

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/edge-agent/edge-agent/internal/read"
)

// Priorities an entry may have, most urgent first. They are the only
// values of the alert metric's label, so the label's cardinality is fixed.
var Priorities = []string{"high", "medium", "low"}

// DefaultPriority is an entry's priority when its line gives none.
const DefaultPriority = "medium"

// MaxEdits is the largest tolerance Match supports: beyond 2 edits a 7
// character plate matches too many others to be an alert worth sending.
const MaxEdits = 2

// Entry is one listed plate.
type Entry struct {
	Plate    read.Plate // as listed, normalised (A-Z, 0-9)
	Label    string     // the tenant's note: why the plate is listed
	Priority string     // one of Priorities
	Line     int        // line in the file
}

// Match is an entry a read matched and how far it is from the read.
type Match struct {
	Entry
	Edits int // characters substituted, inserted or deleted (look-alikes are free)
}

// List is a parsed hotlist with its index. It is immutable and safe for
// concurrent use.
type List struct {
	entries []Entry
	canon   []string // entries' canonical forms (look-alikes folded)
	k       int      // the tolerance the index was built for
	index   []posting
	seed    maphash.Seed
}

// posting is one segment of one entry in the index: the hash of (entry
// length, segment number, segment text) and the entry.
type posting struct {
	h     uint64
	entry int32
}

// Normalize returns plate text as the agent reads it: upper case letters
// and digits only.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// canonical folds the look-alike characters of normalised text onto one of
// each pair, so that comparing canonical forms counts them as equal.
func canonical(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'O':
			return '0'
		case 'I':
			return '1'
		case 'B':
			return '8'
		case 'S':
			return '5'
		case 'Z':
			return '2'
		}
		return r
	}, s)
}

// New indexes entries for matches within maxEdits (0 to MaxEdits).
//
// The index is the pigeonhole filter: an entry cut into maxEdits+1
// segments that is within maxEdits edits of a read has a segment that
// appears unchanged in the read, shifted by at most maxEdits. Each entry
// is indexed under its segments; a read looks up its substrings at those
// places and checks the few candidates with a bounded edit distance. That
// keeps memory at maxEdits+1 postings per entry (16 bytes each) and a
// match at about a hundred lookups, whatever the list's length.
func New(entries []Entry, maxEdits int) *List {
	maxEdits = min(max(maxEdits, 0), MaxEdits)
	l := &List{entries: entries, k: maxEdits, seed: maphash.MakeSeed()}
	l.canon = make([]string, len(entries))
	for i, e := range entries {
		c := canonical(string(e.Plate))
		l.canon[i] = c
		for s := 0; s <= l.k; s++ {
			start, end := segment(len(c), l.k+1, s)
			l.index = append(l.index, posting{l.hash(len(c), s, c[start:end]), int32(i)})
		}
	}
	slices.SortFunc(l.index, func(a, b posting) int { return cmp.Compare(a.h, b.h) })
	return l
}

// segment returns the bounds of segment s of n near-equal segments of a
// string of length length.
func segment(length, n, s int) (start, end int) {
	return s * length / n, (s + 1) * length / n
}

func (l *List) hash(length, seg int, text string) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	var b [2]byte
	b[0], b[1] = byte(length), byte(seg)
	_, _ = h.Write(b[:])
	_, _ = h.WriteString(text)
	return h.Sum64()
}

// Len is the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Entries returns the entries, in file order.
func (l *List) Entries() []Entry { return slices.Clone(l.entries) }

// Match returns the entry closest to plate (fewest edits, then the most
// urgent priority, then the first in the file), and false when none is
// within the list's tolerance. A nil list matches nothing.
func (l *List) Match(plate read.Plate) (Match, bool) {
	if l == nil || len(l.entries) == 0 {
		return Match{}, false
	}
	q := canonical(Normalize(string(plate)))
	if q == "" {
		return Match{}, false
	}
	best, bestD := -1, l.k+1
	var seen [64]int32 // candidates checked already; a plate rarely has more
	nseen := 0
	for length := max(len(q)-l.k, 1); length <= len(q)+l.k; length++ {
		for s := 0; s <= l.k; s++ {
			start, end := segment(length, l.k+1, s)
			for shift := -l.k; shift <= l.k; shift++ {
				a, b := start+shift, end+shift
				if a < 0 || b > len(q) || a > b {
					continue
				}
				h := l.hash(length, s, q[a:b])
				i, _ := slices.BinarySearchFunc(l.index, h, func(p posting, h uint64) int { return cmp.Compare(p.h, h) })
				for ; i < len(l.index) && l.index[i].h == h; i++ {
					e := l.index[i].entry
					if slices.Contains(seen[:nseen], e) {
						continue
					}
					if nseen < len(seen) {
						seen[nseen] = e
						nseen++
					}
					d := editDistance(q, l.canon[e], l.k)
					if d < bestD || (d == bestD && best >= 0 && better(l.entries[e], l.entries[best])) {
						best, bestD = int(e), d
					}
				}
			}
		}
	}
	if best < 0 {
		return Match{}, false
	}
	return Match{Entry: l.entries[best], Edits: bestD}, true
}

// better reports whether a is the one to report of two entries at the same
// distance: the more urgent, then the earlier in the file.
func better(a, b Entry) bool {
	pa, pb := slices.Index(Priorities, a.Priority), slices.Index(Priorities, b.Priority)
	if pa != pb {
		return pa < pb
	}
	return a.Line < b.Line
}

// editDistance is the Levenshtein distance of a and b, or k+1 when it
// exceeds k (only a band of width 2k+1 is computed).
func editDistance(a, b string, k int) int {
	if d := len(a) - len(b); d > k || -d > k {
		return k + 1
	}
	var buf [2][32]int
	if len(b) >= len(buf[0]) {
		return k + 1 // no plate is this long; Normalize'd input is bounded by the caller
	}
	prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > k {
			return k + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], k+1)
}
