//go:build !matprofile

package obs

import "github.com/prometheus/client_golang/prometheus"

// WithOpenMats returns reg unchanged: only builds with -tags matprofile track
// the gocv Mats, and there it registers the gauge edge_gocv_open_mats.
func WithOpenMats(reg *prometheus.Registry) *prometheus.Registry { return reg }
