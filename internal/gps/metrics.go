package gps

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the GPS metrics. No label carries a position.
type metrics struct {
	ok, bad prometheus.Counter
}

var fixAgeDesc = prometheus.NewDesc("edge_gps_fix_age_seconds",
	"Age of the newest GPS fix at scrape time; absent before the first fix.", nil, nil)

// ageCollector samples the fix age at scrape time.
type ageCollector struct{ age func() (time.Duration, bool) }

func (c ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- fixAgeDesc }

func (c ageCollector) Collect(ch chan<- prometheus.Metric) {
	if d, ok := c.age(); ok {
		ch <- prometheus.MustNewConstMetric(fixAgeDesc, prometheus.GaugeValue, d.Seconds())
	}
}

// newMetrics creates the metrics and registers them on reg (nil: not
// registered). age reports the age of the newest fix.
func newMetrics(reg prometheus.Registerer, age func() (time.Duration, bool)) *metrics {
	sentences := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "edge_gps_sentences_total",
		Help: "NMEA sentences or gpsd reports received, by result: ok, or bad (checksum error, garbage, impossible values).",
	}, []string{"result"})
	m := &metrics{ok: sentences.WithLabelValues("ok"), bad: sentences.WithLabelValues("bad")}
	if reg != nil {
		reg.MustRegister(sentences, ageCollector{age})
	}
	return m
}
