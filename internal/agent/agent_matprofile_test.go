//go:build matprofile

package agent

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/capture"
)

// TestReplayClosesEveryMat runs the whole pipeline in process on a short
// synthetic video (capture, motion gate, recogniser, tracker with crops and
// full frames, store, improvement samples, annotated output): every Mat
// made along the way must be closed. Run with: go test -tags matprofile.
func TestReplayClosesEveryMat(t *testing.T) {
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	v, cfg := replaySetup(t, 2, 3, true, log)
	dir := filepath.Dir(cfg.Store.Path)
	cfg.GPS.Source = "nmea:" + v.NMEAFile
	cfg.Store.SaveFullFrame = true
	cfg.Improvement.Enabled = true
	cfg.Improvement.MinPerCell = 1 // two passes: release them, k-anonymity is tested elsewhere

	a, err := New(cfg, Options{
		Replay:       []string{v.Video},
		Pace:         capture.PaceMax,
		ClockStart:   time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC),
		Annotate:     filepath.Join(dir, "annotated.mp4"),
		DrainTimeout: time.Second,
	}, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// The installer view's frames are drawn and encoded while the replay
	// runs, as the API serves them.
	stop, framesDone := make(chan struct{}), make(chan int)
	go func() {
		served := 0
		for {
			select {
			case <-stop:
				framesDone <- served
				return
			case <-time.After(50 * time.Millisecond):
			}
			if b, err := a.view.frame(a.cams[0].Health().Camera); err == nil && len(b) > 0 {
				served++
			}
		}
	}()
	err = a.Run(context.Background())
	close(stop)
	served := <-framesDone
	if err != nil {
		t.Fatal(err)
	}
	if served == 0 {
		t.Fatal("no annotated frame was served during the replay")
	}
	if s := a.Summary(); s.ReadsStored == 0 || s.SamplesMade == 0 {
		t.Fatalf("the replay stored %d reads and made %d samples: nothing was exercised", s.ReadsStored, s.SamplesMade)
	}
	if n := gocv.MatProfile.Count(); n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n, b.String())
	}
}

// testWriter sends log output to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
