package alpr

import (
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
