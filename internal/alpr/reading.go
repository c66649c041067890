package alpr

import (
	"image"
	"strings"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
)

// Reading rules.
const (
	// maxChars is the longest text a plate has (vanity plates, long EU
	// numbers); a longer reading is text around the plate read with it.
	maxChars = 9
	// formatSlack is how much lower (as a ratio of confidences) a reading
	// that fits one of the region's layouts may be than the best reading
	// that fits none, and still be preferred: the reader may add a
	// character for a plate's edge or a sticker, which the format pack
	// drops at a confidence just under the raw reading's.
	formatSlack = 0.9
	// readingsPerKept: the pack is asked for this many readings per reading
	// kept, so that the layout readings among them still fill TopN.
	readingsPerKept = 3
)

// plateOf turns the characters read in a detector's box into a plate, or
// reports that they are none:
//   - the readings are ranked by the region's format pack;
//   - unless the detector is sure of the box (Tuning.SurePlate), the best
//     reading is a vanity plate (vanity), or Options.AllowFreeText, a
//     reading must fit one of the region's layouts,
//     within formatSlack of the reader's best, and a digit of it must be one
//     the reader read as a digit: a sign the detector took for a plate
//     (PIZZA read as P1ZZA) has no plate syntax of its own; and a letter
//     of it one the reader read as a letter: a timestamp read as digits
//     (2026011) is not bent into a plate (Z026011) by its lookalikes;
//   - the best reading must have MinChars to maxChars characters and
//     MinConfidence, and, when it fits no format of the region, be one
//     that the region's plates could be read whole as ([plate.Pack.Free]);
//   - the reader's own text must not be a line of a road sign (SPEED,
//     TAXI; [plate.Pack.Sign]), even in a box the detector is sure of (a
//     sign board looks like a plate), whatever layout its lookalikes would
//     bend it into (TAX1, a German layout).
func (e *Engine) plateOf(chars []plate.Char, d platedet.Detection) (Plate, bool) {
	read := readerText(chars)
	if e.pack.Sign(read) {
		return Plate{}, false
	}
	readings := e.pack.Candidates(chars, e.opts.TopN*readingsPerKept)
	if len(readings) == 0 {
		return Plate{}, false
	}
	free := e.opts.AllowFreeText || d.Score >= e.tune.SurePlate || e.vanity(readings[0], d.Box)
	if !free {
		if readings = plateReadings(readings); len(readings) == 0 {
			return Plate{}, false
		}
	}
	readings = preferFormat(readings)
	readings = readings[:min(len(readings), e.opts.TopN)]
	best := readings[0]
	n := len([]rune(best.Text))
	if n < e.opts.MinChars || n > maxChars || best.Conf < e.opts.MinConfidence {
		return Plate{}, false
	}
	if best.Format == "" && !e.pack.Free(best.Text) {
		return Plate{}, false
	}
	if !free && (hasDigit(best.Text) && !hasDigit(read) || hasLetter(best.Text) && !hasLetter(read)) {
		return Plate{}, false
	}
	return Plate{
		Text: best.Text, Conf: best.Conf, CharConfs: best.CharConfs,
		Box: d.Box, Score: d.Score,
		Region: best.Region, Format: best.Format,
		Layout:     best.Layout || d.Score >= e.tune.SurePlate,
		Candidates: readings,
	}, true
}

// vanity reports whether r, the best reading of a box the detector is not
// sure of, which fits no layout of the region, is read surely enough
// (Tuning.VanityRead), and with the letters and in a box of the shape of the
// region's vanity plates ([plate.Pack.Vanity]), to be one.
func (e *Engine) vanity(r plate.Reading, box image.Rectangle) bool {
	if r.Layout || r.Conf < e.tune.VanityRead || box.Dy() == 0 {
		return false
	}
	return e.pack.Vanity(r.Text, float64(box.Dx())/float64(box.Dy()))
}

// hasDigit reports a digit in the text.
func hasDigit(s string) bool { return strings.IndexFunc(s, isDigit) >= 0 }

// hasLetter reports a letter in the text.
func hasLetter(s string) bool { return strings.IndexFunc(s, isLetter) >= 0 }

func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLetter(r rune) bool { return r >= 'A' && r <= 'Z' }

// readerText is the text of the reader's best character at each position.
func readerText(chars []plate.Char) string {
	var b strings.Builder
	for _, c := range chars {
		if len(c.Alts) > 0 {
			b.WriteRune(c.Alts[0].R)
		}
	}
	return b.String()
}

// plateReadings keeps the readings that fit a layout of the region, when
// the best of them is within formatSlack of the reader's best reading (so
// that preferFormat puts it first); none otherwise: a text whose own reading
// has no plate syntax is no plate, even if a few lookalike swaps could bend
// it into one.
func plateReadings(rs []plate.Reading) []plate.Reading {
	out := rs[:0:0]
	for _, r := range rs {
		if r.Layout {
			out = append(out, r)
		}
	}
	if len(out) == 0 || out[0].Conf < formatSlack*rs[0].Conf {
		return nil
	}
	return out
}

// preferFormat moves to the front the best reading that fits a layout, when
// the readings before it fit none and it is within formatSlack of the first.
func preferFormat(rs []plate.Reading) []plate.Reading {
	for i, r := range rs {
		if r.Format != "" {
			if i > 0 && r.Conf >= formatSlack*rs[0].Conf {
				out := append([]plate.Reading{r}, rs[:i]...)
				return append(out, rs[i+1:]...)
			}
			break
		}
	}
	return rs
}
