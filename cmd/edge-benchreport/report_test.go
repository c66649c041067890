package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// latencyScrape is a scrape of the agent's latency histograms: 100 reads
// stored frameBase to frameBase + 0.099 s after their first frame, and
// their passes' final records 0.05 to 0.149 s after the passes ended.
func latencyScrape(t *testing.T, frameBase float64) Metrics {
	t.Helper()
	reg := prometheus.NewRegistry()
	f := promauto.With(reg)
	buckets := prometheus.ExponentialBucketsRange(0.005, 20, 40)
	frame := f.NewHistogram(prometheus.HistogramOpts{Name: "edge_frame_to_read_seconds", Help: "h", Buckets: buckets})
	end := f.NewHistogram(prometheus.HistogramOpts{Name: "edge_pass_end_to_read_seconds", Help: "h", Buckets: buckets})
	for i := range 100 {
		frame.Observe(frameBase + float64(i)*0.001)
		end.Observe(0.05 + float64(i)*0.001)
	}
	m, err := parseMetrics(expose(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// results builds the results of a run whose 1080p replay is too slow, whose
// realtime replay loses a pass, whose soak is flat and whose reads are
// stored about 1.1 s after their first frame.
func results(t *testing.T) *Results {
	final := latencyScrape(t, 1.05)
	truth := &synth.Truth{FPS: 30, Frames: 1500, Passes: make([]synth.Pass, 12)}
	var soakSamples []Sample
	for i := 1; i <= 12; i++ {
		soakSamples = append(soakSamples, Sample{At: time.Duration(i) * 10 * time.Second, RSSBytes: 240 << 20, OpenMats: float64(8 + i%3)})
	}
	return &Results{
		Date: time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC), Revision: "abc1234", Machine: Machine{CPUs: 2, CPUModel: "Test CPU"},
		LoadStart: "1.00 1.00 1.00", LoadEnd: "2.00 1.50 1.00", TrackTimeout: 1500 * time.Millisecond, SearchRate: 10, Workers: 2,
		Videos: []VideoResult{{
			Height: 1080, Truth: truth, Decode: Decode{Frames: 1500, Elapsed: 10 * time.Second},
			Max:      ReplayRun{Ran: true, Summary: ReplaySummary{FramesRead: 1500, FPS: 24}, Score: synth.Scorecard{Passes: 12, Exact: 11}, MaxRSS: 280 << 20},
			Realtime: ReplayRun{Ran: true, Summary: ReplaySummary{FramesRead: 1200, Dropped: 300}, Score: synth.Scorecard{Passes: 12, Exact: 10}, MaxRSS: 320 << 20},
		}},
		Soak: &SoakResult{Duration: 2 * time.Minute, Every: 10 * time.Second, Samples: soakSamples, MaxRSS: 250 << 20, Final: final}, SoakBinary: "edge-agent-matprofile",
	}
}

func TestTargets(t *testing.T) {
	r := results(t)
	got := map[string]Target{}
	for _, tg := range r.targets() {
		got[tg.Name] = tg
	}
	check := func(prefix, verdict, measured string) {
		t.Helper()
		for name, tg := range got {
			if strings.HasPrefix(name, prefix) {
				if tg.Verdict() != verdict || !strings.Contains(tg.Measured, measured) {
					t.Errorf("%s: %s, %q; want %s, containing %q", name, tg.Verdict(), tg.Measured, verdict, measured)
				}
				return
			}
		}
		t.Errorf("no target %q", prefix)
	}
	check("1080p30 replay", "not met", "0.80×")
	check("`--pace realtime` reads", "not met", "-8.3 points")
	check("frame-to-read", "not met", "p99 1.")
	check("agent peak RSS ≤ 250 MB", "not met", "320 MB (replay 1080p --pace realtime)")
	check("RSS flat", "met", "drift +0.0 MB")

	r.Videos[0].Max.Summary.FPS = 46
	r.Videos[0].Realtime.Score.Exact = 11
	r.Videos[0].Realtime.MaxRSS = 200 << 20
	r.Videos[0].Max.MaxRSS = 200 << 20
	r.Soak.Final = latencyScrape(t, 0.3)
	got = map[string]Target{}
	for _, tg := range r.targets() {
		got[tg.Name] = tg
	}
	check("1080p30 replay", "met", "1.53×")
	check("`--pace realtime` reads", "met", "+0.0 points")
	check("frame-to-read", "met", "p99 0.")
	check("agent peak RSS ≤ 250 MB", "met", "250 MB (soak")

	r.Bench = []BenchResult{
		{Name: "dashcam held-out video (detector alone)", Dataset: "dashcam-ro", Scores: []BenchScore{{Name: "all", Detector: true, Images: 38, Plates: 45, Recall: 97.8, FoundN: 44, Boxes: 46, FalsePerFrame: 0.053}}},
		{Name: "US street 1080p (synthetic, held-out frames and crops)", Dataset: "us-street-1080", Scores: []BenchScore{{Name: "all", Plates: 180, PlateExact: 95.6, PlateExactN: 172, MedianMS: 48, P90MS: 101}}},
		{Name: "EU photos", Dataset: "openalpr-eu", Scores: []BenchScore{{Name: "all", Images: 108, Folded: 97.2, FoldedN: 105, PlateExact: 90.7}}},
	}
	r.PhotoVideos = []PhotoVideo{{Dataset: "openalpr-eu", FPS: 30, Ran: true, Score: synth.Scorecard{Passes: 108, Exact: 97, Extra: make([]synth.ExtraRead, 6)}}}
	got = map[string]Target{}
	for _, tg := range r.targets() {
		got[tg.Name] = tg
	}
	check("detector recall", "met", "97.8% (44 of 45)")
	check("detector: ≤ 1 false plate", "not met", "0.053 per frame")
	check("synthetic US street set, 1080p", "met", "95.6% (172 of 180)")
	check("full search of a frame (US street 1080p)", "not met", "median 48.0 ms, p90 101.0 ms")
	check("EU photos ≥ 97%", "met", "97.2% (105 of 108)")
	check("video of the openalpr-eu photos", "not met", "89.8% vs 90.7% on the photos; 5.6% extra")

	r.Soak, r.Videos, r.Bench, r.PhotoVideos = nil, nil, nil, nil
	for _, tg := range r.targets() {
		if tg.Verdict() != "not measured" {
			t.Errorf("%s with nothing measured: %s", tg.Name, tg.Verdict())
		}
	}
}

func TestReportHasEverySection(t *testing.T) {
	r := results(t)
	r.Bench = []BenchResult{
		{Name: "EU photos", Dataset: "openalpr-eu", Region: "eu", PeakRSSMB: 180, Scores: []BenchScore{{Name: "all", Images: 108, Exact: 74.1, ExactN: 80, MedianMS: 380, Plates: 108, PlateExact: 75, PlateExactN: 81, Extra: 3}}},
		{Name: "dashcam held-out video (detector alone)", Dataset: "dashcam-ro", Scores: []BenchScore{{Name: "all", Detector: true, Images: 38, Plates: 45, Recall: 97.8, Precision: 95.7, FoundN: 44, Boxes: 46, FalsePerFrame: 0.053, MedianMS: 20}}},
	}
	r.Uplink = []GoBench{
		{Name: "BenchmarkDrain50k/1KiB", N: 1, Metrics: map[string]float64{"ns/op": 4.5e9, "msg/s": 5062, "MB/s": 11.9}},
		{Name: "BenchmarkEnqueue/single/1KiB", N: 900, Metrics: map[string]float64{"ns/op": 1.25e6, "MB/s": 0.8}},
	}
	r.PhotoVideos = []PhotoVideo{{Dataset: "us-street-720", Region: "us", FPS: 10, Ran: true, Summary: ReplaySummary{FPS: 70.5}, MaxRSS: 280 << 20,
		Score: synth.Scorecard{Passes: 180, Exact: 168, Folded: 170, Missed: 4, Others: 51, Extra: make([]synth.ExtraRead, 9)}}}
	r.RSSPlot, r.ThroughputPlot = "soak-rss.png", "throughput.png"
	var b strings.Builder
	if err := writeReport(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| date | 2025-06-02T08:00:00Z |", "| git revision | abc1234 |", "2 CPUs, Test CPU",
		"at start 1.00 1.00 1.00; at end 2.00 1.50 1.00",
		"| 1080p30 | 1500 of 1500 | 150.0 | 24.0 | 16.0% | 0.80× |",
		"| 1080p30 | 1200 of 1500 | 0 | 300 (20.0%) | 10/12 (83.3%) | 11/12 (91.7%) |",
		"| EU photos | all | 108 | 74.1% (80) |", "| 108 | 75.0% (81) |", "| 3 | 380.0 |", "| 180 MB |",
		"| us-street-720 | 10 | 180 | 93.3% (168) | 94.4% (170) | 4 | 9 (5.0%) | 51 | — | 70.5 | 280 MB |",
		"| dashcam held-out video (detector alone) | all | 38 | 45 | 97.8% (44) | 95.7% (44 of 46) | 0.053 | 20.0 |",
		"| Drain50k/1KiB | 5062 messages/s | 11.9 MB/s | 4500.00 ms |", "| Enqueue/single/1KiB | 800 entries/s | 0.8 MB/s | 1.25 ms |",
		"Open Mats: between 8 and 10", "Over the second half alone (from 1m0s): +0.00 MB/min, 240 MB to 240 MB.", "every 10s. Flat", "shorter than the 10 minutes", "![RSS over the soak](soak-rss.png)", "![throughput](throughput.png)",
		"**not met**", "**met**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "NaN") {
		t.Error("report shows NaN")
	}
	l, ok := r.latency()
	if !ok || l.Reads != 100 || l.Ends != 100 || l.EndP50 < 0.09 || l.EndP50 > 0.11 || l.FrameP50 < 1.05 || l.FrameP50 > 1.15 {
		t.Errorf("latency: %+v", l)
	}
	if !math.IsNaN(l.StoreP50) {
		t.Errorf("store delay p50 %v without its histogram in the scrape, want NaN", l.StoreP50)
	}
}
