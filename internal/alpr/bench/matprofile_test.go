//go:build matprofile

package bench

import (
	"context"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks runs the bench over scenes, as the detector alone too:
// every Mat made must be closed.
func TestNoMatLeaks(t *testing.T) {
	e := openEngine(t, "us")
	dir := syntheticScenes(t)
	before := gocv.MatProfile.Count()
	for _, det := range []bool{false, true} {
		if _, _, err := Run(context.Background(), e, dir, Options{Holdout: 2, Detector: det}); err != nil {
			t.Fatal(err)
		}
	}
	if n := gocv.MatProfile.Count() - before; n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n, b.String())
	}
}
