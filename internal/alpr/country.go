package alpr

import (
	"image"
	"strings"

	"gocv.io/x/gocv"
)

// The country code of the EU strip: one to three white letters in the
// strip's lower part, below the ring of stars. It names the country whose
// layouts a plate's reading should fit (see plate.Pack.Country).
const (
	// codeHeight is the height, in pixels, of the crop the code is cut from.
	codeHeight = 96
	// codeTop and codeBottom bound the code's crop, as shares of the height
	// of the looked-at band (the line with stripPadY above and below): below
	// the stars, above the board's lower edge.
	codeTop, codeBottom = 0.45, 0.89
	// codeConf is the least probability of each of the code's letters.
	codeConf = 0.5
)

// stripCountry maps the strip's codes to the pack's country names.
var stripCountry = map[string]string{
	"SK": "sk", "CZ": "cz", "D": "de", "PL": "pl", "I": "it", "F": "fr",
	"H": "hu", "E": "es", "B": "be", "RO": "ro", "GB": "gb", "UK": "gb",
}

// country reads the code in the strip s left of the text line c of img and
// returns its country ("sk", "pl", ...), or "" when the code cannot be read
// or names no country of the pack.
func (w *worker) country(img gocv.Mat, c Candidate, s strip) (string, error) {
	crop, _ := stripBand(img, c, codeHeight)
	defer crop.Close()
	cols, rows := float64(crop.Cols()), float64(crop.Rows())
	r := image.Rect(int(s.from*cols), int(codeTop*rows), int(s.to*cols+0.5), int(codeBottom*rows))
	if r.Dx() < 4 || r.Dy() < 4 {
		return "", nil
	}
	code := crop.Region(r)
	defer code.Close()
	// The recogniser reads dark letters on a light ground better: the
	// code's white letters are turned dark.
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(code, &grey, gocv.ColorBGRToGray)
	gocv.BitwiseNot(grey, &grey)
	ink := gocv.NewMat()
	defer ink.Close()
	gocv.CvtColor(grey, &ink, gocv.ColorGrayToBGR)
	chars, err := w.ocr.Read(ink, 1)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, ch := range chars {
		if len(ch.Alts) == 0 || ch.Alts[0].P < codeConf {
			return "", nil
		}
		b.WriteRune(ch.Alts[0].R)
	}
	return stripCountry[b.String()], nil
}
