package capture

import (
	"context"
	"image"
	"image/color"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"
)

// BenchmarkReplay1080p replays a 1080p MJPG video at PaceMax and reports
// the cost per frame of capture as a whole: decoding, stamping, the motion
// gate (when on) and the hand-off to a receiver that closes each frame.
func BenchmarkReplay1080p(b *testing.B) {
	const n = 60
	path := filepath.Join(b.TempDir(), "1080p.avi")
	w, err := gocv.VideoWriterFile(path, "MJPG", vidFPS, 1920, 1080, true)
	if err != nil {
		b.Fatal(err)
	}
	m := gocv.NewMatWithSize(1080, 1920, gocv.MatTypeCV8UC3)
	for i := range n {
		m.SetTo(gocv.NewScalar(70, 80, 90, 0))
		gocv.Rectangle(&m, image.Rect(100+i*25, 500, 400+i*25, 650), color.RGBA{250, 250, 250, 0}, -1)
		_ = w.Write(m)
	}
	_ = m.Close()
	_ = w.Close()

	for _, gate := range []bool{false, true} {
		name := map[bool]string{false: "gate=off", true: "gate=on"}[gate]
		b.Run(name, func(b *testing.B) {
			cam := testCamera(path)
			cam.Motion.Enabled = gate
			frames := 0
			for b.Loop() {
				c, err := New(cam, Options{Pace: PaceMax}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				go func() { _ = c.Run(context.Background()) }()
				for f := range c.Frames() {
					frames++
					f.Close()
				}
				_ = c.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/frame")
			b.ReportMetric(float64(frames)/float64(b.N), "delivered/op")
		})
	}
}
