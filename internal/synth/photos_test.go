//go:build cgo

package synth

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

func TestPhotosVideoFollowsThePlates(t *testing.T) {
	ds := datasetDir(t, "openalpr-eu")
	if ds == "" {
		t.Skip("dataset openalpr-eu not found in ../shared/datasets beside the repository root nor in /work/shared/datasets")
	}
	photos, err := ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "eu.mp4")
	res, err := Photos(context.Background(), PhotoOptions{Dataset: ds, Out: out, Height: 720, SecondsPerPhoto: 1, Limit: 4}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTruth(res.TruthFile)
	if err != nil {
		t.Fatal(err)
	}
	if res.TruthFile != filepath.Join(filepath.Dir(out), "eu.truth.json") || tr.Generator != "photos" || len(tr.Passes) != 4 {
		t.Fatalf("truth %s: generator %q with %d passes, want photos with 4", res.TruthFile, tr.Generator, len(tr.Passes))
	}
	for i := 1; i < len(tr.Passes); i++ {
		// Each photo is a pass of its own for the agent's tracker: the plate
		// is gone for longer than its default alpr.track_timeout (1.5 s).
		if gap := float64(tr.Passes[i].FirstFrame-tr.Passes[i-1].LastFrame-1) / tr.FPS; gap < 1.5 {
			t.Errorf("passes %d and %d: %.2f s of black between them, want more than a track timeout (1.5 s)", i-1, i, gap)
		}
	}
	var keep []int
	for _, p := range tr.Passes {
		keep = append(keep, p.FirstFrame+len(p.Boxes)/2, p.LastFrame-3)
	}
	d := decode(t, out, keep...)
	defer d.Close()
	if d.Frames != tr.Frames || d.Width != 1280 || d.Height != 720 {
		t.Fatalf("decoded %d frames %dx%d, truth says %d 1280x720", d.Frames, d.Width, d.Height, tr.Frames)
	}
	for i, p := range tr.Passes {
		if p.Plate != photos[i].Plate || p.Source != photos[i].Image {
			t.Fatalf("pass %d is %s/%s, manifest row %d is %s/%s", i, p.Source, p.Plate, i, photos[i].Image, photos[i].Plate)
		}
		if len(p.Boxes) != p.LastFrame-p.FirstFrame+1 {
			t.Errorf("pass %d: plate in view in %d of %d frames", i, len(p.Boxes), p.LastFrame-p.FirstFrame+1)
		}
		// The plate cut from the photo by the manifest box looks like the
		// frame cut by the truth box, as the camera moves.
		for _, f := range []int{p.FirstFrame + len(p.Boxes)/2, p.LastFrame - 3} {
			b, _ := p.BoxAt(f)
			if s := plateSimilarity(t, filepath.Join(ds, p.Source), photos[i].Box, d.Kept[f], b); s < 0.8 {
				t.Errorf("pass %d (%s) frame %d: frame box %+v matches the photo's plate with correlation %.2f, want ≥ 0.8", i, p.Source, f, b, s)
			}
		}
	}
}

// plateSimilarity is the normalised correlation between the plate cut from
// the photo and the box cut from the frame, resized to the frame box.
func plateSimilarity(t *testing.T, photo string, pbox image.Rectangle, frame gocv.Mat, b Box) float64 {
	img := gocv.IMRead(photo, gocv.IMReadGrayScale)
	defer img.Close()
	crop := img.Region(pbox)
	defer crop.Close()
	src := gocv.NewMat()
	defer src.Close()
	gocv.Resize(crop, &src, image.Pt(b.W, b.H), 0, 0, gocv.InterpolationArea)
	g := gocv.NewMat()
	defer g.Close()
	gocv.CvtColor(frame, &g, gocv.ColorBGRToGray)
	sub := g.Region(image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H))
	defer sub.Close()
	res := gocv.NewMat()
	defer res.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	gocv.MatchTemplate(sub, src, &res, gocv.TmCcoeffNormed, mask)
	return float64(res.GetFloatAt(0, 0))
}

func TestPhotosRejectsABadDataset(t *testing.T) {
	dir := writeManifest(t, "image\tplate_text\tx\ty\tw\th\nmissing.jpg\tAB123\t1\t1\t10\t3\n")
	_, err := Photos(context.Background(), PhotoOptions{Dataset: dir, Out: filepath.Join(t.TempDir(), "x.mp4")}, testLogger(t))
	want := "photo " + filepath.Join(dir, "missing.jpg") + ": stat " + filepath.Join(dir, "missing.jpg") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "missing.jpg"), []byte("not a JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Photos(context.Background(), PhotoOptions{Dataset: dir, Out: filepath.Join(t.TempDir(), "x.mp4")}, testLogger(t))
	want = "frame 48: photo " + filepath.Join(dir, "missing.jpg") + ": cannot be read as an image"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	out := filepath.Join(t.TempDir(), "x.avi")
	_, err = Photos(context.Background(), PhotoOptions{Dataset: dir, Out: out}, testLogger(t))
	if want := "video " + out + ": the file name must end in .mp4"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}
