package alpr

import (
	"gocv.io/x/gocv"
)

// The EU country strip: a blue band, about as tall as the plate board
// (some 1.4 times its text's height) and half as wide as the text is tall,
// at the board's left edge, a little before the first character. A text
// line with one is a plate even when its text fits none of the country
// layouts (show plates, personalised and foreign plates of the EU): shop
// signs, badges and road signs do not carry it.
const (
	// stripReach is how far left of a line's box, in line heights, the
	// strip is looked for: its far edge lies up to about 1.4 line heights
	// away, and a band of blue that reaches farther is something else.
	stripReach = 1.8
	// stripPadY grows the looked-at band above and below the line, as a
	// share of its height: the strip is taller than the characters.
	stripPadY = 0.2
	// stripHeight is the crop height the check works at, in pixels.
	stripHeight = 24
	// stripColumn is the share of a column's pixels that must be strip blue
	// for the column to belong to the strip.
	stripColumn = 0.4
	// stripMinW and stripMaxW bound the strip's width in line heights.
	stripMinW, stripMaxW = 0.25, 1.1
	// textBlue is the most strip blue the line itself may hold: on a blue
	// sign the text's ground is blue too.
	textBlue = 0.15
)

// stripRegion lists the regions whose plates may carry the EU strip.
var stripRegion = map[string]bool{"eu": true}

// stripBlue reports a pixel of the EU strip's blue in OpenCV's HSV (hue
// 0–180): hues of blue, saturated, not black.
func stripBlue(h, s, v uint8) bool {
	return h >= 95 && h <= 130 && s >= 90 && v >= 45
}

// strip is where a country strip lies in the crop stripScan looks at (the
// line grown by stripReach line heights left and right and stripPadY above
// and below): its left and right edges as shares of the crop's width.
type strip struct{ from, to float64 }

// findStrip returns the EU country strip on the left of the text line c of
// img, if it has one.
func findStrip(img gocv.Mat, c Candidate) (strip, bool) {
	ground, width, s := stripScan(img, c)
	return s, ground >= 0 && ground <= textBlue && width >= stripMinW && width <= stripMaxW
}

// stripBand cuts out the band a strip is looked for in around the text
// line c (the line grown by stripReach line heights left and right and
// stripPadY above and below), height pixels tall, and returns it with its
// horizontal padding as a share of the line's width.
func stripBand(img gocv.Mat, c Candidate, height int) (gocv.Mat, float64) {
	w0, h0 := c.size()
	padX := stripReach * h0 / w0
	return Rectify(img, c.Quad, height, padX, stripPadY), padX
}

// stripScan measures, around the text line c, the share of strip blue in
// the line's own ground and the width, in line heights, of the widest band
// of strip blue left of it, and where that band lies (-1, -1 when the line
// is too small to look at).
func stripScan(img gocv.Mat, c Candidate) (ground, width float64, s strip) {
	w0, h0 := c.size()
	if w0 < 1 || h0 < 4 {
		return -1, -1, strip{}
	}
	crop, padX := stripBand(img, c, stripHeight)
	defer crop.Close()
	hsv := gocv.NewMat()
	defer hsv.Close()
	gocv.CvtColor(crop, &hsv, gocv.ColorBGRToHSV)
	data, err := hsv.DataPtrUint8()
	if err != nil || !hsv.IsContinuous() {
		return -1, -1, strip{}
	}
	cols, rows := hsv.Cols(), hsv.Rows()
	blue := func(x, y int) bool {
		i := 3 * (y*cols + x)
		return stripBlue(data[i], data[i+1], data[i+2])
	}
	// Crop pixels per line height, and where the line itself begins.
	unit := float64(rows) / (1 + 2*stripPadY)
	left := int(float64(cols) * padX / (1 + 2*padX))
	// The line's own ground: the share of blue in it.
	n, nb := 0, 0
	for y := 0; y < rows; y++ {
		for x := left; x < cols-left; x++ {
			n++
			if blue(x, y) {
				nb++
			}
		}
	}
	if n == 0 {
		return -1, -1, strip{}
	}
	// The widest run of strip columns left of the line (reaching a little
	// into its box, which the detector may have drawn over the strip), not
	// counting a run from the crop's left edge: a strip ends on both sides.
	run, best, edge := 0, 0, true
	for x := 0; x < min(cols, left+int(unit/4)); x++ {
		k := 0
		for y := 0; y < rows; y++ {
			if blue(x, y) {
				k++
			}
		}
		if float64(k) < stripColumn*float64(rows) {
			run, edge = 0, false
			continue
		}
		run++
		if !edge && run > best {
			best = run
			s = strip{float64(x+1-run) / float64(cols), float64(x+1) / float64(cols)}
		}
	}
	return float64(nb) / float64(n), float64(best) / unit, s
}
