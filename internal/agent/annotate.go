package agent

import (
	"fmt"
	"image"
	"image/color"
	"sort"
	"strings"
	"sync"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/capture"
)

// annotator writes the analysed frames of a replay, with the plates' boxes
// and readings drawn on them, to a video file (replay --annotate). Workers
// finish frames out of order, so it holds a few and writes them by Seq.
type annotator struct {
	path string
	fps  float64

	mu      sync.Mutex
	w       *gocv.VideoWriter
	pending map[int64]gocv.Mat
	err     error
}

// annotateLag is how many frames may wait for an earlier one.
const annotateLag = 8

func newAnnotator(path string, video string) *annotator {
	fps := 30.0
	if vc, err := gocv.VideoCaptureFile(video); err == nil {
		if f := vc.Get(gocv.VideoCaptureFPS); f > 1 && f < 241 {
			fps = f
		}
		vc.Close()
	}
	return &annotator{path: path, fps: fps, pending: map[int64]gocv.Mat{}}
}

func (an *annotator) add(f *capture.Frame, plates []alpr.Plate) {
	m := f.Mat.Clone()
	green := color.RGBA{0, 255, 0, 0}
	for _, p := range plates {
		gocv.Rectangle(&m, p.Box, green, 2)
		label := fmt.Sprintf("%s %.2f", p.Text, p.Conf)
		org := image.Pt(p.Box.Min.X, max(p.Box.Min.Y-8, 16))
		gocv.PutText(&m, label, org, gocv.FontHersheyDuplex, 0.8, color.RGBA{0, 0, 0, 0}, 4)
		gocv.PutText(&m, label, org, gocv.FontHersheyDuplex, 0.8, green, 2)
	}
	an.mu.Lock()
	defer an.mu.Unlock()
	if old, ok := an.pending[f.Seq]; ok {
		old.Close()
	}
	an.pending[f.Seq] = m
	if len(an.pending) > annotateLag {
		an.writeOldest(len(an.pending) - annotateLag)
	}
}

// writeOldest writes the n lowest-Seq pending frames; an.mu is held.
func (an *annotator) writeOldest(n int) {
	seqs := make([]int64, 0, len(an.pending))
	for s := range an.pending {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for _, s := range seqs[:n] {
		m := an.pending[s]
		delete(an.pending, s)
		an.write(m)
		m.Close()
	}
}

func (an *annotator) write(m gocv.Mat) {
	if an.err != nil {
		return
	}
	if an.w == nil {
		codec := "mp4v"
		if strings.HasSuffix(strings.ToLower(an.path), ".avi") {
			codec = "MJPG"
		}
		an.w, an.err = gocv.VideoWriterFile(an.path, codec, an.fps, m.Cols(), m.Rows(), true)
		if an.err != nil {
			an.err = fmt.Errorf("opening %q: %w", an.path, an.err)
			return
		}
	}
	if err := an.w.Write(m); err != nil {
		an.err = fmt.Errorf("writing %q: %w", an.path, err)
	}
}

// close writes what is pending and closes the file.
func (an *annotator) close() error {
	an.mu.Lock()
	defer an.mu.Unlock()
	an.writeOldest(len(an.pending))
	if an.w != nil {
		if err := an.w.Close(); err != nil && an.err == nil {
			an.err = err
		}
	}
	return an.err
}
