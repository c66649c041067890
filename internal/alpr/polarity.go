package alpr

import (
	"image"

	"gocv.io/x/gocv"
)

// lightOnDark is the factor on the reading order (see plausible) of a text
// line with light characters on a dark ground: a shop sign, a street name
// plate, a dark car body's lettering. The plates of every region we read
// have dark characters on a light board; the few dark plates are still
// read, after the light ones of their look.
const lightOnDark = 0.5

// darkOnLight reports whether the candidate's box holds dark text on a
// lighter ground: its pixels darker than the Otsu threshold of its grey
// levels, the characters, are under half of them (the box has the margin of
// the board around the line).
func darkOnLight(img gocv.Mat, c Candidate) bool {
	b := c.Box().Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if b.Dx() < 2 || b.Dy() < 2 {
		return true
	}
	roi := img.Region(b)
	defer roi.Close()
	const h = 16
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(roi, &small, image.Pt(max(2, b.Dx()*h/b.Dy()), h), 0, 0, gocv.InterpolationArea)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	bin := gocv.NewMat()
	defer bin.Close()
	gocv.Threshold(grey, &bin, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
	return gocv.CountNonZero(bin)*2 > bin.Rows()*bin.Cols()
}
