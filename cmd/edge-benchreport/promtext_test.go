package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/common/expfmt"
)

// expose renders a registry in the text format, as /metrics serves it.
func expose(t *testing.T, reg *prometheus.Registry) *bytes.Buffer {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return &buf
}

func TestMetricsFromAnExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := promauto.With(reg)
	h := f.NewHistogram(prometheus.HistogramOpts{Name: "lat_seconds", Help: "h", Buckets: []float64{0.1, 0.2, 0.5, 1}})
	for _, v := range []float64{0.05, 0.15, 0.15, 0.3, 0.3, 0.3, 0.3, 0.7, 0.9, 3} {
		h.Observe(v)
	}
	frames := f.NewCounterVec(prometheus.CounterOpts{Name: "frames_total", Help: "c"}, []string{"camera", "result"})
	frames.WithLabelValues("a", "searched").Add(10)
	frames.WithLabelValues("b", "searched").Add(5)
	frames.WithLabelValues("a", "paced").Add(20)
	f.NewGauge(prometheus.GaugeOpts{Name: "edge_gocv_open_mats", Help: "g"}).Set(7)

	m, err := parseMetrics(expose(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Sum("edge_gocv_open_mats"); !ok || v != 7 {
		t.Errorf("gauge: %v %v", v, ok)
	}
	if v, ok := m.Sum("frames_total"); !ok || v != 35 {
		t.Errorf("counter sum: %v %v", v, ok)
	}
	if v := m.SumWhere("frames_total", "result", "searched"); v != 15 {
		t.Errorf("searched: %v", v)
	}
	if _, ok := m.Sum("absent_total"); ok {
		t.Error("an absent family was found")
	}
	hist, ok := m.Histogram("lat_seconds")
	if !ok || hist.Count != 10 || math.Abs(hist.Sum-6.15) > 1e-9 {
		t.Fatalf("histogram: %+v", hist)
	}
	// Buckets ≤0.1: 1, ≤0.2: 3, ≤0.5: 7, ≤1: 9, +Inf: 10.
	for _, c := range []struct{ q, want float64 }{
		{0.5, 0.2 + 0.3*(5-3)/4.0}, // rank 5 in (0.2, 0.5]
		{0.1, 0.1},                 // rank 1: the top of the first bucket
		{0.05, 0.05},               // rank 0.5: half way from 0
		{0.9, 1},                   // rank 9: the top of (0.5, 1]
		{0.99, 1},                  // rank 9.9: in +Inf, the largest finite bound
	} {
		if got := hist.Quantile(c.q); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q%.2f = %v, want %v", c.q, got, c.want)
		}
	}
	if q := (Histogram{}).Quantile(0.5); !math.IsNaN(q) {
		t.Errorf("empty histogram: %v, want NaN", q)
	}
	if _, err := parseMetrics(bytes.NewBufferString("not a metric line {\n")); err == nil {
		t.Error("garbage parsed")
	}
}
