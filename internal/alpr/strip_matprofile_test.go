//go:build matprofile

package alpr

import (
	"image"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestStripClosesEveryMat reads an EU plate whose text fits no layout, so
// that the strip is looked for, and scans a line directly: every Mat made
// must be closed.
func TestStripClosesEveryMat(t *testing.T) {
	e, _ := openEngine(t, "eu", 1)
	img := scene(1280, 720, image.Rectangle{}, "")
	drawEUPlate(&img, image.Rect(420, 420, 860, 530), "BIMMIAN", euBlue)
	before := gocv.MatProfile.Count()
	plates, err := e.Recognize(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plates) != 1 || plates[0].Text != "BIMMIAN" {
		t.Fatalf("plates %+v, want BIMMIAN (the strip path)", plates)
	}
	stripScan(img, Candidate{Quad: rectQuad(image.Rect(560, 440, 850, 510))})
	img.Close()
	if n := gocv.MatProfile.Count() - before; n != -1 { // -1: img, made before
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n+1, b.String())
	}
}
