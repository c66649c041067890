package plate

import (
	"strings"
	"testing"
)

func TestLookupUnknownRegion(t *testing.T) {
	for _, region := range []string{"", "EU", "de", "us "} {
		_, err := Lookup(region)
		want := `plate: unknown region "` + region + `" (want us, eu or br)`
		if err == nil || err.Error() != want {
			t.Errorf("Lookup(%q) error = %v, want %s", region, err, want)
		}
	}
}

// TestPackMatch: the format a text fits as is, and whether it is one of the
// region's plate layouts (a catch-all such as us-any is not: vanity plates
// and shop signs alike fit it).
func TestPackMatch(t *testing.T) {
	tests := []struct {
		region, text, format string
		ok, layout           bool
	}{
		{"us", "ABC1234", "us", true, true},
		{"us", "7ABC123", "us", true, true},
		{"us", "GWAGEN", "us-any", true, false}, // vanity: any 5–8 alphanumerics
		{"us", "BAKERY", "us-any", true, false}, // and so does a shop sign
		{"us", "ABCD", "", false, false},
		{"eu", "BA123AB", "sk/it/fr", true, true}, // one layout, several countries
		{"eu", "1B80338", "cz", true, true},
		{"eu", "4B04979", "cz", true, true},
		{"eu", "4BA4979", "cz", true, true}, // later Czech series have a letter third
		{"eu", "4BO4979", "", false, false}, // but never an O
		{"eu", "WA1234B", "", false, false}, // Polish plates use no B after the district
		{"eu", "BAB1234", "de", true, true}, // also Polish (LLLDDDD)
		{"eu", "DAEWO0", "", false, false},  // a German number never starts with 0: a badge
		{"eu", "LADA10", "de", true, true},
		{"eu", "N0RTH", "", false, false}, // nor an old UK serial
		{"eu", "N1RTH", "gb", true, true},
		{"eu", "MKABC123", "de", true, true}, // German: up to 5 letters and 8 characters
		{"eu", "MKABCD12", "", false, false}, // but not 6 letters
		{"eu", "OY09FEU", "gb", true, true},
		{"eu", "M5XSX", "gb", true, true}, // UK prefix plate M5 XSX
		{"eu", "GWAGEN", "", false, false},
		{"eu", "rk123ab", "", false, false}, // lower case is not plate text
		{"br", "OKS0078", "br-old", true, true},
		{"br", "BRA2E19", "br-mercosul", true, true},
		{"br", "OKSO078", "", false, false},
	}
	for _, tt := range tests {
		p, err := Lookup(tt.region)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := p.Match(tt.text)
		if f != tt.format || ok != tt.ok {
			t.Errorf("%s Match(%q) = %q, %v; want %q, %v", tt.region, tt.text, f, ok, tt.format, tt.ok)
		}
		if got := p.Layout(tt.text); got != tt.layout {
			t.Errorf("%s Layout(%q) = %v, want %v", tt.region, tt.text, got, tt.layout)
		}
	}
}

// TestCandidatesLayoutFlag: a reading's Layout tells a plate's syntax from
// the catch-all's, also when the OCR read a plate with a lookalike.
func TestCandidatesLayoutFlag(t *testing.T) {
	us := mustPack(t, "us")
	for _, tt := range []struct {
		text, want string
		layout     bool
	}{
		{"ABC1234", "ABC1234", true},
		{"ABC1O34", "ABC1034", true}, // O read where the layout wants a digit
		{"PHARMACY", "PHARMACY", false},
		{"LE50OFF", "LE50OFF", false},
		{"SALE50", "SALE50", true}, // a sign may have a plate's syntax (ABCD12, Florida)
		// I, O and Q read as such fit the layouts of the states that issue
		// them; a 0 read at a letter position stays a 0 (usIOQ).
		{"NOX226", "NOX226", true},
		{"576PBQ", "576PBQ", true},
		{"6LIK274", "6LIK274", true},
		{"N0X226", "N0X226", false},
	} {
		got := us.Candidates(chars(tt.text, 0.95), 1)
		if len(got) == 0 || got[0].Text != tt.want || got[0].Layout != tt.layout {
			t.Errorf("Candidates(%s) = %s, want %s with Layout %v", tt.text, describe(got), tt.want, tt.layout)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := expand(spec{name: "x", pattern: "L{1,2}D{2}A", maxLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cl := range got {
		names = append(names, layoutKey(cl))
	}
	if s := strings.Join(names, " "); s != "LDDA" {
		t.Errorf("expand = %s, want LDDA (LLDDA is longer than 4)", s)
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"LLX", `plate: format "x": pattern "LLX": unexpected 'X' at 2 (want L, D or A)`},
		{"L{2", `plate: format "x": pattern "L{2": unclosed '{' at 1`},
		{"L{3,1}", `plate: format "x": pattern "L{3,1}": bad repetition {3,1} (want 0 ≤ m ≤ n ≤ 16, n ≥ 1)`},
		{"LD{0}", `plate: format "x": pattern "LD{0}": bad repetition {0} (want 0 ≤ m ≤ n ≤ 16, n ≥ 1)`},
		{"D{a}", `plate: format "x": pattern "D{a}": bad repetition {a}`},
		{"", `plate: format "x": empty pattern`},
		{"L{9}", `plate: format "x": pattern "L{9}" has no layout within 8 characters`},
	}
	for _, tt := range tests {
		_, err := expand(spec{name: "x", pattern: tt.pattern, maxLen: 8})
		if err == nil || err.Error() != tt.want {
			t.Errorf("expand(%q) error = %v, want %s", tt.pattern, err, tt.want)
		}
	}
}

func TestNewPackBadWeight(t *testing.T) {
	_, err := newPack("t", packDef{noFormat: 0.5, specs: []spec{{name: "x", pattern: "LLL", weight: 1.5}}})
	if want := `plate: format "x": weight 1.5 outside (0, 1]`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// TestShippedPacksBuild guards the pack definitions themselves: every region
// expands, and every weight is a prior in (0, 1].
func TestShippedPacksBuild(t *testing.T) {
	for region, def := range packDefs {
		p, err := Lookup(region)
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		if p.Name() != region || len(p.formats) == 0 || def.noFormat <= 0 || def.noFormat > 1 {
			t.Errorf("%s: name %q, %d formats, noFormat %v", region, p.Name(), len(p.formats), def.noFormat)
		}
	}
}

func TestFree(t *testing.T) {
	for _, c := range []struct {
		region, text string
		want         bool
	}{
		{"br", "2545X", false},   // a plate read in part: Brazilian plates have 7 characters
		{"br", "CARBRAX", false}, // a brand: Brazilian plates have digits
		{"br", "CAR8RAX", false}, // three at least
		{"br", "ABC12345", false},
		{"br", "AB12CD3", true}, // 7 characters with digits: a foreign plate
		{"eu", "IK16", true},    // EU layouts as short exist (de: M AB 1)
		{"eu", "GWAGEN", true},  // vanity plates without digits exist
		{"us", "PLTFRM", true},  // vanity plates are words
		{"us", "72LY", true},
	} {
		p, err := Lookup(c.region)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Free(c.text); got != c.want {
			t.Errorf("%s Free(%q) = %v, want %v", c.region, c.text, got, c.want)
		}
	}
}
