package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one scrape of a /metrics page, by family name.
type Metrics map[string]*dto.MetricFamily

// parseMetrics parses the Prometheus text exposition format.
func parseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	return mfs, nil
}

// scrape fetches and parses http://addr/metrics.
func scrape(ctx context.Context, addr string) (Metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// Sum adds up the values of every series of a counter or gauge family; ok is
// false when the family is absent.
func (m Metrics) Sum(name string) (v float64, ok bool) {
	mf := m[name]
	if mf == nil {
		return 0, false
	}
	for _, s := range mf.GetMetric() {
		switch {
		case s.Counter != nil:
			v += s.GetCounter().GetValue()
		case s.Gauge != nil:
			v += s.GetGauge().GetValue()
		case s.Untyped != nil:
			v += s.GetUntyped().GetValue()
		}
	}
	return v, true
}

// SumWhere is Sum over the series whose label has the value.
func (m Metrics) SumWhere(name, label, value string) float64 {
	var v float64
	for _, s := range m[name].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				v += s.GetCounter().GetValue() + s.GetGauge().GetValue()
			}
		}
	}
	return v
}

// Histogram is a cumulative histogram: Counts[i] observations ≤ Bounds[i],
// the last bound being +Inf.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

// Histogram merges the series of a histogram family; ok is false when the
// family is absent.
func (m Metrics) Histogram(name string) (h Histogram, ok bool) {
	mf := m[name]
	if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM {
		return h, false
	}
	byBound := map[float64]uint64{}
	for _, s := range mf.GetMetric() {
		sh := s.GetHistogram()
		h.Count += sh.GetSampleCount()
		h.Sum += sh.GetSampleSum()
		for _, b := range sh.GetBucket() {
			byBound[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	byBound[math.Inf(1)] = h.Count
	for b := range byBound {
		h.Bounds = append(h.Bounds, b)
	}
	sort.Float64s(h.Bounds)
	for _, b := range h.Bounds {
		h.Counts = append(h.Counts, byBound[b])
	}
	return h, true
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) as Prometheus's
// histogram_quantile does: linear interpolation inside the bucket that holds
// the rank, from 0 for the first bucket; a rank in the +Inf bucket gives the
// largest finite bound. NaN when the histogram is empty.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 || len(h.Bounds) == 0 || q < 0 || q > 1 {
		return math.NaN()
	}
	rank := q * float64(h.Count)
	for i, c := range h.Counts {
		if float64(c) < rank || c == 0 {
			continue
		}
		if math.IsInf(h.Bounds[i], 1) {
			if i == 0 {
				return math.NaN()
			}
			return h.Bounds[i-1]
		}
		lo, below := 0.0, uint64(0)
		if i > 0 {
			lo, below = h.Bounds[i-1], h.Counts[i-1]
		}
		in := float64(c - below)
		if in == 0 {
			return h.Bounds[i]
		}
		return lo + (h.Bounds[i]-lo)*(rank-float64(below))/in
	}
	return h.Bounds[len(h.Bounds)-1]
}
