//go:build cgo

package synth

import (
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// decoded is what OpenCV reads back from a video file.
type decoded struct {
	Frames        int
	FPS           float64
	Width, Height int
	Kept          map[int]gocv.Mat // clones of the frames asked for
}

func (d *decoded) Close() {
	for _, m := range d.Kept {
		m.Close()
	}
}

// decode reads every frame of path with OpenCV and keeps those in keep.
func decode(t *testing.T, path string, keep ...int) *decoded {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	d := &decoded{FPS: vc.Get(gocv.VideoCaptureFPS), Kept: map[int]gocv.Mat{}}
	want := map[int]bool{}
	for _, k := range keep {
		want[k] = true
	}
	m := gocv.NewMat()
	defer m.Close()
	for vc.Read(&m) && !m.Empty() {
		if d.Frames == 0 {
			d.Width, d.Height = m.Cols(), m.Rows()
		}
		if want[d.Frames] {
			d.Kept[d.Frames] = m.Clone()
		}
		d.Frames++
	}
	return d
}

// meanAbsDiff is the mean absolute difference of two same-sized frames, or of
// rectangle r of them when r is not empty.
func meanAbsDiff(a, b gocv.Mat, r image.Rectangle) float64 {
	if !r.Empty() {
		ra, rb := a.Region(r), b.Region(r)
		defer ra.Close()
		defer rb.Close()
		return meanAbsDiff(ra, rb, image.Rectangle{})
	}
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	s := d.Mean()
	return (s.Val1 + s.Val2 + s.Val3) / 3
}

// grey returns the mean grey level of rectangle r of m.
func grey(m gocv.Mat, r image.Rectangle) float64 {
	sub := m.Region(r)
	defer sub.Close()
	s := sub.Mean()
	return (s.Val1 + s.Val2 + s.Val3) / 3
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// datasetDir finds shared/datasets/NAME: /work/shared/datasets or
// ../shared/datasets beside the repository root (CI clones the repository
// elsewhere with shared/ beside it). It returns "" when neither exists.
func datasetDir(t *testing.T, name string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var roots []string
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			roots = append(roots, filepath.Join(dir, "..", "shared", "datasets"))
			break
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	roots = append(roots, "/work/shared/datasets")
	for _, r := range roots {
		p := filepath.Join(r, name)
		if _, err := os.Stat(filepath.Join(p, "manifest.tsv")); err == nil {
			return p
		}
	}
	return ""
}
