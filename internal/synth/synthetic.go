//go:build cgo

package synth

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"
)

// Synthetic renders a synthetic video into dir as synthetic-<H>p.mp4, with
// its ground truth (.truth.json) and a GPS track (.nmea) beside it. The same
// options give the same truth bytes and the same frames.
func Synthetic(ctx context.Context, dir string, opt SyntheticOptions, log *slog.Logger) (*Result, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	tf, err := loadTypeface(opt.Font)
	if err != nil {
		return nil, err
	}
	p, err := makePlan(widthFor(opt.Height), opt.Height, opt.FPS, opt.Passes, opt.Seed)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, fmt.Sprintf("synthetic-%dp", opt.Height))
	res := &Result{Video: base + ".mp4", TruthFile: base + ".truth.json", NMEAFile: base + ".nmea", Truth: p.truth(opt.Seed)}
	res.Truth.Video = filepath.Base(res.Video)

	r, err := newRenderer(&p, tf, opt.Seed)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := encode(ctx, res, opt.FPS, opt.Encoder, r.draw, log.With("generator", "synthetic")); err != nil {
		return nil, err
	}
	return res, nil
}

// encode draws every frame of res.Truth with draw into res.Video, then
// writes the truth and NMEA files.
func encode(ctx context.Context, res *Result, fps float64, encoder string, draw func(int, *gocv.Mat) error, log *slog.Logger) error {
	t := res.Truth
	v, err := createVideo(res.Video, fps, t.Width, t.Height, encoder, log)
	if err != nil {
		return err
	}
	res.Codec = v.Codec()
	log.Info("rendering video", "frames", t.Frames, "height", t.Height, "codec", res.Codec)
	if err := writeFrames(ctx, v, t.Width, t.Height, t.Frames, draw); err != nil {
		v.Abort()
		return err
	}
	if err := v.Commit(); err != nil {
		return err
	}
	return writeSidecars(res)
}

// writeFrames draws frames 0..n-1 with draw and writes them to v. Drawing
// frame i+1 overlaps with encoding frame i.
func writeFrames(ctx context.Context, v sink, w, h, n int, draw func(int, *gocv.Mat) error) error {
	const inFlight = 3
	bufs := make([]gocv.Mat, inFlight)
	for i := range bufs {
		bufs[i] = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
		defer bufs[i].Close()
	}
	free := make(chan int, inFlight)
	for i := range bufs {
		free <- i
	}
	full := make(chan int, inFlight)
	werr := make(chan error, 1)
	go func() {
		var err error
		for i := range full {
			if err == nil {
				err = v.Write(bufs[i])
			}
			free <- i
		}
		werr <- err
	}()
	var err error
	for f := 0; f < n && err == nil; f++ {
		if err = ctx.Err(); err != nil {
			break
		}
		i := <-free
		if err = draw(f, &bufs[i]); err != nil {
			err = fmt.Errorf("frame %d: %w", f, err)
			break
		}
		full <- i
	}
	close(full)
	if e := <-werr; err == nil {
		err = e
	}
	return err
}

// writeSidecars writes the truth and NMEA files of res.
func writeSidecars(res *Result) error {
	if err := res.Truth.WriteFile(res.TruthFile); err != nil {
		return err
	}
	f, err := os.Create(res.NMEAFile)
	if err != nil {
		return err
	}
	secs := int(math.Ceil(res.Truth.DurationS))
	if err := WriteNMEA(f, res.Truth.Start, secs, res.Truth.Seed); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
