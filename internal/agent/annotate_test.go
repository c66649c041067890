package agent

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/capture"
)

// replay --annotate writes every frame the analysis got, in order, at the
// source's size and rate, with the plates' boxes drawn in green.
func TestReplayAnnotate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the recogniser on a generated video")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	v, cfg := replaySetup(t, 1, 5, false, log)
	dir := filepath.Dir(cfg.Store.Path)
	out := filepath.Join(dir, "annotated.mp4")
	a, err := New(cfg, Options{Replay: []string{v.Video}, Pace: capture.PaceMax, ClockStart: time.Now(), Annotate: out}, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	sum := a.Summary()
	// The pass's plate is read once; other text is the bench's to count.
	texts := storedTexts(t, cfg.Store.Path, log)
	want := v.Truth.Passes[0].Plate
	n := 0
	for _, text := range texts {
		if text == want {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("reads %q from one pass of %s: want it once", texts, want)
	}

	vc, err := gocv.VideoCaptureFile(out)
	if err != nil {
		t.Fatalf("annotated video: %v", err)
	}
	defer vc.Close()
	if w, h, fps := vc.Get(gocv.VideoCaptureFrameWidth), vc.Get(gocv.VideoCaptureFrameHeight), vc.Get(gocv.VideoCaptureFPS); w != float64(v.Truth.Width) || h != float64(v.Truth.Height) || fps != v.Truth.FPS {
		t.Errorf("annotated video is %vx%v at %v fps, want %dx%d at %v", w, h, fps, v.Truth.Width, v.Truth.Height, v.Truth.FPS)
	}
	frame := gocv.NewMat()
	defer frame.Close()
	frames, boxed := 0, 0
	for vc.Read(&frame) && !frame.Empty() {
		frames++
		if greenPixels(frame) > 100 {
			boxed++
		}
	}
	if int64(frames) != sum.FramesCaptured {
		t.Errorf("annotated video has %d frames, the analysis got %d", frames, sum.FramesCaptured)
	}
	if boxed == 0 {
		t.Error("no frame of the annotated video has a box drawn")
	}
}

// greenPixels counts the pixels of the annotation's pure green.
func greenPixels(m gocv.Mat) int {
	mask := gocv.NewMat()
	defer mask.Close()
	lo := gocv.NewScalar(0, 200, 0, 0)
	hi := gocv.NewScalar(80, 255, 80, 0)
	gocv.InRangeWithScalar(m, lo, hi, &mask)
	return gocv.CountNonZero(mask)
}
