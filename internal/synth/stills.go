//go:build cgo

package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

// Stills writes a folder of photos from a generated video, for
// `edge-agent bench`: for each pass with its plate in view, the frame where
// the plate is widest, as DIR/pass-NN.png (lossless), and DIR/manifest.tsv
// with its plate text and box (see ReadManifest). It returns the number of
// photos written.
func Stills(ctx context.Context, truthFile, dir string) (int, error) {
	t, err := LoadTruth(truthFile)
	if err != nil {
		return 0, err
	}
	want := map[int][]Pass{} // frame → passes whose widest plate is there
	last := -1
	for _, p := range t.Passes {
		if len(p.Boxes) == 0 {
			continue
		}
		best := p.Boxes[0]
		for _, b := range p.Boxes[1:] {
			if b.W > best.W {
				best = b
			}
		}
		want[best.Frame] = append(want[best.Frame], p)
		last = max(last, best.Frame)
	}
	if last < 0 {
		return 0, fmt.Errorf("%s: no pass has its plate in view", truthFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	video := filepath.Join(filepath.Dir(truthFile), t.Video)
	vc, err := gocv.VideoCaptureFile(video)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", video, err)
	}
	defer vc.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	var manifest strings.Builder
	manifest.WriteString("image\tplate_text\tx\ty\tw\th\n")
	n := 0
	for f := 0; f <= last; f++ {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if !vc.Read(&frame) || frame.Empty() {
			return n, fmt.Errorf("%s ends at frame %d; its truth has a plate at frame %d", video, f, last)
		}
		for _, p := range want[f] {
			name := fmt.Sprintf("pass-%02d.png", p.Index)
			if !gocv.IMWrite(filepath.Join(dir, name), frame) {
				return n, fmt.Errorf("cannot write %s", filepath.Join(dir, name))
			}
			b, _ := p.BoxAt(f)
			fmt.Fprintf(&manifest, "%s\t%s\t%d\t%d\t%d\t%d\n", name, p.Plate, b.X, b.Y, b.W, b.H)
			n++
		}
	}
	return n, os.WriteFile(filepath.Join(dir, "manifest.tsv"), []byte(manifest.String()), 0o644)
}
