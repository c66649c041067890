package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// Results is everything a bench run measured, for the report.
type Results struct {
	Date               time.Time
	Revision           string
	Machine            Machine
	LoadStart, LoadEnd string
	TrackTimeout       time.Duration
	SearchRate         float64
	MinFrames          int
	Workers            int
	Videos             []VideoResult
	Soak               *SoakResult
	SoakBinary         string
	SoakErr            string
	Bench              []BenchResult
	BenchNotes         []string
	PhotoVideos        []PhotoVideo
	Uplink             []GoBench
	UplinkErr          string
	Failures           []string
	Took               time.Duration
	RSSPlot, MatsPlot  string // file names next to the report, "" when not drawn
	ThroughputPlot     string
	RealTimePlot       string
}

// VideoResult is what was measured on one synthetic video.
type VideoResult struct {
	Height        int
	Video         string
	Truth         *synth.Truth
	Decode        Decode
	Max, Realtime ReplayRun
}

// PhotoVideo is a replay of a video made from a photo set.
type PhotoVideo struct {
	Dataset, Region string
	FPS             int
	Truth           *synth.Truth
	Ran             bool
	Summary         ReplaySummary
	Score           synth.Scorecard
	MaxRSS          int64
}

// ReplayRun is one edge-agent replay of a video.
type ReplayRun struct {
	Ran     bool
	Summary ReplaySummary
	Score   PassScore
	MaxRSS  int64
}

// RealTime is the replay's speed as a multiple of the video's frame rate.
func (v VideoResult) RealTime() float64 {
	if v.Truth == nil || v.Truth.FPS == 0 {
		return math.NaN()
	}
	return v.Max.Summary.FPS / v.Truth.FPS
}

// DecodeRatio is the replay's speed as a share of the decode-only pass's.
func (v VideoResult) DecodeRatio() float64 {
	if v.Decode.Frames == 0 {
		return math.NaN()
	}
	return v.Max.Summary.FPS / v.Decode.Rate()
}

// Latency is the frame-to-read latency measured in the soak.
type Latency struct {
	Reads              uint64  // reads timed from their first frame
	FrameP50, FrameP99 float64 // first frame with the plate → read stored (edge_frame_to_read_seconds)
	Ends               uint64  // passes timed from their end
	EndP50, EndP99     float64 // pass end → final record stored (edge_pass_end_to_read_seconds)
	StoreP50, StoreP99 float64 // edge_read_store_delay_seconds: the writer's queue and SQLite
}

// latency reads the latency histograms of the soak's last scrape; it needs
// edge_frame_to_read_seconds with at least one read (the others are NaN
// when missing).
func (r *Results) latency() (Latency, bool) {
	if r.Soak == nil || r.Soak.Final == nil {
		return Latency{}, false
	}
	h, ok := r.Soak.Final.Histogram("edge_frame_to_read_seconds")
	if !ok || h.Count == 0 {
		return Latency{}, false
	}
	l := Latency{Reads: h.Count, FrameP50: h.Quantile(0.5), FrameP99: h.Quantile(0.99)}
	l.EndP50, l.EndP99, l.StoreP50, l.StoreP99 = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if end, ok := r.Soak.Final.Histogram("edge_pass_end_to_read_seconds"); ok && end.Count > 0 {
		l.Ends, l.EndP50, l.EndP99 = end.Count, end.Quantile(0.5), end.Quantile(0.99)
	}
	if st, ok := r.Soak.Final.Histogram("edge_read_store_delay_seconds"); ok && st.Count > 0 {
		l.StoreP50, l.StoreP99 = st.Quantile(0.5), st.Quantile(0.99)
	}
	return l, true
}

// peakRSS is the largest peak RSS of the agent processes, with which one.
func (r *Results) peakRSS() (int64, string) {
	var best int64
	var who string
	for _, v := range r.Videos {
		for _, run := range []struct {
			name string
			r    ReplayRun
		}{{"max", v.Max}, {"realtime", v.Realtime}} {
			if run.r.MaxRSS > best {
				best, who = run.r.MaxRSS, fmt.Sprintf("replay %dp --pace %s", v.Height, run.name)
			}
		}
	}
	if r.Soak != nil && r.Soak.MaxRSS > best {
		best, who = r.Soak.MaxRSS, "soak ("+r.SoakBinary+")"
	}
	return best, who
}

// Target is one target of issue 6 with what was measured against it.
type Target struct {
	Name, Measured string
	Met            *bool // nil: not measured
}

// Verdict is "met", "not met" or "not measured".
func (t Target) Verdict() string {
	switch {
	case t.Met == nil:
		return "not measured"
	case *t.Met:
		return "met"
	default:
		return "not met"
	}
}

func verdict(b bool) *bool { return &b }

// targets evaluates the targets of issue 6 against the results.
// bench returns the result of the bench job named name.
func (r *Results) bench(name string) (BenchResult, bool) {
	for _, b := range r.Bench {
		if b.Name == name {
			return b, true
		}
	}
	return BenchResult{}, false
}

// photoExact is the per-plate exact rate of the photo bench on a set.
func (r *Results) photoExact(dataset string) (float64, bool) {
	for _, b := range r.Bench {
		if b.Dataset == dataset {
			if s, ok := b.Score("all"); ok && !s.Detector {
				return s.PlateExact, true
			}
		}
	}
	return 0, false
}

// engineTargets are the targets of the plate engine (issue 12).
func (r *Results) engineTargets() []Target {
	var out []Target
	rate := func(name, job, row string, get func(BenchScore) (float64, int, int), min float64) {
		t := Target{Name: name}
		if b, ok := r.bench(job); ok {
			if s, ok := b.Score(row); ok {
				v, n, d := get(s)
				t.Measured = fmt.Sprintf("%.1f%% (%d of %d)", v, n, d)
				t.Met = verdict(v >= min)
			}
		}
		out = append(out, t)
	}
	plateExact := func(s BenchScore) (float64, int, int) { return s.PlateExact, s.PlateExactN, s.Plates }
	rate("US crops test split ≥ 95% exact (reader alone)", "US crops, test split (reader alone)", "all", plateExact, 95)
	rate("synthetic US street set, 720p, ≥ 95% of plates exact", "US street 720p (synthetic, held-out frames and crops)", "all", plateExact, 95)
	rate("synthetic US street set, 1080p, ≥ 95% of plates exact", "US street 1080p (synthetic, held-out frames and crops)", "all", plateExact, 95)
	rate("EU photos ≥ 97% O/0-folded (top-1)", "EU photos", "all", func(s BenchScore) (float64, int, int) { return s.Folded, s.FoldedN, s.Images }, 97)
	rate("BR photos ≥ 97% exact (top-1)", "BR photos", "all", func(s BenchScore) (float64, int, int) { return s.Exact, s.ExactN, s.Images }, 97)
	rate("detector recall ≥ 97% at IoU 0.5 on the held-out dashcam video", "dashcam held-out video (detector alone)", "all",
		func(s BenchScore) (float64, int, int) { return s.Recall, s.FoundN, s.Plates }, 97)
	fp := Target{Name: "detector: ≤ 1 false plate per 20 frames on the held-out dashcam video"}
	if b, ok := r.bench("dashcam held-out video (detector alone)"); ok {
		if s, ok := b.Score("all"); ok {
			fp.Measured = fmt.Sprintf("%.3f per frame (%d boxes, %d plates found, %d frames)", s.FalsePerFrame, s.Boxes, s.FoundN, s.Images)
			fp.Met = verdict(s.FalsePerFrame <= 0.05)
		}
	}
	out = append(out, fp)
	for _, v := range r.PhotoVideos {
		t := Target{Name: fmt.Sprintf("video of the %s photos (1080p%d): passes exact ≥ photo bench − 2 points, ≤ 5%% extra", v.Dataset, v.FPS)}
		if pe, ok := r.photoExact(v.Dataset); ok && v.Score.Passes > 0 {
			ve := 100 * float64(v.Score.Exact) / float64(v.Score.Passes)
			extra := 100 * float64(len(v.Score.Extra)) / float64(v.Score.Passes)
			t.Measured = fmt.Sprintf("%.1f%% vs %.1f%% on the photos; %.1f%% extra", ve, pe, extra)
			t.Met = verdict(ve >= pe-2 && extra <= 5)
		}
		out = append(out, t)
	}
	for _, c := range []struct {
		job    string
		median float64
	}{{"US street 1080p (synthetic, held-out frames and crops)", 60}, {"US street 720p (synthetic, held-out frames and crops)", 40}} {
		t := Target{Name: fmt.Sprintf("full search of a frame (%s): median ≤ %.0f ms, p90 ≤ 2× median", strings.TrimSuffix(strings.SplitN(c.job, " (", 2)[0], ""), c.median)}
		if b, ok := r.bench(c.job); ok {
			if s, ok := b.Score("all"); ok {
				t.Measured = fmt.Sprintf("median %.1f ms, p90 %.1f ms", s.MedianMS, s.P90MS)
				t.Met = verdict(s.MedianMS <= c.median && s.P90MS <= 2*s.MedianMS)
			}
		}
		out = append(out, t)
	}
	return out
}

func (r *Results) targets() []Target {
	const rssLimit = 250 << 20
	out := r.engineTargets()
	speed := Target{Name: "1080p30 replay at `--pace max` ≥ 1.5× real time (motion gate on)"}
	right := Target{Name: "`--pace realtime` reads within 2 points as many passes right as `--pace max` (1080p)"}
	for _, v := range r.Videos {
		if v.Height != 1080 {
			continue
		}
		if v.Max.Ran && v.Truth != nil {
			speed.Measured = fmt.Sprintf("%.2f× (%.1f frames/s, video %.0f fps)", v.RealTime(), v.Max.Summary.FPS, v.Truth.FPS)
			speed.Met = verdict(v.RealTime() >= 1.5)
		}
		if v.Max.Ran && v.Realtime.Ran {
			pm, pr := v.Max.Score.Percent(), v.Realtime.Score.Percent()
			right.Measured = fmt.Sprintf("realtime %.1f%% (%d/%d) vs max %.1f%% (%d/%d): %+.1f points",
				pr, v.Realtime.Score.Right, v.Realtime.Score.Passes, pm, v.Max.Score.Right, v.Max.Score.Passes, pr-pm)
			right.Met = verdict(pr >= pm-2)
		}
	}
	out = append(out, speed, right)

	lat := Target{Name: "frame-to-read p99 ≤ 1 s"}
	if l, ok := r.latency(); ok {
		lat.Measured = fmt.Sprintf("p99 %.2f s, p50 %.2f s (first frame with the plate → read stored at the pass's confirmation; %d reads)",
			l.FrameP99, l.FrameP50, l.Reads)
		lat.Met = verdict(l.FrameP99 <= 1)
	}
	out = append(out, lat)

	rss := Target{Name: "agent peak RSS ≤ 250 MB"}
	if peak, who := r.peakRSS(); peak > 0 {
		rss.Measured = fmt.Sprintf("peak %.0f MB (%s)", mb(peak), who)
		rss.Met = verdict(peak <= rssLimit)
	}
	flat := Target{Name: "RSS flat over the soak"}
	if r.Soak != nil && len(r.Soak.Samples) > 0 {
		tr := rssTrend(r.Soak.Samples, warmup(r.Soak.Duration))
		if tr.Samples >= 2 {
			flat.Measured = fmt.Sprintf("drift %+.1f MB over the soak after warm-up (%+.2f MB/min, mean %.0f MB; flat: drift within ±%g%% of the mean)",
				tr.DriftMB, tr.SlopeMBMin, tr.MeanMB, tr.FlatPercent)
			flat.Met = verdict(tr.Flat)
		}
	}
	return append(out, rss, flat)
}

// warmup is the start of a soak left out of the flatness fit: a minute, or
// a quarter of a shorter soak.
func warmup(soak time.Duration) time.Duration { return min(time.Minute, soak/4) }

func mb(b int64) float64 { return float64(b) / (1 << 20) }
