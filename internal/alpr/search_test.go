package alpr

import (
	"image"
	"testing"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// TestRankByTheTextsOwnSyntax: of a box's views, the reading whose text
// fits a layout wins over a surer one that fits only the catch-all, even in
// a box the detector is sure of (where Plate.Layout is true for both).
func TestRankByTheTextsOwnSyntax(t *testing.T) {
	whole := Plate{Text: "VJT338", Conf: 0.942, Format: "us", Layout: true,
		Candidates: []plate.Reading{{Text: "VJT338", Conf: 0.942, Format: "us", Layout: true}}}
	cut := Plate{Text: "JT338", Conf: 0.968, Format: "us-any", Layout: true,
		Candidates: []plate.Reading{{Text: "JT338", Conf: 0.968, Format: "us-any"}}}
	none := Plate{Text: "JT33", Conf: 0.99, Layout: true,
		Candidates: []plate.Reading{{Text: "JT33", Conf: 0.99}}}
	if !(rank(whole) > rank(cut) && rank(cut) > rank(none)) {
		t.Errorf("rank: layout %.3f, catch-all %.3f, none %.3f; want them in that order", rank(whole), rank(cut), rank(none))
	}
	s := &search{e: &Engine{tune: DefaultTuning}}
	cut.Conf = 0.99
	if s.sure(cut) {
		t.Error("a reading that fits only the catch-all spares the other views")
	}
	whole.Conf = 0.99
	if !s.sure(whole) {
		t.Error("a layout reading at 0.99 does not spare the other views")
	}
}

// TestVanityWantsOneTextInEveryCrop: a vanity plate (no layout, a box the
// detector was not sure of) is reported only when every crop of its box that
// read anything read its text: a sign's lettering the box cut reads more in
// the wider view. A plate of a layout, or any plate where free text is
// allowed, is reported whatever its crops read.
func TestVanityWantsOneTextInEveryCrop(t *testing.T) {
	vanity := Plate{Text: "SALE50", Conf: 0.99}
	layout := Plate{Text: "ABC1234", Conf: 0.99, Layout: true}
	seen := func(p Plate, texts ...string) reading {
		r := reading{p: p, ok: true}
		for _, text := range texts {
			r.saw(text)
		}
		return r
	}
	strict := &search{e: &Engine{tune: DefaultTuning}}
	free := &search{e: &Engine{tune: DefaultTuning, opts: Options{AllowFreeText: true}}}
	for _, c := range []struct {
		name string
		s    *search
		r    reading
		want bool
	}{
		{"vanity read alike", strict, seen(vanity, "SALE50", "", "SALE50", "SALE50"), true},
		{"vanity read otherwise in one crop", strict, seen(vanity, "SALE5", "SALE50", "SALE5"), false},
		{"layout read otherwise in one crop", strict, seen(layout, "ABC1234", "BC1234"), true},
		{"free text read otherwise in one crop", free, seen(vanity, "SALE5", "SALE50"), true},
		{"nothing read", strict, reading{}, false},
	} {
		if got := c.s.keeps(c.r); got != c.want {
			t.Errorf("%s: keeps %v, want %v", c.name, got, c.want)
		}
	}
}

// A box the detector is not sure of, at the frame's top or bottom edge,
// is an overlay (a date, a camera id) whatever its text reads; the same box
// away from the edges, or one the detector is sure of at the edge (the car
// close ahead), is a plate.
func TestOverlayBandWantsASureBox(t *testing.T) {
	s := &search{e: &Engine{tune: DefaultTuning}, frame: image.Rect(0, 0, 1280, 720)}
	at := func(y int, score float64) reading {
		return reading{p: Plate{Text: "2OZ601", Conf: 0.95, Layout: true, Score: score, Box: image.Rect(26, y, 109, y+28)}, ok: true}
	}
	for _, c := range []struct {
		name string
		r    reading
		want bool
	}{
		{"unsure box at the bottom edge", at(677, 0.35), false},
		{"unsure box at the top edge", at(12, 0.35), false},
		{"unsure box mid-frame", at(400, 0.35), true},
		{"unsure box its height above the bottom edge", at(720-28-28, 0.35), true},
		{"unsure box its height below the top edge", at(28, 0.35), true},
		{"sure box at the bottom edge", at(677, 0.9), true},
	} {
		if got := s.keeps(c.r); got != c.want {
			t.Errorf("%s: keeps %v, want %v", c.name, got, c.want)
		}
	}
}
