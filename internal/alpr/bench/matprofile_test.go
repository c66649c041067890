//go:build matprofile

package bench

import (
	"context"
	"image"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks runs the recogniser (both detection passes, OCR, colour
// painting) and the bench, stills and small plates, over a few images;
// every Mat made must be closed.
func TestNoMatLeaks(t *testing.T) {
	before := gocv.MatProfile.Count()
	for _, region := range []string{"us", "eu"} {
		e := openEngine(t, region)
		dir := syntheticDataset(t)
		if _, _, err := Run(context.Background(), e, dir, Options{Holdout: 2}); err != nil {
			t.Fatal(err)
		}
		frame := gocv.NewMatWithSize(720, 1280, gocv.MatTypeCV8UC3)
		if _, err := e.Recognize(frame, []image.Rectangle{image.Rect(0, 0, 640, 360), image.Rect(600, 300, 1280, 720)}); err != nil {
			t.Fatal(err)
		}
		frame.Close()
		if _, err := Small(context.Background(), e, dir, SmallOptions{Frame: image.Pt(1280, 720), PlateWidth: 100}); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := gocv.MatProfile.Count() - before; n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n, b.String())
	}
}
