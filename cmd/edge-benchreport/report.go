package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// writeReport writes the Markdown report of r.
func writeReport(w io.Writer, r *Results) error {
	b := &strings.Builder{}
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("# edge-agent benchmark report\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s |\n| git revision | %s |\n", r.Date.UTC().Format(time.RFC3339), r.Revision)
	p("| machine | %d CPUs, %s, memory %s |\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.MemTotal)
	p("| load average (1, 5, 15 min) | at start %s; at end %s |\n", r.LoadStart, r.LoadEnd)
	p("| agent settings | defaults: alpr.search_rate %g/s, alpr.workers %d, alpr.min_frames %d, alpr.track_timeout %v |\n", r.SearchRate, r.Workers, r.MinFrames, r.TrackTimeout)
	p("| whole run | %v |\n\n", r.Took.Round(time.Second))
	p("The machine may be shared: a load average above the CPU count means other work competed for the CPUs, and every figure below is lower (throughput) or higher (latency) than on an idle machine.\n\n")

	p("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	for _, t := range r.targets() {
		m := t.Measured
		if m == "" {
			m = "—"
		}
		p("| %s | %s | **%s** |\n", t.Name, m, t.Verdict())
	}
	if len(r.Failures) > 0 {
		p("\n**Steps that failed** (their figures are missing):\n\n")
		for _, f := range r.Failures {
			p("- %s\n", oneLine(f))
		}
	}

	p("\n## Replay throughput (`--pace max`)\n\n")
	p("Frames/s is frames read ÷ wall time of `edge-agent replay`, which hands every frame to the analysis (it searches %g frames per second of video for plates; the others only advance the tracker). Decode-only reads the same file with OpenCV's FFmpeg backend and nothing else, in this process, just before the replay: the physical limit of this machine.\n\n", r.SearchRate)
	p("| video | frames handed to the analysis | decode-only frames/s | replay frames/s | replay ÷ decode-only | × real time | searched | passes read right | extra reads (no pass's plate) | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range r.Videos {
		if !v.Max.Ran {
			continue
		}
		s := v.Max.Summary
		p("| %dp%s | %s | %s | %.1f | %s | %.2f× | %d | %s | %d | %.0f MB |\n", v.Height, fpsSuffix(v), ofFrames(s.FramesRead, v),
			num(v.Decode.Rate(), 1), s.FPS, pct(v.DecodeRatio()), v.RealTime(), s.Analysed, passes(v.Max.Score), len(v.Max.Score.Extra), mb(v.Max.MaxRSS))
	}
	if r.RealTimePlot != "" {
		p("\n![speed against real time](%s)\n", r.RealTimePlot)
	}
	if r.ThroughputPlot != "" {
		p("\n![throughput](%s)\n", r.ThroughputPlot)
	}

	p("\n## Replay at the video's own rate (`--pace realtime`)\n\n")
	p("Frames that the analysis could not take when they were due are dropped (and counted). A pass is read right when a stored read whose best frame shows the pass has the pass's plate as its text (`synth.Score`, as `edge-videogen score` scores); an extra read is one of no pass: other text, or far from the plate on screen.\n\n")
	p("| video | frames handed to the analysis | searched | dropped | passes read right (realtime) | passes read right (max) | extra reads (no pass's plate) | peak RSS |\n|---|---|---|---|---|---|---|---|\n")
	for _, v := range r.Videos {
		if !v.Realtime.Ran {
			continue
		}
		s := v.Realtime.Summary
		maxScore := "—"
		if v.Max.Ran {
			maxScore = passes(v.Max.Score)
		}
		p("| %dp%s | %s | %d | %d (%s) | %s | %s | %d | %.0f MB |\n", v.Height, fpsSuffix(v), ofFrames(s.FramesRead, v), s.Analysed, s.Dropped,
			pct(float64(s.Dropped)/float64(max(v.Truth.Frames, 1))), passes(v.Realtime.Score), maxScore, len(v.Realtime.Score.Extra), mb(v.Realtime.MaxRSS))
	}

	writeLatency(p, r)
	writeAccuracy(p, r)
	writeMemory(p, r)
	writeUplink(p, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeLatency(p func(string, ...any), r *Results) {
	p("\n## Frame-to-read latency (`edge-agent run`, during the soak)\n\n")
	l, ok := r.latency()
	if !ok {
		p("Not measured (no soak, or no read stored during it).\n")
		return
	}
	p("Measured in the agent, on a live camera (the looping 1080p file, played at its own rate and stamped with the wall clock when each frame is shown). The agent stores a vehicle pass's read as soon as the pass is confirmed: its plate read in `alpr.min_frames` (%d) searched frames (`alpr.search_rate` %g/s) with a voted confidence of at least the camera's `min_confidence` and every voted character at least `alpr.min_char_confidence`; it replaces that row with the pass's final record (voted text, best crop) when the pass ends, the plate unseen for `alpr.track_timeout` (%v). `edge_frame_to_read_seconds` times each read from the capture of the first frame in which its plate was read to the commit of its row; `edge_pass_end_to_read_seconds` times the final record from the capture of the frame that ended the pass. The soak runs the `-tags matprofile` build, which records a stack trace per Mat. Quantiles are interpolated inside the histograms' buckets (about 23%% wide).\n\n", r.MinFrames, r.SearchRate, r.TrackTimeout)
	p("| | reads | p50 | p99 |\n|---|---|---|---|\n")
	p("| frame-to-read (first frame with the plate → read stored) | %d | %.3f s | %.3f s |\n", l.Reads, l.FrameP50, l.FrameP99)
	p("| pass end → final record stored | %d | %s s | %s s |\n", l.Ends, num(l.EndP50, 3), num(l.EndP99, 3))
	p("| `edge_read_store_delay_seconds` (analysis → commit: the writer's queue and SQLite; coarse buckets) | | %s s | %s s |\n", num(l.StoreP50, 3), num(l.StoreP99, 3))
}

func writeAccuracy(p func(string, ...any), r *Results) {
	p("\n## Engine on photo sets (`edge-agent bench`)\n\n")
	p("Every photo is searched as the agent searches a frame of its video (`alpr.*` defaults): the detector over the whole frame, the reader on each box. *Top-1* scores an image's best plate; *per plate* scores every labelled plate (read at its place with its text), and *extra* counts plates read where none is labelled (signs, overlays, and real plates the labels leave out). The holdout rows are the quarter of the EU and BR photos no network was trained on. The US crops are read crop by crop (the reader and the region's rules alone). Times are per photo, decoding excluded.\n\n")
	p("| set | rows | images | top-1 exact | top-1 O/0-folded | plates | per plate exact | per plate folded | extra | ms median | ms p90 | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, b := range r.Bench {
		for _, s := range b.Scores {
			if s.Detector {
				continue
			}
			p("| %s | %s | %d | %.1f%% (%d) | %.1f%% (%d) | %d | %.1f%% (%d) | %.1f%% | %d | %.1f | %.1f | %.0f MB |\n", b.Name, s.Name, s.Images,
				s.Exact, s.ExactN, s.Folded, s.FoldedN, s.Plates, s.PlateExact, s.PlateExactN, s.PlateFolded, s.Extra, s.MedianMS, s.P90MS, b.PeakRSSMB)
		}
	}
	p("\n### The detector alone\n\nA labelled plate is found when a box overlaps it at IoU ≥ 0.5; precision is boxes that found a plate ÷ boxes. The dashcam video's labels leave out some far plates, which count as false here.\n\n")
	p("| set | rows | frames | plates | recall | precision | false per frame | ms median | ms p90 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, b := range r.Bench {
		for _, s := range b.Scores {
			if s.Detector {
				p("| %s | %s | %d | %d | %.1f%% (%d) | %.1f%% (%d of %d) | %.3f | %.1f | %.1f |\n", b.Name, s.Name, s.Images, s.Plates,
					s.Recall, s.FoundN, s.Precision, s.FoundN, s.Boxes, s.FalsePerFrame, s.MedianMS, s.P90MS)
			}
		}
	}
	for _, n := range r.BenchNotes {
		p("\n%s\n", n)
	}
	p("\n## The agent on videos of the photos\n\n")
	p("Each photo of a set becomes a vehicle pass of a 1080p video (`edge-videogen photos --seconds-per-photo 1`: the photo zoomed and panned slowly towards its plate for one second, as an approaching camera sees it), replayed by `edge-agent replay --pace max` with the region's defaults. A pass is exact when a stored read of it has the plate's text (`edge-videogen score`, with the set's ERRATA.tsv); extra reads are reads of no pass. A photo with two labelled plates is two passes, one zooming towards each; a read of the other plate is counted apart (*other plate*), neither right nor extra. The photo figure beside it is the bench's per-plate exact rate on the same photos.\n\n")
	p("| set | fps | passes | exact | folded | missed | extra reads | other plate | photo bench exact | frames/s | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range r.PhotoVideos {
		photo := "—"
		if pe, ok := r.photoExact(v.Dataset); ok {
			photo = fmt.Sprintf("%.1f%%", pe)
		}
		n := max(v.Score.Passes, 1)
		p("| %s | %d | %d | %.1f%% (%d) | %.1f%% (%d) | %d | %d (%.1f%%) | %d | %s | %.1f | %.0f MB |\n", v.Dataset, v.FPS, v.Score.Passes,
			100*float64(v.Score.Exact)/float64(n), v.Score.Exact, 100*float64(v.Score.Folded)/float64(n), v.Score.Folded, v.Score.Missed,
			len(v.Score.Extra), 100*float64(len(v.Score.Extra))/float64(n), v.Score.Others, photo, v.Summary.FPS, mb(v.MaxRSS))
	}
}

func writeMemory(p func(string, ...any), r *Results) {
	p("\n## Memory\n\n| process | peak RSS |\n|---|---|\n")
	for _, v := range r.Videos {
		for _, run := range []struct {
			n string
			r ReplayRun
		}{{"max", v.Max}, {"realtime", v.Realtime}} {
			if run.r.Ran {
				p("| replay %dp `--pace %s` | %.0f MB |\n", v.Height, run.n, mb(run.r.MaxRSS))
			}
		}
	}
	if r.Soak == nil {
		p("\nNo soak: %s\n", oneLine(r.SoakErr))
		return
	}
	s := r.Soak
	p("| soak, `%s run` | %.0f MB |\n", r.SoakBinary, mb(s.MaxRSS))
	p("\n### Soak: %v of `edge-agent run` on the looping 1080p video\n\n", s.Duration)
	p("RSS from /proc/PID/status (VmRSS) and open gocv Mats from the gauge `edge_gocv_open_mats` (an agent built with `-tags matprofile`), every %v. Flat: the least-squares trend of RSS after the first %v changes it by at most %d%% of its mean over the soak.\n\n", s.Every, warmup(s.Duration), flatPercent)
	if s.Duration < 10*time.Minute {
		p("This soak is shorter than the 10 minutes of the target: a slow leak has less time to show.\n\n")
	}
	tr := rssTrend(s.Samples, warmup(s.Duration))
	p("| samples | RSS min | RSS max | RSS mean | trend | drift over the soak | flat |\n|---|---|---|---|---|---|---|\n")
	p("| %d | %s MB | %s MB | %s MB | %+.2f MB/min | %+.1f MB | %s |\n", len(s.Samples), num(tr.MinMB, 0), num(tr.MaxMB, 0), num(tr.MeanMB, 0), tr.SlopeMBMin, tr.DriftMB, yesNo(tr.Flat))
	if half := rssTrend(s.Samples, s.Duration/2); half.Samples >= 2 {
		p("\nOver the second half alone (from %v): %+.2f MB/min, %s MB to %s MB.\n", s.Duration/2, half.SlopeMBMin, num(half.MinMB, 0), num(half.MaxMB, 0))
	}
	if lo, hi, last, ok := matsRange(s.Samples); ok {
		p("\nOpen Mats: between %.0f and %.0f, %.0f at the last sample (frames in flight between the stages; a leak would climb).\n", lo, hi, last)
	} else {
		p("\nOpen Mats: not exported by the soak binary (build it with `-tags matprofile`).\n")
	}
	if f := s.Final; f != nil {
		capt, _ := f.Sum("edge_frames_captured_total")
		drop, _ := f.Sum("edge_frames_dropped_total")
		stored, _ := f.Sum("edge_reads_stored_total")
		p("\nDuring the soak: %.0f frames captured, %.0f searched, %.0f paced, %.0f dropped, %.0f reads stored.\n", capt,
			f.SumWhere("edge_analysis_frames_total", "result", "searched"), f.SumWhere("edge_analysis_frames_total", "result", "paced"), drop, stored)
	}
	if r.RSSPlot != "" {
		p("\n![RSS over the soak](%s)\n", r.RSSPlot)
	}
	if r.MatsPlot != "" {
		p("\n![open Mats over the soak](%s)\n", r.MatsPlot)
	}
}

func writeUplink(p func(string, ...any), r *Results) {
	p("\n## Uplink (`go test -bench 'Enqueue|Drain' ./internal/uplink`)\n\n")
	if r.UplinkErr != "" {
		p("Not measured: %s\n", oneLine(r.UplinkErr))
	}
	if len(r.Uplink) == 0 {
		return
	}
	p("Enqueue: SQLite outbox writes (single: one fsync each; batch100: one per 100). An operation of Enqueue is one entry (single) or 100 (batch100). Drain: a backlog of 50,000 samples published to a local Mosquitto with QoS 1 (one operation is the whole backlog).\n\n")
	p("| benchmark | rate | throughput | time per operation |\n|---|---|---|---|\n")
	for _, g := range r.Uplink {
		rate := "—"
		switch {
		case g.Metrics["msg/s"] > 0:
			rate = fmt.Sprintf("%.0f messages/s", g.Metrics["msg/s"])
		case g.Metrics["entries/s"] > 0:
			rate = fmt.Sprintf("%.0f entries/s", g.Metrics["entries/s"])
		case g.Metrics["ns/op"] > 0:
			rate = fmt.Sprintf("%.0f entries/s", 1e9/g.Metrics["ns/op"])
		}
		tput := "—"
		if v, ok := g.Metrics["MB/s"]; ok {
			tput = fmt.Sprintf("%.1f MB/s", v)
		}
		op := "—"
		if v, ok := g.Metrics["ns/op"]; ok {
			op = fmt.Sprintf("%.2f ms", v/1e6)
		}
		p("| %s | %s | %s | %s |\n", strings.TrimPrefix(g.Name, "Benchmark"), rate, tput, op)
	}
}

func passes(s synth.Scorecard) string {
	return fmt.Sprintf("%d/%d (%.1f%%)", s.Exact, s.Passes, s.Percent())
}

// ofFrames is n of the video's frames.
func ofFrames(n int, v VideoResult) string {
	return fmt.Sprintf("%d of %d", n, v.Truth.Frames)
}

func fpsSuffix(v VideoResult) string {
	if v.Truth == nil {
		return ""
	}
	return fmt.Sprintf("%.0f", v.Truth.FPS)
}

func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

func num(f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, f)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
