package motion

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// BenchmarkDetect1080p measures the gate's cost per 1920x1080 BGR frame, the
// price every captured frame pays, alternating a still and a moving frame.
func BenchmarkDetect1080p(b *testing.B) {
	d, err := NewImproved(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	size := image.Pt(1920, 1080)
	var still, moving gocv.Mat
	defer func() { _ = still.Close(); _ = moving.Close() }()
	scene(&still, size, 90, image.Rectangle{})
	scene(&moving, size, 90, image.Rect(800, 500, 1100, 600))
	d.Detect(still)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			d.Detect(still)
		} else {
			d.Detect(moving)
		}
	}
}
