package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	alprbench "github.com/edge-agent/edge-agent/internal/alpr/bench"
)

func TestParseReplaySummary(t *testing.T) {
	out := "uplink: ignored\nreplay: 1 video(s), 1534 frames read, 513 analysed, 7 dropped, 163 reads stored in /tmp/x y/r.db, 333.6s (4.6 frames/s)\n"
	got, err := parseReplaySummary(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ReplaySummary{Videos: 1, FramesRead: 1534, Analysed: 513, Dropped: 7, ReadsStored: 163, Elapsed: 333600 * time.Millisecond, FPS: 4.6}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if _, err := parseReplaySummary("edge-agent: video \"x\": no such file\n"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("no summary line: error %v, want one quoting the output", err)
	}
}

// The parser reads what the bench command's Score.Write prints.
func TestParseBenchReadsScoreWrite(t *testing.T) {
	var out bytes.Buffer
	out.WriteString("dataset ../shared/datasets/openalpr-eu, region eu\n")
	scores := []alprbench.Score{
		{Name: "all", Images: 108, Exact: 80, Folded: 83, Detected: 99, Mean: 412300 * time.Microsecond, Median: 380 * time.Millisecond, P90: 701500 * time.Microsecond,
			Plates: 110, PlateExact: 81, PlateFolded: 84, Extra: 4},
		{Name: "holdout", Images: 27, Exact: 20, Folded: 21, Detected: 25, Mean: 1 * time.Second, Median: 900 * time.Millisecond, P90: 1500 * time.Millisecond},
	}
	for _, s := range scores {
		if err := s.Write(&out); err != nil {
			t.Fatal(err)
		}
	}
	det := alprbench.Score{Name: "all", Detector: true, Images: 38, Plates: 45, Found: 44, Boxes: 46, Median: 20 * time.Millisecond}
	if err := det.Write(&out); err != nil {
		t.Fatal(err)
	}
	out.WriteString("peak RSS 183 MB\n")
	got, err := parseBench(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if got.Dataset != "../shared/datasets/openalpr-eu" || got.Region != "eu" || len(got.Scores) != 3 || got.PeakRSSMB != 183 {
		t.Fatalf("got %+v", got)
	}
	a := got.Scores[0]
	if a.Name != "all" || a.Images != 108 || a.ExactN != 80 || a.FoldedN != 83 || a.DetectedN != 99 ||
		a.Exact != 74.1 || a.Folded != 76.9 || a.Detected != 91.7 || a.MeanMS != 412.3 || a.MedianMS != 380 || a.P90MS != 701.5 ||
		a.Plates != 110 || a.PlateExactN != 81 || a.PlateExact != 73.6 || a.PlateFolded != 76.4 || a.Extra != 4 || a.Detector {
		t.Errorf("all: %+v", a)
	}
	if h := got.Scores[1]; h.Name != "holdout" || h.MeanMS != 1000 || h.P90MS != 1500 {
		t.Errorf("holdout: %+v", h)
	}
	if d := got.Scores[2]; !d.Detector || d.Plates != 45 || d.FoundN != 44 || d.Boxes != 46 || d.Recall != 97.8 || d.Precision != 95.7 || d.FalsePerFrame != 0.053 || d.MedianMS != 20 {
		t.Errorf("detector: %+v", d)
	}
	if _, err := parseBench("bench: --dataset DIR is required\n"); err == nil {
		t.Error("no score line: no error")
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/edge-agent/edge-agent/internal/uplink
BenchmarkEnqueue/single/1KiB-2         	     512	   2339115 ns/op	   0.44 MB/s
BenchmarkEnqueue/batch100/1KiB-2       	     300	   3954000 ns/op	  25.90 MB/s	     25291 entries/s
BenchmarkDrain50k/8KiB-2               	       1	9876543210 ns/op	      5062 msg/s	        41.5 MB/s
PASS
ok  	github.com/edge-agent/edge-agent/internal/uplink	12.3s
`
	got, err := parseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d results: %+v", len(got), got)
	}
	if got[1].Name != "BenchmarkEnqueue/batch100/1KiB" || got[1].N != 300 || got[1].Metrics["entries/s"] != 25291 ||
		strings.Join(got[1].Units, ",") != "ns/op,MB/s,entries/s" {
		t.Errorf("batch100: %+v", got[1])
	}
	if d := got[2]; d.Name != "BenchmarkDrain50k/8KiB" || d.Metrics["msg/s"] != 5062 || d.Metrics["MB/s"] != 41.5 {
		t.Errorf("drain: %+v", d)
	}
	if _, err := parseGoBench(strings.NewReader("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Error("a bad value: no error")
	}
}

func TestParseVmRSSAndCPUModel(t *testing.T) {
	rss, err := parseVmRSS("Name:\tedge-agent\nVmPeak:\t 900000 kB\nVmRSS:\t  250880 kB\nThreads:\t12\n")
	if err != nil || rss != 250880*1024 {
		t.Errorf("VmRSS: %d, %v", rss, err)
	}
	if _, err := parseVmRSS("Name:\tzombie\n"); err == nil {
		t.Error("no VmRSS line: no error")
	}
	x86 := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
	arm := "processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\n"
	if got := cpuModel(x86); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("x86: %q", got)
	}
	if got := cpuModel(arm); got != "BCM2835" {
		t.Errorf("arm: %q", got)
	}
	if got := memTotal("24684092 kB"); got != "23.5 GiB" {
		t.Errorf("memory: %q", got)
	}
	if got := metricsAddress(`{"time":"t","level":"INFO","msg":"serving metrics","address":"127.0.0.1:39211"}`); got != "127.0.0.1:39211" {
		t.Errorf("metrics address: %q", got)
	}
	if got := metricsAddress(`{"msg":"read stored","note":"serving metrics"}`); got != "" {
		t.Errorf("another line: %q", got)
	}
}
