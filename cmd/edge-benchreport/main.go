// Command edge-benchreport measures the agent on this machine and writes one
// report, report.md with PNG plots, into a work folder (default data/bench):
// replay throughput at 720p and 1080p against a decode-only pass, frames
// dropped and passes read at the video's own rate, frame-to-read latency,
// accuracy and speed on the photo datasets, peak RSS, a soak of `run` on a
// looping video (RSS and open Mats every 10 s), and the uplink's rates.
//
//	edge-benchreport [--out data/bench] [--soak 10m] [--agent bin/edge-agent]
//	    [--agent-matprofile bin/edge-agent-matprofile] [--videogen bin/edge-videogen]
//	    [--models models] [--datasets ../shared/datasets] [--passes 12] [--seed 1]
//
// It measures and reports; it asserts nothing. Run it through `make bench`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge-benchreport:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	out, agent, agentMats, videogen, models, datasets, goBin, python string
	soak, interval                                                   time.Duration
	passes                                                           int
	seed                                                             int64
	skipUplink                                                       bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("edge-benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "out", "data/bench", "work folder: videos, databases, logs, report.md and the plots")
	fs.DurationVar(&o.soak, "soak", 10*time.Minute, "length of the looped `run` soak (0: no soak)")
	fs.DurationVar(&o.interval, "sample-every", 10*time.Second, "soak sampling interval")
	fs.StringVar(&o.agent, "agent", "bin/edge-agent", "agent binary for the replays and bench")
	fs.StringVar(&o.agentMats, "agent-matprofile", "bin/edge-agent-matprofile", "agent built with -tags matprofile, for the soak (exports edge_gocv_open_mats)")
	fs.StringVar(&o.videogen, "videogen", "bin/edge-videogen", "video generator binary")
	fs.StringVar(&o.models, "models", "models", "plate models folder (make models)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with OpenCV, for the synthetic US street sets (scripts/train/us_street.py)")
	fs.StringVar(&o.datasets, "datasets", "../shared/datasets", "folder of photo datasets (subfolders with manifest.tsv)")
	fs.IntVar(&o.passes, "passes", 12, "vehicle passes per synthetic video")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the synthetic videos")
	fs.StringVar(&o.goBin, "go", "go", "go command, for the uplink benchmarks")
	fs.BoolVar(&o.skipUplink, "skip-uplink", false, "leave out the uplink benchmarks")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.passes < 1 || o.soak < 0 || o.interval <= 0 {
		return o, errors.New("--passes must be ≥ 1, --soak ≥ 0 and --sample-every > 0")
	}
	for _, p := range []*string{&o.out, &o.agent, &o.agentMats, &o.videogen, &o.models, &o.datasets} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, err
		}
		*p = abs
	}
	for _, bin := range []string{o.agent, o.videogen} {
		if _, err := os.Stat(bin); err != nil {
			return o, fmt.Errorf("%s: %w (make build tools)", bin, errors.Unwrap(err))
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.out, "logs"), 0o755); err != nil {
		return err
	}
	def := config.Defaults()
	r := &Results{
		Date: time.Now(), Revision: gitRevision("."), Machine: readMachine(), LoadStart: loadAvg(),
		TrackTimeout: def.ALPR.TrackTimeout, SearchRate: def.ALPR.SearchRate, MinFrames: def.ALPR.MinFrames, Workers: def.ALPR.Workers,
	}
	b := &bench{o: o, r: r, log: stderr}
	b.step("load average at start: %s", r.LoadStart)

	videos := map[int]string{}
	for _, h := range []int{720, 1080} {
		v, err := b.video(ctx, h)
		if err != nil {
			b.fail("video %dp: %v", h, err)
			continue
		}
		videos[h] = v.Video
		r.Videos = append(r.Videos, v)
	}
	cfg, err := b.writeConfig(videos[1080])
	if err != nil {
		return err
	}
	for i := range r.Videos {
		b.replays(ctx, cfg, &r.Videos[i])
	}
	b.engine(ctx, cfg)
	b.photoVideos(ctx, cfg)
	b.uplink(ctx)
	if o.soak > 0 && videos[1080] != "" {
		b.soak(ctx, cfg)
	} else {
		r.SoakErr = "no soak asked for (--soak 0) or no 1080p video"
	}
	r.LoadEnd = loadAvg()
	r.Took = time.Since(r.Date)
	b.plots()
	path := filepath.Join(o.out, "report.md")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeReport(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b.step("report written: %s (load average at end: %s)", path, r.LoadEnd)
	if len(r.Failures) > 0 {
		return fmt.Errorf("%d step(s) failed; see the report", len(r.Failures))
	}
	return ctx.Err()
}
