package platereader

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// TestCutBlowsUpFarPlatesSharply: a crop at most half the input's width (a
// far plate) is blown up bicubically, a wider one bilinearly (see
// sharpUpscale), and one wider than the input shrunk by pixel area.
func TestCutBlowsUpFarPlatesSharply(t *testing.T) {
	img := gocv.NewMatWithSize(120, 300, gocv.MatTypeCV8UC3)
	defer img.Close()
	// A pattern with edges, so that the interpolations differ.
	for y := range img.Rows() {
		for x := range img.Cols() {
			for c := range 3 {
				img.SetUCharAt3(y, x, c, uint8((x*37+y*91+c*53)%251))
			}
		}
	}
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	for _, tt := range []struct {
		area   image.Rectangle
		interp gocv.InterpolationFlags
		name   string
	}{
		{image.Rect(10, 10, 10+InputWidth/sharpUpscale, 30), gocv.InterpolationCubic, "bicubic"},
		{image.Rect(10, 10, 11+InputWidth/sharpUpscale, 30), gocv.InterpolationLinear, "bilinear"},
		{image.Rect(10, 10, 10+InputWidth+40, 50), gocv.InterpolationArea, "by area"},
	} {
		got := cut(img, Crop{Area: tt.area}, frame)
		src := img.Region(tt.area)
		want, other := gocv.NewMat(), gocv.NewMat()
		gocv.Resize(src, &want, image.Pt(InputWidth, InputHeight), 0, 0, tt.interp)
		otherInterp := gocv.InterpolationLinear
		if tt.interp == gocv.InterpolationLinear {
			otherInterp = gocv.InterpolationCubic
		}
		gocv.Resize(src, &other, image.Pt(InputWidth, InputHeight), 0, 0, otherInterp)
		if d := gocv.Norm(got, gocv.NormInf); d == 0 {
			t.Errorf("%v: an empty crop", tt.area)
		}
		if d := normDiff(got, want); d != 0 {
			t.Errorf("%v: cut differs from the crop blown up %s by %v", tt.area, tt.name, d)
		}
		if d := normDiff(got, other); d == 0 {
			t.Errorf("%v: cut is also what the other interpolation makes: the test's pattern tells nothing", tt.area)
		}
		got.Close()
		src.Close()
		want.Close()
		other.Close()
	}
}

// normDiff is the largest difference between two images of one size.
func normDiff(a, b gocv.Mat) float64 {
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	return gocv.Norm(d, gocv.NormInf)
}
