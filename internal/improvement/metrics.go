package improvement

import (
	"database/sql"
	"math"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Reasons a read or a sample is not released, the values of the reason
// label of edge_improvement_samples_suppressed_total.
const (
	ReasonSampleRate = "sample_rate" // not drawn by improvement.sample_rate
	ReasonBusy       = "busy"        // the intake queue was full
	ReasonDailyCap   = "daily_cap"   // improvement.daily_cap reached
	ReasonPlateCap   = "plate_cap"   // improvement.max_per_plate reached in the bucket
	ReasonDuplicate  = "duplicate"   // the same read event was offered again
	ReasonLate       = "late"        // its bucket was already released
	ReasonIdentifier = "identifier"  // the payload would hold a tenant, device or camera id
	ReasonInvalid    = "invalid"     // the record or payload failed the contract
	ReasonClock      = "clock"       // stamped in the future or before the clock was set: no bucket can be trusted
	ReasonKThreshold = "k_threshold" // its cell held fewer than improvement.min_per_cell samples
	ReasonError      = "error"       // the holding queue failed
	ReasonTooLarge   = "too_large"   // larger than the outbox's byte cap (uplink.max_bytes)
	// ReasonBeforeConsent: the read was stored (its pass confirmed) before
	// the tenant's current opt-in or resumption, and became final after.
	ReasonBeforeConsent = "before_consent"
)

var reasons = []string{ReasonSampleRate, ReasonBusy, ReasonDailyCap, ReasonPlateCap, ReasonDuplicate,
	ReasonLate, ReasonIdentifier, ReasonInvalid, ReasonClock, ReasonKThreshold, ReasonError, ReasonTooLarge, ReasonBeforeConsent}

// Consent states, the values of the state label of edge_improvement_consent.
const (
	StateOptedIn   = "opted_in"  // improvement.enabled is true
	StateOptedOut  = "opted_out" // improvement.enabled is false
	StateWithdrawn = "withdrawn" // withdrawn by command, whatever the config says
)

type metrics struct {
	made, released, purged, generalized prometheus.Counter
	reoffered                           prometheus.Counter
	suppressed                          *prometheus.CounterVec
	consent                             *prometheus.GaugeVec
	lastWithdrawal                      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, db *sql.DB) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		made: f.NewCounter(prometheus.CounterOpts{Name: "edge_improvement_samples_made_total",
			Help: "Improvement samples made and put in the holding queue."}),
		released: f.NewCounter(prometheus.CounterOpts{Name: "edge_improvement_samples_released_total",
			Help: "Improvement samples released to the uplink outbox."}),
		purged: f.NewCounter(prometheus.CounterOpts{Name: "edge_improvement_samples_purged_total",
			Help: "Unsent improvement samples deleted by a withdrawal or opt-out (holding queue and outbox)."}),
		reoffered: f.NewCounter(prometheus.CounterOpts{Name: "edge_improvement_reads_reoffered_total",
			Help: "Stored reads offered again from the read store: left undecided by the last run, or not taken when the intake was full."}),
		generalized: f.NewCounter(prometheus.CounterOpts{Name: "edge_improvement_samples_generalized_total",
			Help: "Improvement samples whose geohash was shortened by one character to reach improvement.min_per_cell."}),
		suppressed: f.NewCounterVec(prometheus.CounterOpts{Name: "edge_improvement_samples_suppressed_total",
			Help: "Reads not turned into samples, and samples not released, by reason."}, []string{"reason"}),
		consent: f.NewGaugeVec(prometheus.GaugeOpts{Name: "edge_improvement_consent",
			Help: "1 for the current consent state of the improvement programme."}, []string{"state"}),
		lastWithdrawal: f.NewGauge(prometheus.GaugeOpts{Name: "edge_improvement_last_withdrawal_timestamp_seconds",
			Help: "Unix time of the last withdrawal or opt-out that purged samples (0: none since start)."}),
	}
	for _, r := range reasons {
		m.suppressed.WithLabelValues(r)
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_improvement_samples_held",
		Help: "Improvement samples waiting in the holding queue."}, func() float64 {
		var n int
		if db.QueryRow(`SELECT count(*) FROM samples`).Scan(&n) != nil {
			return math.NaN()
		}
		return float64(n)
	})
	return m
}

func (m *metrics) suppress(reason string) { m.suppressed.WithLabelValues(reason).Inc() }

func (m *metrics) setState(state string) {
	for _, s := range []string{StateOptedIn, StateOptedOut, StateWithdrawn} {
		v := 0.0
		if s == state {
			v = 1
		}
		m.consent.WithLabelValues(s).Set(v)
	}
}
