package uplink

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the publisher's own counters; the outbox's figures are read
// at scrape time by outboxCollector.
type metrics struct {
	published       prometheus.Counter
	acked           prometheus.Counter
	retries         prometheus.Counter
	connectAttempts prometheus.Counter
	connectFailures prometheus.Counter
	connected       prometheus.Gauge
}

// newMetrics registers a publisher's metrics, named prefix_…, and a
// collector of the figures of each route's queue: the samples' publisher
// (one route) as prefix_outbox_…, any other with a label queue naming it.
func newMetrics(reg prometheus.Registerer, prefix string, routes []Route) *metrics {
	f := promauto.With(reg)
	for _, r := range routes {
		var labels prometheus.Labels
		if len(routes) > 1 || r.Queue.Name() != "" {
			labels = prometheus.Labels{"queue": r.Queue.Name()}
		}
		reg.MustRegister(NewOutboxCollector(prefix, labels, r.Queue))
	}
	return &metrics{
		published: f.NewCounter(prometheus.CounterOpts{
			Name: prefix + "_published_total",
			Help: "PUBLISH packets sent, resends included.",
		}),
		acked: f.NewCounter(prometheus.CounterOpts{
			Name: prefix + "_acked_total",
			Help: "Entries acknowledged by the broker (PUBACK) and removed from the outbox.",
		}),
		retries: f.NewCounter(prometheus.CounterOpts{
			Name: prefix + "_retries_total",
			Help: "Failed publish attempts (no PUBACK in time or connection lost), each charged to the oldest unacknowledged entry.",
		}),
		connectAttempts: f.NewCounter(prometheus.CounterOpts{
			Name: prefix + "_connect_attempts_total",
			Help: "Connection attempts to the broker.",
		}),
		connectFailures: f.NewCounter(prometheus.CounterOpts{
			Name: prefix + "_connect_failures_total",
			Help: "Connection attempts to the broker that failed.",
		}),
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: prefix + "_connected",
			Help: "1 while connected to the broker, 0 otherwise.",
		}),
	}
}

// outboxCollector reads one queue's figures once per scrape.
type outboxCollector struct {
	ob                                                                    *Outbox
	depth, bytes, oldest, quarantined, qTotal, expired, dropped, scrapeOK *prometheus.Desc
}

// NewOutboxCollector returns a collector of ob's figures, named
// prefix_outbox_…, with the constant labels.
func NewOutboxCollector(prefix string, labels prometheus.Labels, ob *Outbox) prometheus.Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prefix+"_outbox_"+name, help, nil, labels)
	}
	return outboxCollector{
		ob:          ob,
		depth:       d("entries", "Entries queued in the outbox."),
		bytes:       d("bytes", "Payload bytes queued in the outbox."),
		oldest:      d("oldest_age_seconds", "Age of the oldest queued entry; 0 when empty."),
		quarantined: d("quarantined_entries", "Entries held in quarantine."),
		qTotal:      d("quarantined_total", "Entries moved to quarantine."),
		expired:     d("expired_total", "Entries deleted unsent after their TTL."),
		dropped:     d("dropped_total", "Entries deleted unsent by the entry or byte cap (oldest first)."),
		scrapeOK:    d("scrape_success", "1 when the outbox figures could be read."),
	}
}

// Describe sends the descriptors of the outbox metrics.
func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.depth, c.bytes, c.oldest, c.quarantined, c.qTotal, c.expired, c.dropped, c.scrapeOK} {
		ch <- d
	}
}

// Collect sends the outbox's current figures.
func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.ob.Stats()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Depth))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestAge.Seconds())
	ch <- prometheus.MustNewConstMetric(c.quarantined, prometheus.GaugeValue, float64(s.Quarantined))
	ch <- prometheus.MustNewConstMetric(c.qTotal, prometheus.CounterValue, float64(s.QuarantinedTotal))
	ch <- prometheus.MustNewConstMetric(c.expired, prometheus.CounterValue, float64(s.Expired))
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(s.Dropped))
}
