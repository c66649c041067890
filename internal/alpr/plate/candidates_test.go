package plate

import (
	"math"
	"strings"
	"testing"
)

// chars builds OCR positions from text with one alternative of probability p each.
func chars(text string, p float64) []Char {
	var out []Char
	for _, r := range text {
		out = append(out, Char{Alts: []Alt{{R: r, P: p}}})
	}
	return out
}

func mustPack(t testing.TB, region string) *Pack {
	t.Helper()
	p, err := Lookup(region)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCandidatesEmpty(t *testing.T) {
	eu := mustPack(t, "eu")
	if got := eu.Candidates(nil, 5); got != nil {
		t.Errorf("Candidates(nil) = %v, want nil", got)
	}
	if got := eu.Candidates(chars("BA123AB", 0.9), 0); got != nil {
		t.Errorf("topN 0: %v, want nil", got)
	}
	junk := []Char{{Alts: []Alt{{R: '-', P: 0.9}, {R: 'a', P: 0.5}}}, {}}
	if got := eu.Candidates(junk, 5); got != nil {
		t.Errorf("positions with no plate character: %v, want nil", got)
	}
}

// A line longer than MaxPositions gives no reading (the fuzzer found one of
// 2,000 positions that took minutes: the work is cubic in the length); one
// at the bound is still read.
func TestCandidatesLongLine(t *testing.T) {
	eu := mustPack(t, "eu")
	at := chars(strings.Repeat("AB12", MaxPositions/4), 0.9)
	if got := eu.Candidates(at, 3); len(got) == 0 {
		t.Errorf("%d positions: no reading", len(at))
	}
	long := chars(strings.Repeat("AB12", MaxPositions/4+1), 0.9)
	if got := eu.Candidates(long, 3); got != nil {
		t.Errorf("%d positions: %d readings, want none", len(long), len(got))
	}
}

func TestCandidatesTopNAndOrder(t *testing.T) {
	in := parseChars(t, []string{"B:0.6 8:0.35", "A:0.7 4:0.2", "1:0.6 I:0.3", "2:0.8 Z:0.1", "3:0.9", "A:0.5 4:0.4", "B:0.7 8:0.2"})
	got := mustPack(t, "eu").Candidates(in, 4)
	if len(got) != 4 {
		t.Fatalf("got %d readings, want 4: %s", len(got), describe(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Conf > got[i-1].Conf {
			t.Errorf("not sorted: %s", describe(got))
		}
	}
	if got[0].Text != "BA123AB" || got[0].Region != "eu" {
		t.Errorf("top = %s, want BA123AB in eu", describe(got[:1]))
	}
}

// TestCandidatesIgnoresInvalid checks that junk alternatives (other
// characters, NaN, out-of-range probabilities) neither appear nor break the
// reading.
func TestCandidatesIgnoresInvalid(t *testing.T) {
	in := chars("ABC1234", 0.9)
	in[0].Alts = append(in[0].Alts, Alt{R: '#', P: 0.99}, Alt{R: 'Q', P: math.NaN()})
	in[3].Alts = append(in[3].Alts, Alt{R: '1', P: 7}) // clamped to 1
	in = append(in, Char{Alts: []Alt{{R: '.', P: 1}}})
	got := mustPack(t, "us").Candidates(in, 3)
	if len(got) == 0 || got[0].Text != "ABC1234" {
		t.Fatalf("top = %s, want ABC1234", describe(got))
	}
	if got[0].CharConfs[3] != 1 {
		t.Errorf("clamped probability: char conf %v, want 1", got[0].CharConfs[3])
	}
}

// TestConfidentReadNotForced is the prototype's lesson: a confident read is
// never bent into another country's layout, whatever the region's formats.
func TestConfidentReadNotForced(t *testing.T) {
	for _, tt := range []struct{ region, text string }{
		{"eu", "WY1238S"}, // Polish, not Slovak WY123BS
		{"eu", "1T43213"}, // Czech
		{"eu", "GWAGEN"},  // vanity
		{"eu", "BIMMIAN"}, // vanity
		{"br", "ABC1D23"}, // 7 characters but neither layout: still read as is
		{"us", "X5"},      // too short for the pack
	} {
		got := mustPack(t, tt.region).Candidates(chars(tt.text, 0.95), 3)
		if len(got) == 0 || got[0].Text != tt.text {
			t.Errorf("%s %s: top = %s", tt.region, tt.text, describe(got))
		}
	}
}

// TestCharConfsOnePerRune pins the Reading contract the tracker relies on.
func TestCharConfsOnePerRune(t *testing.T) {
	in := parseChars(t, []string{"I:0.3 1:0.2", "R:0.9", "K:0.9", "0:0.6 O:0.4", "9:0.9", "9:0.9", "A:0.9", "N:0.9", "1:0.2"})
	for _, r := range mustPack(t, "eu").Candidates(in, 10) {
		if len(r.CharConfs) != len([]rune(r.Text)) {
			t.Errorf("%s: %d char confs", r.Text, len(r.CharConfs))
		}
		if (r.Format == "") != (r.Region == "") {
			t.Errorf("%s: format %q but region %q", r.Text, r.Format, r.Region)
		}
	}
}

func BenchmarkCandidates(b *testing.B) {
	in := parseChars(b, []string{"1:0.3 I:0.2", "R:0.9 P:0.05", "K:0.9 X:0.05", "O:0.6 0:0.35 D:0.03", "9:0.9 8:0.05", "9:0.85 8:0.1", "A:0.9 4:0.06", "N:0.9 H:0.05"})
	for _, region := range []string{"us", "eu", "br"} {
		p := mustPack(b, region)
		b.Run(region, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Candidates(in, 5)
			}
		})
	}
}
