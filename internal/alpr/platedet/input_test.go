package platedet

import (
	"image"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// planes must give the network what gocv.BlobFromImage gives it for the
// image padded with black: the detector was validated with that input.
func TestPlanesIsTheBlobOfThePaddedImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ img, size image.Point }{
		{image.Pt(37, 23), image.Pt(64, 32)}, // padded right and below
		{image.Pt(64, 32), image.Pt(64, 32)}, // no padding
		{image.Pt(64, 7), image.Pt(64, 32)},  // padded below only
	} {
		px := make([]uint8, c.img.X*c.img.Y*3)
		for i := range px {
			px[i] = uint8(rng.IntN(256))
		}
		want := paddedBlob(t, px, c.img, c.size)
		got := make([]float32, 3*c.size.X*c.size.Y)
		for i := range got {
			got[i] = -1 // what planes must overwrite, the padding too
		}
		planes(got, px, c.img, c.size)
		if len(want) != len(got) {
			t.Fatalf("%v in %v: blob of %d values, planes wrote %d", c.img, c.size, len(want), len(got))
		}
		for i := range want {
			if d := want[i] - got[i]; d > 1e-7 || d < -1e-7 {
				t.Fatalf("%v in %v: value %d is %g, the blob's %g", c.img, c.size, i, got[i], want[i])
			}
		}
	}
}

// paddedBlob is gocv.BlobFromImage of px (BGR, img's size) padded with
// black to size, copied out of the Mats, which are closed on every path.
func paddedBlob(t *testing.T, px []uint8, img, size image.Point) []float32 {
	t.Helper()
	m, err := gocv.NewMatFromBytes(img.Y, img.X, gocv.MatTypeCV8UC3, px)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	canvas := gocv.NewMatWithSize(size.Y, size.X, gocv.MatTypeCV8UC3)
	defer canvas.Close()
	canvas.SetTo(gocv.NewScalar(0, 0, 0, 0))
	dst := canvas.Region(image.Rectangle{Max: img})
	defer dst.Close()
	m.CopyTo(&dst)
	blob := gocv.BlobFromImage(canvas, 1.0/255, size, gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	v, err := blob.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), v...)
}

// BenchmarkPlanes: writing a 1280x720 frame's input (960x540 in 960x544).
func BenchmarkPlanes(b *testing.B) {
	img, size := image.Pt(960, 540), image.Pt(960, 544)
	px := make([]uint8, img.X*img.Y*3)
	for i := range px {
		px[i] = uint8(i * 7)
	}
	in := make([]float32, 3*size.X*size.Y)
	for b.Loop() {
		planes(in, px, img, size)
	}
}
