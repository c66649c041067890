package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// bench runs the steps of a report, each recording its figures in r, or a
// failure, and going on.
type bench struct {
	o   options
	r   *Results
	log io.Writer
}

func (b *bench) step(format string, a ...any) {
	fmt.Fprintf(b.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func (b *bench) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.r.Failures = append(b.r.Failures, msg)
	b.step("FAILED: %s", msg)
}

func (b *bench) path(parts ...string) string {
	return filepath.Join(append([]string{b.o.out}, parts...)...)
}

// video generates the synthetic video of the given height, or reuses the
// one already in the work folder when it was made with the same settings.
func (b *bench) video(ctx context.Context, height int) (VideoResult, error) {
	dir := b.path(fmt.Sprintf("video-%dp", height))
	name := fmt.Sprintf("synthetic-%dp", height)
	v := VideoResult{Height: height, Video: filepath.Join(dir, name+".mp4")}
	truthPath := filepath.Join(dir, name+".truth.json")
	t, err := synth.LoadTruth(truthPath)
	_, verr := os.Stat(v.Video)
	if err == nil && verr == nil && t.Seed == b.o.seed && len(t.Passes) == b.o.passes && t.Height == height {
		b.step("reusing %s", v.Video)
	} else {
		b.step("generating %s (%d passes, seed %d)", v.Video, b.o.passes, b.o.seed)
		_, err := runLogged(ctx, b.path("logs", "videogen.log"), b.o.videogen, "synthetic", "--out", dir,
			"--height", strconv.Itoa(height), "--passes", strconv.Itoa(b.o.passes), "--seed", strconv.FormatInt(b.o.seed, 10))
		if err != nil {
			return v, err
		}
		if t, err = synth.LoadTruth(truthPath); err != nil {
			return v, err
		}
	}
	v.Truth = t
	return v, nil
}

// writeConfig writes the agent config of every step: defaults, with every
// file in the work folder, JSON logs, metrics on a free loopback port, and
// one camera, the looping 1080p video, for the soak (a replay replaces the
// cameras with its videos).
func (b *bench) writeConfig(video1080 string) (string, error) {
	q := strconv.Quote
	src := video1080
	if src == "" {
		src = b.path("missing.mp4")
	}
	yaml := strings.Join([]string{
		"log:", "  level: info", "  format: json",
		"cameras:", "  - name: soak", "    source: " + q(src), "    loop: true",
		"alpr:", "  models_dir: " + q(b.o.models),
		"store:", "  path: " + q(b.path("soak.db")),
		"metrics:", `  listen: "127.0.0.1:0"`,
		"improvement:", "  queue_path: " + q(b.path("improvement.db")), "  audit_path: " + q(b.path("improvement-audit.log")),
		"uplink:", "  outbox_path: " + q(b.path("outbox.db")),
	}, "\n") + "\n"
	path := b.path("edge-agent.yaml")
	return path, os.WriteFile(path, []byte(yaml), 0o644)
}

// removeDB deletes an SQLite file with its WAL and shared-memory files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// replays times a decode-only pass over the video, then replays it at
// --pace max and --pace realtime and scores the reads of each.
func (b *bench) replays(ctx context.Context, cfg string, v *VideoResult) {
	b.step("decode-only pass over %s", filepath.Base(v.Video))
	d, err := decodeOnly(v.Video)
	if err != nil {
		b.fail("decode-only %dp: %v", v.Height, err)
	} else {
		v.Decode = d
		b.step("  %d frames in %v: %.1f frames/s", d.Frames, d.Elapsed.Round(time.Millisecond), d.Rate())
	}
	for _, pace := range []string{"max", "realtime"} {
		run := &v.Max
		if pace == "realtime" {
			run = &v.Realtime
		}
		b.step("replay %dp --pace %s", v.Height, pace)
		db := b.path(fmt.Sprintf("replay-%dp-%s.db", v.Height, pace))
		removeDB(db)
		logPath := b.path("logs", fmt.Sprintf("replay-%dp-%s.log", v.Height, pace))
		p, err := runLogged(ctx, logPath, b.o.agent, "replay", "--config", cfg, "--db", db,
			"--clock-start", v.Truth.Start.Format(time.RFC3339Nano), "--pace", pace, v.Video)
		if err != nil {
			b.fail("replay %dp --pace %s: %v", v.Height, pace, err)
			continue
		}
		s, err := parseReplaySummary(p.Stdout)
		if err != nil {
			b.fail("replay %dp --pace %s: %v", v.Height, pace, err)
			continue
		}
		reads, err := b.reads(ctx, db)
		if err != nil {
			b.fail("reads of the %dp --pace %s replay: %v", v.Height, pace, err)
			continue
		}
		*run = ReplayRun{Ran: true, Summary: s, Score: scorePasses(v.Truth, reads, b.r.TrackTimeout), MaxRSS: p.MaxRSS}
		b.step("  %.1f frames/s, %d dropped, %d/%d passes read right, %d other reads, peak RSS %.0f MB",
			s.FPS, s.Dropped, run.Score.Right, run.Score.Passes, run.Score.Other, mb(p.MaxRSS))
	}
}

// reads exports the reads of a replay's database.
func (b *bench) reads(ctx context.Context, db string) ([]StoredRead, error) {
	p, err := runLogged(ctx, b.path("logs", "reads.log"), b.o.agent, "reads", "--db", db, "--format", "jsonl")
	if err != nil {
		return nil, err
	}
	return parseReadsJSONL(strings.NewReader(p.Stdout))
}

// uplink runs the outbox benchmarks of internal/uplink.
func (b *bench) uplink(ctx context.Context) {
	if b.o.skipUplink {
		b.r.UplinkErr = "left out (--skip-uplink)"
		return
	}
	if _, err := os.Stat("internal/uplink"); err != nil {
		b.r.UplinkErr = "run from the repository root to benchmark internal/uplink"
		return
	}
	logPath := b.path("logs", "uplink-bench.log")
	for _, c := range []struct{ bench, time string }{{"^BenchmarkEnqueue$", "1s"}, {"^BenchmarkDrain50k$", "1x"}} {
		b.step("go test -bench %s ./internal/uplink", c.bench)
		p, err := runLogged(ctx, logPath, b.o.goBin, "test", "-run", "^$", "-bench", c.bench, "-benchtime", c.time, "-count", "1", "./internal/uplink")
		if err != nil {
			b.fail("uplink benchmark %s: %v", c.bench, err)
			continue
		}
		gb, err := parseGoBench(strings.NewReader(p.Stdout))
		if err != nil || len(gb) == 0 {
			b.fail("uplink benchmark %s: no result line (%v)\n%s", c.bench, err, tail(p.Stdout, 10))
			continue
		}
		b.r.Uplink = append(b.r.Uplink, gb...)
	}
}

// soak runs the matprofile agent on the looping 1080p video.
func (b *bench) soak(ctx context.Context, cfg string) {
	bin := b.o.agentMats
	if _, err := os.Stat(bin); err != nil {
		b.step("no %s: soak with %s, without open-Mat counts", bin, b.o.agent)
		bin = b.o.agent
	}
	b.r.SoakBinary = filepath.Base(bin)
	removeDB(b.path("soak.db"))
	b.step("soak: %s run on the looping 1080p video for %v", b.r.SoakBinary, b.o.soak)
	res, err := soak(ctx, bin, cfg, b.path("logs", "soak.log"), b.o.soak, b.o.interval, func(s Sample) {
		b.step("  %v: RSS %.0f MB, open Mats %v", s.At.Round(time.Second), mb(s.RSSBytes), s.OpenMats)
	})
	if err != nil {
		b.fail("soak: %v", err)
		b.r.SoakErr = err.Error()
	}
	if len(res.Samples) > 0 {
		b.r.Soak = &res
	}
}

// plots draws the PNGs next to the report.
func (b *bench) plots() {
	var groups []BarGroup
	var refs []float64
	for _, v := range b.r.Videos {
		if v.Max.Ran && v.Decode.Frames > 0 {
			groups = append(groups, BarGroup{Name: fmt.Sprintf("%dp", v.Height), Values: []float64{v.Decode.Rate(), v.Max.Summary.FPS}})
			refs = append(refs, v.Truth.FPS)
		}
	}
	if len(groups) > 0 {
		var speed []BarGroup
		for _, v := range b.r.Videos {
			if v.Max.Ran {
				speed = append(speed, BarGroup{Name: fmt.Sprintf("%dp", v.Height), Values: []float64{v.RealTime()}})
			}
		}
		b.r.RealTimePlot = "realtime.png"
		if err := barChart(b.path(b.r.RealTimePlot), "Replay speed at --pace max, multiple of real time", "x real time",
			[]string{"replay --pace max"}, speed, []float64{1, 1}, "target: 1.0x real time"); err != nil {
			b.fail("plot: %v", err)
			b.r.RealTimePlot = ""
		}
		b.r.ThroughputPlot = "throughput.png"
		if err := barChart(b.path(b.r.ThroughputPlot), "Replay throughput at --pace max vs decode-only", "frames/s",
			[]string{"decode-only", "replay --pace max"}, groups, refs, "real time (video fps)"); err != nil {
			b.fail("plot: %v", err)
			b.r.ThroughputPlot = ""
		}
	}
	if b.r.Soak == nil {
		return
	}
	var xs, rss, mats []float64
	for _, s := range b.r.Soak.Samples {
		xs = append(xs, s.At.Minutes())
		rss = append(rss, mb(s.RSSBytes))
		mats = append(mats, s.OpenMats)
	}
	b.r.RSSPlot = "soak-rss.png"
	if err := linePlot(b.path(b.r.RSSPlot), "Agent RSS during the soak", "minutes", "RSS (MB)", Ref{Value: 300, Label: "target: 300 MB"}, Series{Name: "RSS", X: xs, Y: rss}); err != nil {
		b.fail("plot: %v", err)
		b.r.RSSPlot = ""
	}
	if _, _, _, ok := matsRange(b.r.Soak.Samples); ok {
		b.r.MatsPlot = "soak-mats.png"
		if err := linePlot(b.path(b.r.MatsPlot), "Open gocv Mats during the soak", "minutes", "open Mats", Ref{}, Series{Name: "open Mats", X: xs, Y: mats}); err != nil {
			b.fail("plot: %v", err)
			b.r.MatsPlot = ""
		}
	}
}
