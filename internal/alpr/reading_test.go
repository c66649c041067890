package alpr

import (
	"image"
	"testing"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
)

// readerChars spells a reader's output: one string per position, its
// alternatives best first, each a character and its probability.
func readerChars(t *testing.T, pos ...string) []plate.Char {
	t.Helper()
	out := make([]plate.Char, len(pos))
	for i, p := range pos {
		for j := 0; j < len(p); j += 3 {
			if j+2 > len(p) {
				t.Fatalf("position %q: want pairs of a character and a digit of tenths", p)
			}
			out[i].Alts = append(out[i].Alts, plate.Alt{R: rune(p[j]), P: float64(p[j+1]-'0') / 10})
		}
	}
	return out
}

// packEngine is an engine without networks, for plateOf.
func packEngine(t *testing.T, region string) *Engine {
	t.Helper()
	pack, err := plate.Lookup(region)
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{opts: Options{TopN: 5, MinChars: 4}, tune: DefaultTuning, pack: pack}
}

// TestPlateOfWantsTheSyntaxItRead: a box the detector is not sure of is a
// plate only when its reading fits a layout with digits and letters the
// reader read as such, not bent into them by lookalikes.
func TestPlateOfWantsTheSyntaxItRead(t *testing.T) {
	e := packEngine(t, "us")
	unsure := platedet.Detection{Box: image.Rect(10, 10, 60, 30), Score: 0.4}
	sure := platedet.Detection{Box: unsure.Box, Score: 0.9}
	for _, c := range []struct {
		name  string
		chars []plate.Char
		box   platedet.Detection
		want  string // "" for no plate
	}{
		{"a Texas plate", readerChars(t, "B9", "C9", "59", "X9", "49", "89", "99"), unsure, "BC5X489"},
		{"a Maryland plate", readerChars(t, "19", "A9", "B9", "29", "39", "49", "59"), unsure, "1AB2345"},
		// A timestamp read as digits: its 2 is as likely a Z, which fits
		// the layout A123456, but no letter was read.
		{"a timestamp", readerChars(t, "25 Z5", "09", "29", "69", "09", "19", "19"), unsure, ""},
		// A word read as letters: its last four are as likely digits,
		// which fit the layout ABC1234, but no digit was read.
		{"a word", readerChars(t, "G9", "A9", "S9", "B5 85", "O5 05", "S5 55", "S5 55"), unsure, ""},
		{"a word's lookalike, read as digits", readerChars(t, "G9", "A9", "S9", "85 B5", "O5 05", "S5 55", "S5 55"), unsure, "GAS8055"},
		{"a vanity plate, unsure", readerChars(t, "P9", "L9", "T9", "F9", "R9", "M9"), unsure, ""},
		{"a vanity plate, sure", readerChars(t, "P9", "L9", "T9", "F9", "R9", "M9"), sure, "PLTFRM"},
	} {
		p, ok := e.plateOf(c.chars, c.box)
		if got := map[bool]string{true: p.Text}[ok]; got != c.want {
			t.Errorf("%s: plate %q (ok %v), want %q", c.name, p.Text, ok, c.want)
		}
	}
}

// sureChars spells a reading of text read surely, each character at 0.995.
func sureChars(text string) []plate.Char {
	out := make([]plate.Char, len(text))
	for i, r := range text {
		out[i].Alts = []plate.Alt{{R: r, P: 0.995}}
	}
	return out
}

// TestPlateOfVanityInUnsureBox: in a box the detector is not sure of, a
// text that fits no US layout is a vanity plate when it is read surely, has
// letters and its box a US plate's shape; not a sign's lettering (a wider
// box), a timestamp (digits), a text read barely, nor anything in a region
// whose pack has no vanity rule.
func TestPlateOfVanityInUnsureBox(t *testing.T) {
	plateBox := image.Rect(10, 10, 60, 35) // 2:1
	wideBox := image.Rect(10, 10, 160, 60) // 3:1, a line of lettering
	unsure := func(b image.Rectangle) platedet.Detection { return platedet.Detection{Box: b, Score: 0.4} }
	for _, c := range []struct {
		name, region string
		chars        []plate.Char
		box          image.Rectangle
		want         string
	}{
		{"a vanity plate", "us", sureChars("PLTFRM"), plateBox, "PLTFRM"},
		{"a vanity plate with a digit", "us", sureChars("CHICAG0"), plateBox, "CHICAG0"},
		{"lettering", "us", sureChars("PLUMBING"), wideBox, ""},
		{"a timestamp", "us", sureChars("2026011"), plateBox, ""},
		{"a vanity plate read barely", "us", readerChars(t, "P9", "L9", "T9", "F9", "R9", "M9"), plateBox, ""},
		{"a state's name", "us", sureChars("TEXAS"), plateBox, ""},
		{"a word in Brazil", "br", sureChars("PLTFRM"), plateBox, ""},
		{"a plate of a layout", "us", sureChars("ABC1234"), wideBox, "ABC1234"},
	} {
		p, ok := packEngine(t, c.region).plateOf(c.chars, unsure(c.box))
		if got := map[bool]string{true: p.Text}[ok]; got != c.want {
			t.Errorf("%s: plate %q (ok %v), want %q", c.name, p.Text, ok, c.want)
		}
	}
}

// TestPlateOfSureBoxWantsAWholePlate: a box the detector is sure of is read
// as a plate whatever its layout, but not a Brazilian plate read in part, nor
// a word.
func TestPlateOfSureBoxWantsAWholePlate(t *testing.T) {
	e := packEngine(t, "br")
	sure := platedet.Detection{Box: image.Rect(10, 10, 60, 30), Score: 0.9}
	for _, c := range []struct {
		name  string
		chars []plate.Char
		want  string
	}{
		{"a plate", readerChars(t, "P9", "J9", "T9", "29", "99", "09", "59"), "PJT2905"},
		{"a plate read in part", readerChars(t, "29", "59", "49", "59", "X9"), ""},
		{"a brand", readerChars(t, "C9", "A9", "R9", "89", "R9", "A9", "X9"), ""},
		{"a foreign plate", readerChars(t, "A9", "B9", "19", "29", "39", "C9", "D9"), "AB123CD"},
	} {
		p, ok := e.plateOf(c.chars, sure)
		if got := map[bool]string{true: p.Text}[ok]; got != c.want {
			t.Errorf("%s: plate %q (ok %v), want %q", c.name, p.Text, ok, c.want)
		}
	}
}

// TestPlateOfSignIsNoPlate: a line of a road sign is no plate, even in a
// box the detector is sure of and where a lookalike bends it into a layout;
// a vanity plate still is.
func TestPlateOfSignIsNoPlate(t *testing.T) {
	sure := platedet.Detection{Box: image.Rect(10, 10, 60, 30), Score: 0.9}
	for _, c := range []struct {
		region string
		chars  []plate.Char
		want   string
	}{
		{"us", readerChars(t, "S9", "P9", "E9", "E9", "D9"), ""},
		{"us", readerChars(t, "O9", "N9", "E9", "W9", "A9", "Y9"), ""},
		{"us", readerChars(t, "S9", "T9", "09", "P9"), ""}, // O read as 0
		{"eu", readerChars(t, "P9", "O9", "L9", "I9", "C9", "E9"), ""},
		{"eu", readerChars(t, "T9", "A9", "X9", "I9"), ""}, // not TAX1, a German layout
		{"us", readerChars(t, "P9", "L9", "T9", "F9", "R9", "M9"), "PLTFRM"},
		{"eu", readerChars(t, "G9", "W9", "A9", "G9", "E9", "N9"), "GWAGEN"},
	} {
		p, ok := packEngine(t, c.region).plateOf(c.chars, sure)
		if got := map[bool]string{true: p.Text}[ok]; got != c.want {
			t.Errorf("%s %v: plate %q (ok %v), want %q", c.region, c.chars, p.Text, ok, c.want)
		}
	}
}
