package main

import (
	"fmt"
	"time"

	"gocv.io/x/gocv"
)

// Decode is a decode-only pass over a video: the physical limit of a replay
// on this machine.
type Decode struct {
	Frames  int
	Elapsed time.Duration
	FPS     float64 // the file's nominal frame rate
}

// Rate is frames decoded per second.
func (d Decode) Rate() float64 { return float64(d.Frames) / d.Elapsed.Seconds() }

// decodeOnly reads every frame of path with OpenCV's FFmpeg backend, as the
// capture stage opens files, and does nothing else with them.
func decodeOnly(path string) (Decode, error) {
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil {
		return Decode{}, fmt.Errorf("opening %s: %w", path, err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	d := Decode{FPS: vc.Get(gocv.VideoCaptureFPS)}
	began := time.Now()
	for vc.Read(&m) && !m.Empty() {
		d.Frames++
	}
	d.Elapsed = time.Since(began)
	if d.Frames == 0 {
		return d, fmt.Errorf("%s: no frame decoded", path)
	}
	return d, nil
}
