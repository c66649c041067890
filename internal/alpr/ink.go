package alpr

import (
	"image"
	"image/color"

	"gocv.io/x/gocv"
)

// blackInk lists the regions whose plates have black characters on a light
// background. There, coloured marks on a plate (the EU country strip,
// Czech inspection stamps, Slovak emblems) are not characters and are
// painted over with the plate's background before reading; elsewhere (US
// plates often have blue or red characters) crops are read as they are.
var blackInk = map[string]bool{"eu": true}

// stretch is how much wider than its aspect ratio a crop is read, by
// region. The recogniser emits one step per 8 input pixels; the narrow
// characters of the condensed fonts of US plates get about two steps each,
// too few to keep a blank between double letters (YY, JJ), which CTC then
// merges. EU and BR crops read worse stretched.
var stretch = map[string]float64{"us": 1.5}

// minChroma is the max-min channel spread above which a pixel counts as
// coloured.
const minChroma = 45

// paintOutColour paints the coloured marks of an 8-bit BGR crop, in place,
// with the mean colour of its lightest uncoloured pixels (the brightest
// fifth): the plate's background. A mark is a blob of coloured pixels at
// least 3 pixels across, with what it encloses (the white centre of a
// ring-shaped stamp), grown by two pixels. It reports whether it painted
// anything.
func paintOutColour(crop gocv.Mat) bool {
	data, err := crop.DataPtrUint8()
	if err != nil || !crop.IsContinuous() {
		return false
	}
	n := len(data) / 3
	maskBytes := make([]byte, n)
	var hist [256]int
	coloured := 0
	for i := range n {
		b, g, r := data[3*i], data[3*i+1], data[3*i+2]
		if chroma(b, g, r) > minChroma {
			maskBytes[i] = 255
			coloured++
			continue
		}
		hist[(int(b)+int(g)+int(r))/3]++
	}
	if coloured == 0 || coloured > n/4 {
		return false
	}
	bg := background(data, maskBytes, hist, n-coloured)

	mask, err := gocv.NewMatFromBytes(crop.Rows(), crop.Cols(), gocv.MatTypeCV8U, maskBytes)
	if err != nil {
		return false
	}
	defer mask.Close()
	// Opening drops thin colour fringes (JPEG chroma bleeding around dark
	// characters) that are no mark; closing fills the centre of rings.
	small := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
	defer small.Close()
	gocv.MorphologyEx(mask, &mask, gocv.MorphOpen, small)
	if gocv.CountNonZero(mask) == 0 {
		return false
	}
	kernel := gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(5, 5))
	defer kernel.Close()
	gocv.MorphologyEx(mask, &mask, gocv.MorphClose, kernel)
	gocv.DilateWithParams(mask, &mask, small, image.Pt(-1, -1), 2, gocv.BorderConstant, color.RGBA{})
	fill := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(bg[0]), float64(bg[1]), float64(bg[2]), 0),
		crop.Rows(), crop.Cols(), gocv.MatTypeCV8UC3)
	defer fill.Close()
	fill.CopyToWithMask(&crop, mask)
	return true
}

// background is the mean colour of the uncoloured pixels at or above their
// 80th percentile of brightness; hist is their brightness histogram, count their number.
func background(data, mask []byte, hist [256]int, count int) [3]uint8 {
	p80 := 0 // the plate is the brightest large area
	for acc := 0; p80 < 255; p80++ {
		if acc += hist[p80]; acc > count*4/5 {
			break
		}
	}
	var sum [3]int
	cnt := 0
	for i := range mask {
		b, g, r := data[3*i], data[3*i+1], data[3*i+2]
		if mask[i] == 0 && (int(b)+int(g)+int(r))/3 >= p80 {
			sum[0], sum[1], sum[2] = sum[0]+int(b), sum[1]+int(g), sum[2]+int(r)
			cnt++
		}
	}
	if cnt == 0 {
		return [3]uint8{127, 127, 127}
	}
	return [3]uint8{uint8(sum[0] / cnt), uint8(sum[1] / cnt), uint8(sum[2] / cnt)}
}

func chroma(b, g, r uint8) int {
	return int(max(b, g, r)) - int(min(b, g, r))
}
