//go:build matprofile

package obs

import (
	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"
)

// WithOpenMats registers the gauge edge_gocv_open_mats, the number of gocv
// Mats created and not yet closed (gocv.MatProfile), on reg and returns reg.
// It exists only in builds with -tags matprofile, which track every Mat; in
// other builds WithOpenMats registers nothing.
func WithOpenMats(reg *prometheus.Registry) *prometheus.Registry {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "edge_gocv_open_mats",
		Help: "gocv Mats created and not yet closed (builds with -tags matprofile only).",
	}, func() float64 { return float64(gocv.MatProfile.Count()) }))
	return reg
}
