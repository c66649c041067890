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
// Score.Write).
type BenchScore struct {
	Name                       string // all, tuning, holdout
	Images                     int
	Exact, Folded, Detected    float64 // percentages
	MeanMS, MedianMS, P90MS    float64
	ExactN, FoldedN, DetectedN int
}

// BenchResult is the summary of one bench run over a dataset.
type BenchResult struct {
	Dataset, Region string
	Scores          []BenchScore
}

var (
	benchHeadRE  = regexp.MustCompile(`^dataset (.*), region (\S+)$`)
	benchScoreRE = regexp.MustCompile(`^(\S+)\s+images (\d+)\s+exact ([0-9.]+)% \((\d+)\)\s+O/0-folded ([0-9.]+)% \((\d+)\)\s+detected ([0-9.]+)% \((\d+)\)\s+ms mean ([0-9.]+) median ([0-9.]+) p90 ([0-9.]+)$`)
)

// parseBench reads the summary edge-agent bench prints.
func parseBench(out string) (BenchResult, error) {
	var r BenchResult
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := benchHeadRE.FindStringSubmatch(line); m != nil {
			r.Dataset, r.Region = m[1], m[2]
			continue
		}
		m := benchScoreRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := BenchScore{Name: m[1]}
		s.Images, _ = strconv.Atoi(m[2])
		for i, p := range []*float64{&s.Exact, nil, &s.Folded, nil, &s.Detected, nil, &s.MeanMS, &s.MedianMS, &s.P90MS} {
			if p != nil {
				*p, _ = strconv.ParseFloat(m[i+3], 64)
			}
		}
		s.ExactN, _ = strconv.Atoi(m[4])
		s.FoldedN, _ = strconv.Atoi(m[6])
		s.DetectedN, _ = strconv.Atoi(m[8])
		r.Scores = append(r.Scores, s)
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
