package store

import "github.com/prometheus/client_golang/prometheus"

// metrics are the store's Prometheus metrics. No label carries a plate, an
// id or a position.
type metrics struct {
	stored      prometheus.Counter
	finalised   prometheus.Counter
	withdrawn   prometheus.Counter
	writeErrors prometheus.Counter
	evictions   *prometheus.CounterVec
}

// newMetrics creates the metrics and registers them on reg (nil: not
// registered). size, when not nil, is sampled at scrape time as
// edge_store_bytes.
func newMetrics(reg prometheus.Registerer, size func() int64) *metrics {
	m := &metrics{
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edge_reads_stored_total",
			Help: "Reads written to the store (one row per vehicle pass, provisional or final).",
		}),
		finalised: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edge_reads_finalised_total",
			Help: "Reads made final: a provisional read updated with its pass's final record, or a final read stored in one step.",
		}),
		withdrawn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edge_reads_withdrawn_total",
			Help: "Provisional reads deleted at the end of their vehicle pass, whose record voted over all its frames was too weak to keep.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edge_store_write_errors_total",
			Help: "Reads that could not be written to the store.",
		}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edge_store_evictions_total",
			Help: "Reads deleted by retention, by reason: age, size (store.max_bytes) or disk (store.min_free_bytes).",
		}, []string{"reason"}),
	}
	for _, r := range []string{reasonAge, reasonSize, reasonDisk} {
		m.evictions.WithLabelValues(r) // export zeros from the start
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.stored, m.finalised, m.withdrawn, m.writeErrors, m.evictions)
	if size != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "edge_store_bytes",
			Help: "Bytes the read store takes on disk (database file and its WAL).",
		}, func() float64 { return float64(size()) }))
	}
	return m
}
