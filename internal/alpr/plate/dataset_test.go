package plate

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/dataset"
)

// datasetsDir holds the benchmark sets (openalpr-eu, openalpr-br); they are
// read in place, never copied into the repository: $EDGE_AGENT_DATASETS, or
// ../shared/datasets beside the repository.
func datasetsDir(t *testing.T) string {
	dir := os.Getenv("EDGE_AGENT_DATASETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "datasets")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("benchmark datasets not available (%v); set EDGE_AGENT_DATASETS", err)
	}
	return dir
}

// labels returns the plate texts of a set, corrected by its ERRATA where the
// correction is known.
func labels(t *testing.T, set string) []string {
	t.Helper()
	dir := filepath.Join(datasetsDir(t), set)
	fix := map[string]string{}
	for _, row := range readTSV(t, filepath.Join(dir, "ERRATA.tsv")) {
		if len(row) > 2 && row[2] != "?" && row[1] != "(none)" {
			fix[row[1]] = row[2]
		}
	}
	m, err := dataset.Read(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range m.Rows {
		text := row.Text
		if c, ok := fix[text]; ok {
			text = c
		}
		out = append(out, text)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no labels", set)
	}
	return out
}

func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if !first {
			rows = append(rows, strings.Split(sc.Text(), "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestDatasetLabels runs the real benchmark plate texts through their
// region's pack. A confident read must come back unchanged, up to O/0 (the
// labels type O for 0 in places): the pack never corrupts another character.
// A read where the OCR prefers the wrong one of every O/0 and I/1 pair must
// come back exactly right whenever the label fits a format of the pack.
func TestDatasetLabels(t *testing.T) {
	for region, set := range map[string]string{"eu": "openalpr-eu", "br": "openalpr-br"} {
		p := mustPack(t, region)
		fixed, formatted := 0, 0
		for _, label := range labels(t, set) {
			clean := p.Candidates(chars(label, 0.95), 1)
			if len(clean) == 0 || Fold(clean[0].Text) != Fold(label) {
				t.Errorf("%s: clean read of a label came back as %s", region, describe(clean))
			}
			if _, ok := p.Match(label); !ok {
				continue
			}
			formatted++
			noisy := make([]Char, 0, len(label))
			for _, r := range label {
				c := Char{Alts: []Alt{{R: r, P: 0.9}}}
				for _, pair := range [][2]rune{{'O', '0'}, {'0', 'O'}, {'I', '1'}, {'1', 'I'}} {
					if r == pair[0] {
						c.Alts = []Alt{{R: pair[1], P: 0.55}, {R: r, P: 0.4}}
					}
				}
				noisy = append(noisy, c)
			}
			if got := p.Candidates(noisy, 1); len(got) > 0 && got[0].Text == label {
				fixed++
			} else {
				t.Logf("%s: O/0 and I/1 swaps of a label came back as %s", region, describe(got))
			}
		}
		t.Logf("%s: %d of %d formatted labels read exactly despite O/0 and I/1 swaps", region, fixed, formatted)
		if fixed*100 < formatted*95 {
			t.Errorf("%s: only %d of %d formatted labels survive O/0 and I/1 swaps, want ≥ 95%%", region, fixed, formatted)
		}
	}
}
