//go:build matprofile && cgo

package synth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// Run with: go test -tags matprofile ./internal/synth/
func TestGeneratorsCloseEveryMat(t *testing.T) {
	res, err := Synthetic(context.Background(), t.TempDir(), SyntheticOptions{Height: 720, Passes: 3, Seed: 4}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Stills(context.Background(), res.TruthFile, filepath.Join(t.TempDir(), "stills")); err != nil {
		t.Fatal(err)
	}
	if _, err := Synthetic(context.Background(), t.TempDir(), SyntheticOptions{Height: 360, Passes: 1, Encoder: EncoderOpenCV}, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	// A failing run must close its Mats too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Synthetic(ctx, t.TempDir(), SyntheticOptions{Height: 360, Passes: 1}, testLogger(t)); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if ds := datasetDir(t, "openalpr-eu"); ds != "" {
		if _, err := Photos(context.Background(), PhotoOptions{Dataset: ds, Out: filepath.Join(t.TempDir(), "p.mp4"), Limit: 3, SecondsPerPhoto: 1}, testLogger(t)); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("dataset openalpr-eu not found: photos generator not checked")
	}
	if n := gocv.MatProfile.Count(); n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n, b.String())
	}
}
