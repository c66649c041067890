package alpr

import (
	"image"
	"testing"
)

// TestStripCountryCode reads the code of drawn strips: codes of the pack's
// countries give the country, others (UA is no EU country) and a strip
// without code give none.
func TestStripCountryCode(t *testing.T) {
	e, _ := openEngine(t, "eu", 1)
	w := &worker{networks: e.sets[0]}
	box := image.Rect(400, 300, 840, 410)
	// The line as the detector boxes it: its characters with a margin.
	line := Candidate{Quad: rectQuad(image.Rect(box.Min.X+box.Dy()*4/11+12, 322, 830, 390))}
	for _, tc := range []struct{ code, want string }{
		{"SK", "sk"}, {"CZ", "cz"}, {"PL", "pl"}, {"D", "de"},
		{"UA", ""}, {"", ""},
	} {
		img := scene(1280, 720, image.Rectangle{}, "")
		drawEUPlateOf(&img, box, "PO2681M", tc.code, euBlue)
		s, ok := findStrip(img, line)
		if !ok {
			img.Close()
			t.Fatalf("%q: no strip found", tc.code)
		}
		got, err := w.country(img, line, s)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("code %q read as country %q, want %q", tc.code, got, tc.want)
		}
	}
}

// TestStripCountryChoosesLayout: the same plate text, PO2681M as drawn (PO
// is Poznań in Poland and Prešov in Slovakia), reads as the Slovak PO268IM
// under an SK strip, and as drawn (a Polish layout) under a PL strip, a
// strip without code and no strip at all.
func TestStripCountryChoosesLayout(t *testing.T) {
	e, _ := openEngine(t, "eu", 1)
	box := image.Rect(420, 420, 860, 530)
	for _, tc := range []struct {
		name, code, want string
		strip            bool
	}{
		{"SK strip", "SK", "PO268IM", true},
		{"PL strip", "PL", "PO2681M", true},
		{"strip without code", "", "PO2681M", true},
		{"no strip", "", "PO2681M", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := scene(1280, 720, image.Rectangle{}, "")
			defer img.Close()
			if tc.strip {
				drawEUPlateOf(&img, box, "PO2681M", tc.code, euBlue)
			} else {
				drawPlate(&img, box, "PO2681M")
			}
			plates, err := e.Recognize(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(plates) != 1 || plates[0].Text != tc.want {
				t.Fatalf("plates %+v, want %s", plates, tc.want)
			}
		})
	}
}
