package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	reg            *prometheus.Registry
	analysis       prometheus.Histogram
	analysisErrors prometheus.Counter
	readLatency    prometheus.Histogram
	frameToRead    prometheus.Histogram
	passEnd        prometheus.Histogram
	storeErrors    prometheus.Counter
	frames         *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	f := promauto.With(reg)
	return &metrics{
		reg: reg,
		analysis: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "edge_analysis_seconds",
			Help:    "Time from a frame entering the analysis to its plates being tracked.",
			Buckets: []float64{.005, .01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5},
		}),
		analysisErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_analysis_errors_total",
			Help: "Frames the plate recogniser failed on.",
		}),
		readLatency: f.NewHistogram(prometheus.HistogramOpts{
			Name: "edge_read_store_delay_seconds",
			Help: "Time from the analysis handing a read to the store's writer (provisional at its pass's confirmation, " +
				"final at the pass's end) to its commit: the writer's queue and SQLite.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10},
		}),
		frameToRead: newFrameToReadHistogram(f),
		passEnd:     newPassEndHistogram(f),
		frames: f.NewCounterVec(prometheus.CounterOpts{
			Name: "edge_analysis_frames_total",
			Help: "Frames that reached the analysis: searched for plates, or paced (only advancing the tracker, over alpr.search_rate).",
		}, []string{"camera", "result"}),
		storeErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_reads_store_errors_total",
			Help: "Reads of vehicle passes (provisional or final) that could not be stored.",
		}),
	}
}

// droppedTotal sums the capture stages' dropped-frame counters.
func (m *metrics) droppedTotal() int64 {
	mfs, err := m.reg.Gather()
	if err != nil {
		return 0
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "edge_frames_dropped_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			n += metric.GetCounter().GetValue()
		}
	}
	return int64(n)
}
