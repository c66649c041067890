//go:build matprofile

package alpr

import (
	"image"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
	"github.com/edge-agent/edge-agent/internal/alpr/platereader"
)

// TestSearchClosesEveryMat: a search with looks at expected plates, a
// detector pass alone, a box read, and a turned plate's roll and levelled
// read leave no Mat open (go test -tags matprofile).
func TestSearchClosesEveryMat(t *testing.T) {
	e, _ := openEngine(t, Options{Workers: 1})
	before := gocv.MatProfile.Count()
	img := alprtest.Street(t, 1280, 720)
	alprtest.PastePlate(t, &img, "ABC1234", 0, image.Rect(560, 480, 780, 590))
	if _, err := e.Recognize(img, []image.Rectangle{image.Rect(100, 600, 160, 630), image.Rect(560, 480, 780, 590)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Detect(img); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.ReadBox(img, image.Rect(560, 480, 780, 590)); err != nil {
		t.Fatal(err)
	}
	turned := alprtest.Roll(&img, image.Rect(560, 480, 780, 590), 8)
	if _, err := e.reader.ReadCrops(img, []platereader.Crop{{Area: turned, Roll: plateRoll(img, turned)}}); err != nil {
		t.Fatal(err)
	}
	img.Close()
	if n := gocv.MatProfile.Count() - before; n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open by the search:\n%s", n, b.String())
	}
}
