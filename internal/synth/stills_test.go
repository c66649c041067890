//go:build cgo

package synth

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// stillsVideo generates a small video of passes cars into dir.
func stillsVideo(t *testing.T, dir string, passes int) (*Result, *Truth) {
	t.Helper()
	res, err := Synthetic(context.Background(), dir, SyntheticOptions{Height: 360, Passes: passes, Seed: 5}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTruth(res.TruthFile)
	if err != nil {
		t.Fatal(err)
	}
	return res, tr
}

func TestStillsAreTheWidestPlateFrames(t *testing.T) {
	dir := t.TempDir()
	res, tr := stillsVideo(t, dir, 2)
	out := filepath.Join(dir, "stills")
	n, err := Stills(context.Background(), res.TruthFile, out)
	if err != nil {
		t.Fatal(err)
	}
	photos, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(tr.Passes) || len(photos) != n {
		t.Fatalf("%d stills, %d manifest rows, want one per pass (%d)", n, len(photos), len(tr.Passes))
	}
	var frames []int
	for i, p := range tr.Passes {
		widest := p.Boxes[0]
		for _, b := range p.Boxes {
			if b.W > widest.W {
				widest = b
			}
		}
		frames = append(frames, widest.Frame)
		want := image.Rect(widest.X, widest.Y, widest.X+widest.W, widest.Y+widest.H)
		if photos[i].Plate != p.Plate || photos[i].Box != want {
			t.Errorf("row %d: %q %v, want pass %d's %q at its widest %v", i, photos[i].Plate, photos[i].Box, i, p.Plate, want)
		}
	}
	d := decode(t, res.Video, frames...)
	defer d.Close()
	for i, f := range frames {
		img := gocv.IMRead(filepath.Join(out, photos[i].Image), gocv.IMReadColor)
		if img.Empty() {
			t.Fatalf("%s does not decode", photos[i].Image)
		}
		if diff := meanAbsDiff(img, d.Kept[f], image.Rectangle{}); diff != 0 {
			t.Errorf("%s differs from frame %d by %.3f grey levels", photos[i].Image, f, diff)
		}
		img.Close()
	}
}

func TestStillsRejectAVideoShorterThanItsTruth(t *testing.T) {
	dir := t.TempDir()
	res, tr := stillsVideo(t, dir, 1)
	for i := range tr.Passes[0].Boxes {
		tr.Passes[0].Boxes[i].Frame += tr.Frames
	}
	if err := tr.WriteFile(res.TruthFile); err != nil {
		t.Fatal(err)
	}
	_, err := Stills(context.Background(), res.TruthFile, filepath.Join(dir, "stills"))
	if err == nil || !strings.Contains(err.Error(), "ends at frame") {
		t.Fatalf("got %v, want an error saying where the video ends", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stills", "manifest.tsv")); err == nil {
		t.Error("a manifest was written for a video that lacks the frames")
	}
}
