package hotlist

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

func list(t *testing.T, csv string, k int) *List {
	t.Helper()
	entries, skipped, err := Parse(strings.NewReader(csv))
	if err != nil || len(skipped) > 0 {
		t.Fatalf("parse: %v %v", skipped, err)
	}
	return New(entries, k)
}

func TestMatch(t *testing.T) {
	l := list(t, "plate,label,priority\nABC1234,stolen,high\n7XYZ890,warrant,low\nOS1B2Z5,look-alikes,medium\nKLM4455,,low\nKLM4456,,high\n", 1)
	for _, tc := range []struct {
		read  string
		want  string // "" for no match
		edits int
	}{
		{"ABC1234", "ABC1234", 0},
		{"abc-1234", "ABC1234", 0}, // normalised
		{"A8C1234", "ABC1234", 0},  // B/8 is free
		{"ABC1235", "ABC1234", 1},  // one substitution
		{"ABC123", "ABC1234", 1},   // one deletion
		{"ABC12345", "ABC1234", 1}, // one insertion
		{"XBC1235", "", 0},         // two edits, tolerance 1
		{"0SIB2Z5", "OS1B2Z5", 0},  // O/0, I/1 free
		{"05182Z5", "OS1B2Z5", 0},  // every pair folded
		{"7XYZ89", "7XYZ890", 1},   // Z/2 then a deletion
		{"KLM4457", "KLM4456", 1},  // tie at 1 edit: the more urgent
		{"QQQQQQQ", "", 0},
		{"", "", 0},
	} {
		m, ok := l.Match(read.Plate(tc.read))
		if tc.want == "" {
			if ok {
				t.Errorf("%q matched %q, want none", tc.read, m.Plate)
			}
			continue
		}
		if !ok || string(m.Plate) != tc.want || m.Edits != tc.edits {
			t.Errorf("%q: got %q (%d edits, %v), want %q (%d edits)", tc.read, m.Plate, m.Edits, ok, tc.want, tc.edits)
		}
	}
	if m, ok := list(t, "ABC1234\n", 0).Match("ABC1235"); ok {
		t.Errorf("max_edits 0 matched %q", m.Plate)
	}
	if m, ok := list(t, "ABC1234\n", 2).Match("XBC1235"); !ok || m.Edits != 2 {
		t.Errorf("max_edits 2: %+v %v", m, ok)
	}
}

// The index finds exactly what a comparison with every entry finds.
func TestMatchAgreesWithBruteForce(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	randomPlate := func() string {
		b := make([]byte, 4+rnd.IntN(5))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	var entries []Entry
	seen := map[string]bool{}
	for len(entries) < 3000 {
		p := randomPlate()
		if !seen[p] {
			seen[p] = true
			entries = append(entries, Entry{Plate: read.Plate(p), Priority: "medium", Line: len(entries) + 1})
		}
	}
	for k := 0; k <= MaxEdits; k++ {
		l := New(entries, k)
		for range 1000 {
			// Reads near an entry, and reads at random.
			q := randomPlate()
			if rnd.IntN(2) == 0 {
				q = mutate(rnd, string(entries[rnd.IntN(len(entries))].Plate), rnd.IntN(k+2), alphabet)
			}
			best := k + 1
			for _, e := range entries {
				best = min(best, editDistance(canonical(q), canonical(string(e.Plate)), k))
			}
			m, ok := l.Match(read.Plate(q))
			switch {
			case best > k && ok:
				t.Fatalf("k=%d %q matched %q at %d edits, brute force finds none", k, q, m.Plate, m.Edits)
			case best <= k && (!ok || m.Edits != best):
				t.Fatalf("k=%d %q: index %v (%d edits), brute force %d edits", k, q, ok, m.Edits, best)
			}
		}
	}
}

// mutate applies n random edits to s.
func mutate(rnd *rand.Rand, s string, n int, alphabet string) string {
	b := []byte(s)
	for range n {
		c := alphabet[rnd.IntN(len(alphabet))]
		switch i := rnd.IntN(len(b) + 1); rnd.IntN(3) {
		case 0:
			b = append(b[:i], append([]byte{c}, b[i:]...)...)
		case 1:
			if i < len(b) && len(b) > 2 {
				b = append(b[:i], b[i+1:]...)
			}
		default:
			if i < len(b) {
				b[i] = c
			}
		}
	}
	return string(b)
}

func TestParseSkipsBadLinesByNumber(t *testing.T) {
	in := "# fleet hotlist\nplate,label,priority\nABC1234,stolen,high\n\nX,too short,high\nDEF5678,bad prio,urgent\n" +
		"GHI9012,\"unclosed,high\nJKL3456,ok\nabc 1234,again,low\nMNO7890,a,b,c\n"
	entries, skipped, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s/%s/%s/%d", e.Plate, e.Label, e.Priority, e.Line))
	}
	if strings.Join(got, " ") != "ABC1234/stolen/high/3 JKL3456/ok/medium/8" {
		t.Errorf("entries %v", got)
	}
	var msgs []string
	for _, s := range skipped {
		msgs = append(msgs, s.Error())
	}
	want := []string{
		"line 5: the plate has 1 letters and digits, want 2 to 12",
		`line 6: priority "urgent" must be one of high, medium, low`,
		`line 7: not CSV: extraneous or missing " in quoted-field`,
		"line 9: repeats the plate of line 3",
		"line 10: has 4 fields, want plate,label,priority",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	for _, m := range msgs {
		if strings.Contains(m, "DEF5678") || strings.Contains(m, "MNO7890") {
			t.Errorf("a skipped line's message holds its plate: %s", m)
		}
	}
}

// The watcher loads the file, reloads it when it changes (a rename over it,
// as editors write), and keeps the list in use when the file goes bad.
func TestWatcherReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hotlist.csv")
	write := func(body string) {
		tmp := filepath.Join(dir, "tmp.csv")
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("ABC1234,stolen,high\n")
	reg := prometheus.NewRegistry()
	w := NewWatcher(config.Hotlist{File: path, MaxEdits: 1, CheckInterval: 10 * time.Millisecond}, nil, reg)
	if _, ok := w.Match("ABC1234"); ok {
		t.Fatal("matched before any load")
	}
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	write("XYZ9876,new,low\nABC1234,stolen,high\n")
	waitFor("the changed file", func() bool { _, ok := w.Match("XYZ9876"); return ok })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor("the failed load", func() bool { return testutil.ToFloat64(w.loads.WithLabelValues("error")) > 0 || w.Len() == 0 })
	w.Reload()
	waitFor("a forced reload that fails", func() bool { return testutil.ToFloat64(w.loads.WithLabelValues("error")) > 0 })
	if _, ok := w.Match("XYZ9876"); !ok || w.Len() != 2 {
		t.Fatalf("the list in use was dropped with the file (%d entries)", w.Len())
	}
	write("ONLY1111\n")
	waitFor("the file back", func() bool { return w.Len() == 1 })
}

// BenchmarkMatch100k is a read matched against 100,000 entries: half near
// an entry, half matching nothing.
func BenchmarkMatch100k(b *testing.B) {
	for _, k := range []int{1, 2} {
		b.Run(fmt.Sprintf("max_edits=%d", k), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(3, 4))
			const alphabet = "ABCDEFGHJKLMNPRTUVWXY0123456789"
			var entries []Entry
			for i := range 100_000 {
				p := make([]byte, 7)
				for j := range p {
					p[j] = alphabet[rnd.IntN(len(alphabet))]
				}
				entries = append(entries, Entry{Plate: read.Plate(p), Priority: "medium", Line: i + 1})
			}
			l := New(entries, k)
			queries := make([]read.Plate, 1024)
			for i := range queries {
				q := mutate(rnd, string(entries[rnd.IntN(len(entries))].Plate), 1, alphabet)
				if i%2 == 1 {
					q = mutate(rnd, q, 4, alphabet)
				}
				queries[i] = read.Plate(q)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l.Match(queries[i%len(queries)])
			}
		})
	}
}
