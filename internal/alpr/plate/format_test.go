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

func TestPackMatch(t *testing.T) {
	tests := []struct {
		region, text, format string
		ok                   bool
	}{
		{"us", "ABC1234", "us", true},
		{"us", "7ABC123", "us", true},
		{"us", "GWAGEN", "us-any", true}, // vanity: any 5–8 alphanumerics
		{"us", "ABCD", "", false},
		{"eu", "BA123AB", "sk/it/fr", true}, // one layout, several countries
		{"eu", "1B80338", "cz", true},
		{"eu", "4B04979", "cz", true},
		{"eu", "4BA4979", "cz", true}, // later Czech series have a letter third
		{"eu", "4BO4979", "", false},  // but never an O
		{"eu", "WA1234B", "", false},  // Polish plates use no B after the district
		{"eu", "BAB1234", "de/pl", true},
		{"eu", "MKABC123", "de", true}, // German: up to 5 letters and 8 characters
		{"eu", "MKABCD12", "", false},  // but not 6 letters
		{"eu", "OY09FEU", "gb", true},
		{"eu", "M5XSX", "gb", true}, // UK prefix plate M5 XSX
		{"eu", "GWAGEN", "", false},
		{"eu", "rk123ab", "", false}, // lower case is not plate text
		{"br", "OKS0078", "br-old", true},
		{"br", "BRA2E19", "br-mercosul", true},
		{"br", "OKSO078", "", false},
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
		{"L{3,1}", `plate: format "x": pattern "L{3,1}": bad repetition {3,1} (want 1 ≤ m ≤ n ≤ 16)`},
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
	_, err := newPack("t", 0.5, []spec{{name: "x", pattern: "LLL", weight: 1.5}})
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
