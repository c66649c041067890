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

func newMetrics(reg prometheus.Registerer, ob *Outbox) *metrics {
	f := promauto.With(reg)
	reg.MustRegister(outboxCollector{ob})
	return &metrics{
		published: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_uplink_published_total",
			Help: "PUBLISH packets sent, resends included.",
		}),
		acked: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_uplink_acked_total",
			Help: "Entries acknowledged by the broker (PUBACK) and removed from the outbox.",
		}),
		retries: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_uplink_retries_total",
			Help: "Failed publish attempts (no PUBACK in time or connection lost), each charged to the oldest unacknowledged entry.",
		}),
		connectAttempts: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_uplink_connect_attempts_total",
			Help: "Connection attempts to the broker.",
		}),
		connectFailures: f.NewCounter(prometheus.CounterOpts{
			Name: "edge_uplink_connect_failures_total",
			Help: "Connection attempts to the broker that failed.",
		}),
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: "edge_uplink_connected",
			Help: "1 while connected to the broker, 0 otherwise.",
		}),
	}
}

var (
	descDepth       = prometheus.NewDesc("edge_uplink_outbox_entries", "Entries queued in the outbox.", nil, nil)
	descBytes       = prometheus.NewDesc("edge_uplink_outbox_bytes", "Payload bytes queued in the outbox.", nil, nil)
	descOldest      = prometheus.NewDesc("edge_uplink_outbox_oldest_age_seconds", "Age of the oldest queued entry; 0 when empty.", nil, nil)
	descQuarantined = prometheus.NewDesc("edge_uplink_outbox_quarantined_entries", "Entries held in quarantine.", nil, nil)
	descQTotal      = prometheus.NewDesc("edge_uplink_outbox_quarantined_total", "Entries moved to quarantine.", nil, nil)
	descExpired     = prometheus.NewDesc("edge_uplink_outbox_expired_total", "Entries deleted unsent after their TTL.", nil, nil)
	descDropped     = prometheus.NewDesc("edge_uplink_outbox_dropped_total", "Entries deleted unsent by the entry or byte cap (oldest first).", nil, nil)
	descScrapeOK    = prometheus.NewDesc("edge_uplink_outbox_scrape_success", "1 when the outbox figures could be read.", nil, nil)
)

// outboxCollector reads the outbox's figures once per scrape.
type outboxCollector struct{ ob *Outbox }

// Describe sends the descriptors of the outbox metrics.
func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDepth, descBytes, descOldest, descQuarantined, descQTotal, descExpired, descDropped, descScrapeOK} {
		ch <- d
	}
}

// Collect sends the outbox's current figures.
func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.ob.Stats()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descScrapeOK, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descScrapeOK, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(s.Depth))
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, s.OldestAge.Seconds())
	ch <- prometheus.MustNewConstMetric(descQuarantined, prometheus.GaugeValue, float64(s.Quarantined))
	ch <- prometheus.MustNewConstMetric(descQTotal, prometheus.CounterValue, float64(s.QuarantinedTotal))
	ch <- prometheus.MustNewConstMetric(descExpired, prometheus.CounterValue, float64(s.Expired))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.Dropped))
}
