package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ReplaySummary is the summary line edge-agent replay prints on stdout.
type ReplaySummary struct {
	Videos, FramesRead, Analysed, Dropped, ReadsStored int
	Elapsed                                            time.Duration
	FPS                                                float64
}

var summaryRE = regexp.MustCompile(`^replay: (\d+) video\(s\), (\d+) frames read, (\d+) analysed, (\d+) dropped, (\d+) reads stored in .*, ([0-9.]+)s \(([0-9.]+|NaN|\+Inf) frames/s\)$`)

// parseReplaySummary finds the replay summary line in out.
func parseReplaySummary(out string) (ReplaySummary, error) {
	for _, line := range strings.Split(out, "\n") {
		m := summaryRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		var s ReplaySummary
		ints := []*int{&s.Videos, &s.FramesRead, &s.Analysed, &s.Dropped, &s.ReadsStored}
		for i, p := range ints {
			*p, _ = strconv.Atoi(m[i+1])
		}
		secs, _ := strconv.ParseFloat(m[6], 64)
		s.Elapsed = time.Duration(secs * float64(time.Second))
		s.FPS, _ = strconv.ParseFloat(m[7], 64)
		return s, nil
	}
	return ReplaySummary{}, fmt.Errorf("no line %q in the replay's output:\n%s", "replay: N video(s), …", tail(out, 10))
}

// BenchScore is one score line of edge-agent bench (internal/alpr/bench
// Score.Write): of plates read, or with Detector, of the detector's boxes.
type BenchScore struct {
	Name                       string // all, tuning, holdout
	Images                     int
	Exact, Folded, Detected    float64 // top-1 percentages
	MeanMS, MedianMS, P90MS    float64
	ExactN, FoldedN, DetectedN int
	// per labelled plate
	Plates                  int
	PlateExact, PlateFolded float64 // percentages
	PlateExactN, Extra      int
	// the detector alone
	Detector          bool
	Recall, Precision float64 // percentages
	FoundN, Boxes     int
	FalsePerFrame     float64
}

// BenchResult is the summary of one bench run over a dataset.
type BenchResult struct {
	Name            string // the job's name in the report
	Dataset, Region string
	Scores          []BenchScore
	PeakRSSMB       float64
}

// Score returns the score line of the given name, and whether there is one.
func (r BenchResult) Score(name string) (BenchScore, bool) {
	for _, s := range r.Scores {
		if s.Name == name {
			return s, true
		}
	}
	return BenchScore{}, false
}

var (
	benchHeadRE  = regexp.MustCompile(`^dataset (.*), region (\S+)$`)
	benchScoreRE = regexp.MustCompile(`^(\S+)\s+images (\d+)\s+exact ([0-9.]+)% \((\d+)\)\s+O/0-folded ([0-9.]+)% \((\d+)\)\s+detected ([0-9.]+)% \((\d+)\)\s+ms mean ([0-9.]+) median ([0-9.]+) p90 ([0-9.]+)\s+plates (\d+)\s+read ([0-9.]+)% \((\d+)\)\s+folded ([0-9.]+)% \((\d+)\)\s+extra (\d+)$`)
	benchDetRE   = regexp.MustCompile(`^(\S+)\s+images (\d+)\s+plates (\d+)\s+recall ([0-9.]+)% \((\d+)\)\s+precision ([0-9.]+)% \((\d+) of (\d+)\)\s+false per frame ([0-9.]+)\s+ms mean ([0-9.]+) median ([0-9.]+) p90 ([0-9.]+)$`)
	benchRSSRE   = regexp.MustCompile(`^peak RSS ([0-9.]+) MB$`)
)

// parseBench reads the summary edge-agent bench prints.
func parseBench(out string) (BenchResult, error) {
	var r BenchResult
	atoi := func(v string) int { n, _ := strconv.Atoi(v); return n }
	atof := func(v string) float64 { f, _ := strconv.ParseFloat(v, 64); return f }
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := benchHeadRE.FindStringSubmatch(line); m != nil {
			r.Dataset, r.Region = m[1], m[2]
			continue
		}
		if m := benchRSSRE.FindStringSubmatch(line); m != nil {
			r.PeakRSSMB = atof(m[1])
			continue
		}
		if m := benchDetRE.FindStringSubmatch(line); m != nil {
			r.Scores = append(r.Scores, BenchScore{
				Name: m[1], Images: atoi(m[2]), Plates: atoi(m[3]), Detector: true,
				Recall: atof(m[4]), FoundN: atoi(m[5]), Precision: atof(m[6]), Boxes: atoi(m[8]),
				FalsePerFrame: atof(m[9]), MeanMS: atof(m[10]), MedianMS: atof(m[11]), P90MS: atof(m[12]),
			})
			continue
		}
		m := benchScoreRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r.Scores = append(r.Scores, BenchScore{
			Name: m[1], Images: atoi(m[2]),
			Exact: atof(m[3]), ExactN: atoi(m[4]), Folded: atof(m[5]), FoldedN: atoi(m[6]),
			Detected: atof(m[7]), DetectedN: atoi(m[8]),
			MeanMS: atof(m[9]), MedianMS: atof(m[10]), P90MS: atof(m[11]),
			Plates: atoi(m[12]), PlateExact: atof(m[13]), PlateExactN: atoi(m[14]), PlateFolded: atof(m[15]), Extra: atoi(m[17]),
		})
	}
	if len(r.Scores) == 0 {
		return r, fmt.Errorf("no score line in the bench output:\n%s", tail(out, 10))
	}
	return r, nil
}

// GoBench is one result line of `go test -bench`.
type GoBench struct {
	Name    string // without the -GOMAXPROCS suffix
	N       int
	Metrics map[string]float64 // by unit: ns/op, MB/s, msg/s, entries/s, …
	Units   []string           // in the order printed
}

// parseGoBench reads the result lines of `go test -bench` output.
func parseGoBench(r io.Reader) ([]GoBench, error) {
	var out []GoBench
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		b := GoBench{Name: trimProcs(f[0]), N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: value %q: %w", sc.Text(), f[i], err)
			}
			b.Metrics[f[i+1]] = v
			b.Units = append(b.Units, f[i+1])
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// trimProcs drops the -N GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
