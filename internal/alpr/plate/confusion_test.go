package plate

import (
	"math"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"RKO99AN": "RK099AN", "OYO9FEU": "0Y09FEU", "": "", "AB12": "AB12"} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSimilar(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"RK099AN", "RK099AN", 1},
		{"", "", 1},
		{"ABC", "", 0},
		{"RK099AN", "RKO99AN", 1 - 0.05/7}, // O/0 is nearly the same glyph
		{"ABC1234", "ABCI234", 1 - 0.15/7}, // so is I/1
		{"RK099AN", "RK099AM", 1 - 1.0/7},  // N/M are different letters
		{"RK099AN", "RK09AN", 1 - 1.0/7},   // one missing character
		{"RK099AN", "XRK099AN", 1 - 1.0/8}, // one extra character
		{"RK099AN", "PD722BF", 0},          // another plate: nothing in common
		{"RK099AN", "RK722AN", 1 - 3.0/7},  // another plate of the same district
	}
	for _, tt := range tests {
		got := Similar(tt.a, tt.b)
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Similar(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if back := Similar(tt.b, tt.a); math.Abs(back-got) > 1e-12 {
			t.Errorf("Similar is not symmetric on %q, %q: %v vs %v", tt.a, tt.b, got, back)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"O440", "1B70440", 1 - 0.05/4}, // the plate's last four, O for 0
		{"1B70", "1B70440", 1},          // its first four
		{"B7044", "1B70440", 1},         // its middle
		{"1B7X440", "1B70440", 1 - 1.0/7},
		{"B7X44", "1B70440", 1 - 1.0/5}, // a part read with one wrong character
		{"CMC4", "1B70440", 1 - 3.0/4},  // another plate: one character in common
		{"", "1B70440", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		got := Within(tt.a, tt.b)
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if back := Within(tt.b, tt.a); math.Abs(back-got) > 1e-12 {
			t.Errorf("Within is not symmetric on %q, %q: %v vs %v", tt.a, tt.b, got, back)
		}
	}
}
