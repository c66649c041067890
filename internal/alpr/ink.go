package alpr

import "gocv.io/x/gocv"

// blackInk lists the regions whose plates have black characters on a light
// background. There, coloured marks on a plate (the EU country strip,
// Czech inspection stamps, Slovak emblems) are not characters and are
// painted over with the plate's background before reading; elsewhere (US
// plates often have blue or red characters) crops are read as they are.
var blackInk = map[string]bool{"eu": true}

// minChroma is the max-min channel spread above which a pixel counts as
// coloured.
const minChroma = 70

// paintOutColour replaces the coloured pixels of an 8-bit BGR crop, in
// place, with the mean colour of its light grey pixels (the brighter half
// of the uncoloured ones): the plate's background.
func paintOutColour(crop gocv.Mat) {
	data, err := crop.DataPtrUint8()
	if err != nil || !crop.IsContinuous() {
		return
	}
	n := len(data) / 3
	var hist [256]int
	coloured := 0
	for i := 0; i < n; i++ {
		b, g, r := data[3*i], data[3*i+1], data[3*i+2]
		if chroma(b, g, r) > minChroma {
			coloured++
			continue
		}
		hist[(int(b)+int(g)+int(r))/3]++
	}
	if coloured == 0 || coloured == n {
		return
	}
	// Median brightness of the uncoloured pixels.
	half, median := (n-coloured)/2, 0
	for acc := 0; median < 255; median++ {
		if acc += hist[median]; acc > half {
			break
		}
	}
	var sum [3]int
	cnt := 0
	for i := 0; i < n; i++ {
		b, g, r := data[3*i], data[3*i+1], data[3*i+2]
		if chroma(b, g, r) <= minChroma && (int(b)+int(g)+int(r))/3 >= median {
			sum[0], sum[1], sum[2] = sum[0]+int(b), sum[1]+int(g), sum[2]+int(r)
			cnt++
		}
	}
	bg := [3]uint8{uint8(sum[0] / cnt), uint8(sum[1] / cnt), uint8(sum[2] / cnt)}
	for i := 0; i < n; i++ {
		if chroma(data[3*i], data[3*i+1], data[3*i+2]) > minChroma {
			data[3*i], data[3*i+1], data[3*i+2] = bg[0], bg[1], bg[2]
		}
	}
}

func chroma(b, g, r uint8) int {
	return int(max(b, g, r)) - int(min(b, g, r))
}
