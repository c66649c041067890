package bench

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
)

// TestWriteLinesEveryPlate: an image's line per plate read, best first, and
// per box of a detector run, with the image's time on each; an image with
// none gets one line with an empty plate.
func TestWriteLinesEveryPlate(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Result
		want string
	}{
		{"two plates", Result{Image: "a.jpg", Time: 12500 * time.Microsecond, Plates: []alpr.Plate{
			{Text: "ABC1234", Conf: 0.97, Box: image.Rect(10, 20, 110, 50)},
			{Text: "XYZ907", Conf: 0.6, Box: image.Rect(300, 40, 350, 60)},
		}}, "a.jpg\tABC1234\t0.970\t10\t20\t100\t30\t12.5\n" +
			"a.jpg\tXYZ907\t0.600\t300\t40\t50\t20\t12.5\n"},
		{"none", Result{Image: "b.png", Time: time.Millisecond}, "b.png\t\t0.000\t0\t0\t0\t0\t1.0\n"},
		{"boxes", Result{Image: "c.jpg", Time: 2 * time.Millisecond, Boxes: []platedet.Detection{
			{Box: image.Rect(1, 2, 41, 22), Score: 0.8},
			{Box: image.Rect(100, 100, 130, 115), Score: 0.35},
		}}, "c.jpg\t\t0.800\t1\t2\t40\t20\t2.0\n" +
			"c.jpg\t\t0.350\t100\t100\t30\t15\t2.0\n"},
	} {
		var b bytes.Buffer
		if err := writeLines(&b, tc.r); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: wrote\n%q, want\n%q", tc.name, b.String(), tc.want)
		}
	}
}
