package capture

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric help texts; other stages that count into the same families
// (edge_frames_dropped_total with their own stage) must use the same text.
const (
	helpCaptured   = "Frames read from the camera."
	helpDropped    = "Frames dropped because the next stage was busy, by stage."
	helpSkipped    = "Frames left out of the analysis on purpose: reason=still (no motion), fps (over the camera's fps limit)."
	helpUp         = "1 while the camera delivers frames, 0 while it is opening, offline or ended."
	helpAge        = "Seconds since the camera's last frame (since the camera started when none came yet)."
	helpReconnects = "Times the camera was reopened after a failure or a stall."
)

// metrics are one camera's series. The families are shared by all cameras
// registered on the same registry.
type metrics struct {
	captured, dropped, skippedStill, skippedFPS, reconnects prometheus.Counter

	reg   prometheus.Registerer
	gauge []prometheus.Collector // this camera's scrape-time gauges
}

func newMetrics(reg prometheus.Registerer, camera string, up, age func() float64) (*metrics, error) {
	captured, err1 := shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_frames_captured_total", Help: helpCaptured}, []string{"camera"}))
	dropped, err2 := shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_frames_dropped_total", Help: helpDropped}, []string{"camera", "stage"}))
	skipped, err3 := shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_frames_skipped_total", Help: helpSkipped}, []string{"camera", "reason"}))
	reconn, err4 := shared(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_camera_reconnects_total", Help: helpReconnects}, []string{"camera"}))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	m := &metrics{
		captured:     captured.WithLabelValues(camera),
		dropped:      dropped.WithLabelValues(camera, "capture"),
		skippedStill: skipped.WithLabelValues(camera, "still"),
		skippedFPS:   skipped.WithLabelValues(camera, "fps"),
		reconnects:   reconn.WithLabelValues(camera),
		reg:          reg,
	}
	labels := prometheus.Labels{"camera": camera}
	for _, g := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_camera_up", Help: helpUp, ConstLabels: labels}, up),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_camera_last_frame_age_seconds", Help: helpAge, ConstLabels: labels}, age),
	} {
		if err := reg.Register(g); err != nil {
			m.unregister()
			return nil, fmt.Errorf("metrics of camera %q: %w (is the name used twice?)", camera, err)
		}
		m.gauge = append(m.gauge, g)
	}
	return m, nil
}

// unregister removes the camera's gauges, which read a camera that is gone.
// Its counters stay, so that they continue if the camera comes back.
func (m *metrics) unregister() {
	for _, g := range m.gauge {
		m.reg.Unregister(g)
	}
	m.gauge = nil
}

// shared registers c, or returns the collector registered before under the
// same name by another camera.
func shared[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("capture metrics: %w", err)
}
