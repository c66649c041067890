package platereader

import (
	"image"
	"strings"
	"testing"
)

// output builds one crop's output (classes x Steps, class major) whose best
// path is path: one symbol or '-' (blank) per step, each at probability 0.9,
// the rest spread over the runner-up given in alt ('.' for none).
func output(path, alt string) []float32 {
	p := make([]float32, classes*Steps)
	cls := func(r byte) int {
		if r == '-' {
			return 0
		}
		return strings.IndexByte(Symbols, r) + 1
	}
	for t := 0; t < Steps; t++ {
		r := byte('-')
		if t < len(path) {
			r = path[t]
		}
		p[cls(r)*Steps+t] = 0.9
		if t < len(alt) && alt[t] != '.' {
			p[cls(alt[t])*Steps+t] = 0.08
		}
	}
	return p
}

func TestDecode(t *testing.T) {
	chars := Decode(output("AA-B-B11-0", "...8.....O"))
	var got strings.Builder
	for _, c := range chars {
		got.WriteRune(c.Alts[0].R)
	}
	if got.String() != "ABB10" {
		t.Fatalf("Decode = %q, want ABB10 (runs merged, blank separates repeats)", got.String())
	}
	if a := chars[1].Alts; len(a) != 2 || a[1].R != '8' || a[1].P < 0.07 {
		t.Errorf("position 2 alternatives %+v, want B then 8", a)
	}
	if a := chars[4].Alts; len(a) != 2 || a[1].R != 'O' {
		t.Errorf("position 5 alternatives %+v, want 0 then O", a)
	}
	if got := Decode(output("", "")); len(got) != 0 {
		t.Errorf("all blank gave %d characters", len(got))
	}
}

func TestTrainedArea(t *testing.T) {
	frame := image.Rect(0, 0, 1280, 720)
	got := Trained.Area(image.Rect(100, 100, 200, 150), frame)
	if want := image.Rect(94, 94, 206, 156); got != want {
		t.Errorf("Trained.Area = %v, want %v (6%% of the width, 12%% of the height on each side)", got, want)
	}
	if got := Trained.Area(image.Rect(0, 0, 100, 50), frame); got.Min != image.Pt(0, 0) {
		t.Errorf("Trained.Area at the corner = %v, want it inside the frame", got)
	}
}
