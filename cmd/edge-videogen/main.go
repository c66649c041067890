// Command edge-videogen writes test videos for the agent: a synthetic street
// scene with vehicles carrying plates of known text, or a replay of a folder
// of still photos with camera motion. Each video comes with a ground-truth
// file (see internal/synth/README.md) and an NMEA track. score compares the
// reads a replay of such a video stored with its ground truth.
//
//	edge-videogen synthetic --out DIR [--height 1080] [--passes 15] [--seed 1] [--fps 30] [--encoder auto]
//	edge-videogen photos --dataset DIR --out FILE.mp4 [--height 720] [--seconds-per-photo 2] [--gap-seconds 1.6] [--limit N]
//	edge-videogen score --truth FILE.truth.json --reads READS.jsonl [--errata ERRATA.tsv] [--clock-start T] [--holdout 4] [--details]
//	edge-videogen stills --truth FILE.truth.json --out DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge-videogen:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  edge-videogen synthetic --out DIR [--height 1080] [--passes 15] [--seed 1] [--fps 30]
  edge-videogen photos --dataset DIR --out FILE.mp4 [--height 720] [--seconds-per-photo 2] [--gap-seconds 1.6] [--limit N] [--seed 1] [--fps 30]
  edge-videogen score --truth FILE.truth.json --reads READS.jsonl [--errata ERRATA.tsv] [--clock-start T] [--holdout 4] [--details]
  edge-videogen stills --truth FILE.truth.json --out DIR
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	var (
		res *synth.Result
		err error
	)
	switch args[0] {
	case "synthetic":
		res, err = runSynthetic(ctx, args[1:], stderr, log)
	case "photos":
		res, err = runPhotos(ctx, args[1:], stderr, log)
	case "score":
		return runScore(args[1:], stdout, stderr)
	case "stills":
		return runStills(ctx, args[1:], stderr, log)
	case "-h", "--help", "help":
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	if err != nil {
		return err
	}
	size := int64(0)
	if st, err := os.Stat(res.Video); err == nil {
		size = st.Size()
	}
	log.Info("video written", "video", res.Video, "truth", res.TruthFile, "nmea", res.NMEAFile,
		"codec", res.Codec, "frames", res.Truth.Frames, "passes", len(res.Truth.Passes),
		"bytes", size, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

func runSynthetic(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) (*synth.Result, error) {
	fs := flag.NewFlagSet("synthetic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder (required)")
	var o synth.SyntheticOptions
	fs.IntVar(&o.Height, "height", 1080, "frame height: 1080 or 720 (any even 360–2160)")
	fs.IntVar(&o.Passes, "passes", 15, "number of vehicle passes")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed; the same seed gives the same video")
	fs.Float64Var(&o.FPS, "fps", 30, "frames per second")
	fs.StringVar(&o.Font, "font", synth.DefaultFont, "TrueType font for plates and signs")
	fs.StringVar(&o.Encoder, "encoder", synth.EncoderAuto, "auto (ffmpeg when on PATH, else OpenCV), ffmpeg or opencv")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *out == "" || fs.NArg() > 0 {
		return nil, fmt.Errorf("synthetic: --out DIR is required and no other arguments are taken")
	}
	return synth.Synthetic(ctx, *out, o, log)
}

func runPhotos(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) (*synth.Result, error) {
	fs := flag.NewFlagSet("photos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o synth.PhotoOptions
	fs.StringVar(&o.Dataset, "dataset", "", "folder with manifest.tsv and the photos (required)")
	fs.StringVar(&o.Out, "out", "", "output video, ending in .mp4 (required)")
	fs.IntVar(&o.Height, "height", 720, "frame height (even, 360–2160)")
	fs.Float64Var(&o.SecondsPerPhoto, "seconds-per-photo", 2, "time each photo stays on screen")
	fs.Float64Var(&o.GapSeconds, "gap-seconds", synth.DefaultPhotoGap.Seconds(), "black between photos; under alpr.track_timeout, consecutive photos of one car are one pass")
	fs.IntVar(&o.Limit, "limit", 0, "use only the first N photos of the manifest (0: all)")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed for the camera motion")
	fs.Float64Var(&o.FPS, "fps", 30, "frames per second")
	fs.StringVar(&o.Encoder, "encoder", synth.EncoderAuto, "auto (ffmpeg when on PATH, else OpenCV), ffmpeg or opencv")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.Dataset == "" || o.Out == "" || fs.NArg() > 0 {
		return nil, fmt.Errorf("photos: --dataset DIR and --out FILE.mp4 are required and no other arguments are taken")
	}
	return synth.Photos(ctx, o, log)
}

// runStills writes the frame where each pass's plate is widest, with a
// manifest.tsv, as a photo folder for edge-agent bench.
func runStills(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("stills", flag.ContinueOnError)
	fs.SetOutput(stderr)
	truth := fs.String("truth", "", "truth file of a generated video (required)")
	out := fs.String("out", "", "output folder (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *truth == "" || *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("stills: --truth FILE and --out DIR are required and no other arguments are taken")
	}
	n, err := synth.Stills(ctx, *truth, *out)
	if err != nil {
		return err
	}
	log.Info("stills written", "dir", *out, "photos", n)
	return nil
}
