package main

import (
	"math"
	"time"
)

// Sample is one soak measurement.
type Sample struct {
	At       time.Duration // since the agent started
	RSSBytes int64
	OpenMats float64 // NaN when the agent does not export edge_gocv_open_mats
}

// Trend is a least-squares line through the soak's samples after warm-up.
type Trend struct {
	Samples     int
	MeanMB      float64
	SlopeMBMin  float64 // MB per minute
	DriftMB     float64 // slope × the span of the samples
	MinMB       float64
	MaxMB       float64
	Flat        bool
	FlatPercent float64 // the bound on |drift| used, % of the mean
}

// flatPercent is how far RSS may drift over the soak, as a share of its
// mean, and still count as flat.
const flatPercent = 5

// rssTrend fits RSS against time over the samples taken at or after warmup
// and calls it flat when the fitted drift over their span is within
// flatPercent of the mean.
func rssTrend(samples []Sample, warmup time.Duration) Trend {
	var xs, ys []float64
	for _, s := range samples {
		if s.At >= warmup {
			xs = append(xs, s.At.Minutes())
			ys = append(ys, float64(s.RSSBytes)/(1<<20))
		}
	}
	tr := Trend{Samples: len(xs), FlatPercent: flatPercent, MinMB: math.NaN(), MaxMB: math.NaN(), MeanMB: math.NaN()}
	if len(xs) < 2 {
		return tr
	}
	slope, mean := fit(xs, ys)
	tr.MeanMB, tr.SlopeMBMin = mean, slope
	tr.DriftMB = slope * (xs[len(xs)-1] - xs[0])
	tr.MinMB, tr.MaxMB = ys[0], ys[0]
	for _, y := range ys {
		tr.MinMB, tr.MaxMB = math.Min(tr.MinMB, y), math.Max(tr.MaxMB, y)
	}
	tr.Flat = math.Abs(tr.DriftMB) <= flatPercent/100.0*mean
	return tr
}

// fit returns the least-squares slope of ys over xs and the mean of ys.
func fit(xs, ys []float64) (slope, meanY float64) {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	n := float64(len(xs))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return 0, my
	}
	return sxy / sxx, my
}

// matsRange is the least, largest and last open-Mat count of the samples
// that have one; ok is false when none has.
func matsRange(samples []Sample) (lo, hi, last float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range samples {
		if math.IsNaN(s.OpenMats) {
			continue
		}
		ok = true
		lo, hi, last = math.Min(lo, s.OpenMats), math.Max(hi, s.OpenMats), s.OpenMats
	}
	return lo, hi, last, ok
}
