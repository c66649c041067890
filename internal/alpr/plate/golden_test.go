package plate

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected.json files of the golden cases")

// goldenInput is testdata/golden/<case>/input.json: what the OCR saw and what
// the case is about. Chars holds one string per position, "R:0.93 P:0.04".
type goldenInput struct {
	About   string   `json:"about"`
	Region  string   `json:"region"`
	TopN    int      `json:"top_n"`
	WantTop string   `json:"want_top"` // the text the case exists to prove
	Chars   []string `json:"chars"`
}

func parseChars(t testing.TB, in []string) []Char {
	t.Helper()
	out := make([]Char, len(in))
	for i, s := range in {
		for _, f := range strings.Fields(s) {
			r, p, ok := strings.Cut(f, ":")
			if !ok || len([]rune(r)) != 1 {
				t.Fatalf("position %d: bad alternative %q (want R:0.9)", i, f)
			}
			prob, err := strconv.ParseFloat(p, 64)
			if err != nil {
				t.Fatalf("position %d: bad probability in %q: %v", i, f, err)
			}
			out[i].Alts = append(out[i].Alts, Alt{R: []rune(r)[0], P: prob})
		}
	}
	return out
}

// TestGolden runs every case in testdata/golden and compares the readings with
// expected.json (regenerate with go test -run TestGolden -update, then review
// the diff). Independently of the file, the top reading must be want_top.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "input.json"))
			if err != nil {
				t.Fatal(err)
			}
			var in goldenInput
			if err := json.Unmarshal(raw, &in); err != nil {
				t.Fatalf("input.json: %v", err)
			}
			pack, err := Lookup(in.Region)
			if err != nil {
				t.Fatal(err)
			}
			got := pack.Candidates(parseChars(t, in.Chars), in.TopN)
			if len(got) == 0 || got[0].Text != in.WantTop {
				t.Errorf("top reading = %s, want %q (%s)", describe(got), in.WantTop, in.About)
			}
			want := filepath.Join(dir, "expected.json")
			if *update {
				b, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(want, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			var exp []Reading
			if err := json.Unmarshal(b, &exp); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			if !sameReadings(got, exp) {
				t.Errorf("readings differ from expected.json\ngot:  %s\nwant: %s", describe(got), describe(exp))
			}
		})
	}
}

// sameReadings compares readings, confidences within 1e-9 (floating-point
// results may differ in the last bits between architectures).
func sameReadings(a, b []Reading) bool {
	if len(a) != len(b) {
		return false
	}
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9 }
	for i := range a {
		if a[i].Text != b[i].Text || a[i].Format != b[i].Format || a[i].Region != b[i].Region ||
			!near(a[i].Conf, b[i].Conf) || len(a[i].CharConfs) != len(b[i].CharConfs) {
			return false
		}
		for j := range a[i].CharConfs {
			if !near(a[i].CharConfs[j], b[i].CharConfs[j]) {
				return false
			}
		}
	}
	return true
}

func describe(rs []Reading) string {
	var b bytes.Buffer
	for _, r := range rs {
		fmt.Fprintf(&b, "%s(%s %.3f) ", r.Text, r.Format, r.Conf)
	}
	return b.String()
}
