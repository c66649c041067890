package agent

import (
	"context"
	"image"
	"image/color"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
	"github.com/edge-agent/edge-agent/internal/capture"
)

// writeNoPlateVideo writes a 1280x720 video at 10 fps: first a van panel
// with a phone number and words crossing the street, under a dash camera's
// date, speed, GPS and id overlays, then a car's plate (text) crossing too.
func writeNoPlateVideo(t *testing.T, path, text string) {
	t.Helper()
	const fps, vanFrames, plateFrames = 10, 30, 25
	w, err := gocv.VideoWriterFile(path, "mp4v", fps, 1280, 720, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	bg := alprtest.Street(t, 1280, 720)
	defer bg.Close()
	white, yellow := color.RGBA{255, 255, 255, 0}, color.RGBA{255, 230, 0, 0}
	for f := range vanFrames + plateFrames {
		img := bg.Clone()
		at := time.Date(2026, 12, 5, 15, 33, 48, 0, time.UTC).Add(time.Duration(f) * time.Second / fps)
		alprtest.Overlay(&img, at.Format("2006-01-02 15:04:05"), image.Pt(30, 50), 1.2, white)
		alprtest.Overlay(&img, "CAM 03  UNIT 1187", image.Pt(840, 50), 1.0, yellow)
		alprtest.Overlay(&img, "045 KM/H  N40.71280 W74.00600", image.Pt(30, 700), 1.0, white)
		if f < vanFrames {
			x := 40 + f*20
			van := image.Rect(x, 300, x+540, 470)
			gocv.Rectangle(&img, van, color.RGBA{235, 235, 235, 0}, -1)
			gocv.PutText(&img, "ACME PLUMBING", image.Pt(x+30, 350), gocv.FontHersheyDuplex, 1.3, color.RGBA{20, 40, 160, 0}, 3)
			gocv.PutText(&img, "(555) 123-4567", image.Pt(x+30, 410), gocv.FontHersheyDuplex, 1.3, color.RGBA{200, 20, 20, 0}, 3)
			gocv.PutText(&img, "555-0199  LIC 48213", image.Pt(x+30, 455), gocv.FontHersheySimplex, 0.9, color.RGBA{10, 10, 10, 0}, 2)
		} else {
			x := 200 + (f-vanFrames)*24
			car := image.Rect(x, 380, x+360, 620)
			gocv.Rectangle(&img, car, color.RGBA{60, 60, 70, 0}, -1)
			alprtest.PastePlate(t, &img, text, 0, image.Rect(x+110, 520, x+250, 590))
		}
		if err := w.Write(img); err != nil {
			t.Fatal(err)
		}
		img.Close()
	}
}

// TestTextThatIsNoPlateIsNeverReadNorSampled: an opted-in agent replays a
// video of a dash camera's overlays and a van's lettering, then of a plate:
// the plate alone is stored, and it alone makes a sample.
func TestTextThatIsNoPlateIsNeverReadNorSampled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine on a generated video")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, cfg := replaySetup(t, 1, 5, false, log)
	cfg.Improvement.Enabled = true
	dir := filepath.Dir(cfg.Store.Path)
	video := filepath.Join(dir, "no-plate.mp4")
	writeNoPlateVideo(t, video, "RZT6042")
	reg := prometheus.NewRegistry()
	a, err := New(cfg, Options{Replay: []string{video}, Pace: capture.PaceMax, ClockStart: time.Now().Add(-48 * time.Hour)}, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	texts := storedTexts(t, cfg.Store.Path, log)
	if len(texts) != 1 || texts[0] != "RZT6042" {
		t.Errorf("stored %q, want the plate RZT6042 alone", texts)
	}
	if v := gathered(t, reg, "edge_improvement_samples_made_total"); v != float64(len(texts)) {
		t.Errorf("samples made %v, want one per stored read (%d)", v, len(texts))
	}
}

// gathered is the sum of the counters named name in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
