// Package gps attaches positions to reads. It follows gpsd, an NMEA device or
// a recorded NMEA track, or a static position, keeps a bounded history of
// fixes, and answers which fix is nearest a capture time.
package gps

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// Source tells where the vehicle was.
type Source interface {
	// Nearest returns the fix nearest in time to t, or nil when no fix lies
	// within gps.max_age of t.
	Nearest(t time.Time) *read.Fix
	// Run follows the source until ctx ends (a gpsd connection, a serial
	// device: received fixes go to Nearest, failures are retried with
	// backoff) and returns nil; for a source with nothing to follow (none,
	// static, a recorded track) it returns at once. Open starts nothing.
	Run(ctx context.Context) error
}

// Option changes how Open sets a source up.
type Option func(*options)

type options struct {
	rebase     time.Time
	now        func() time.Time
	backoffMin time.Duration
	backoffMax time.Duration
}

// WithRebase shifts a recorded NMEA track (nmea:FILE) in time so that its
// first fix is at t: a replay of recorded video passes its --clock-start, as
// the track's first fix belongs to the video's first frame. Other sources
// ignore it.
func WithRebase(t time.Time) Option { return func(o *options) { o.rebase = t } }

// withClock sets the clock (default time.Now) that live sources stamp
// received fixes with and that edge_gps_fix_age_seconds is measured against.
func withClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// withBackoff sets the reconnect delays of live sources (tests).
func withBackoff(lo, hi time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = lo, hi }
}

const sourceHelp = "use gpsd://host:port, nmea:PATH[?baud=N], static:LAT,LON or none"

// Open starts following source, the value of gps.source: gpsd://host:port,
// nmea:PATH (a serial device, optionally nmea:/dev/ttyUSB0?baud=9600, or a
// recorded track file), static:LAT,LON or none. It starts nothing: live
// sources follow their source in Run. Metrics are registered on reg (nil:
// not registered).
func Open(source string, cfg config.GPS, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (Source, error) {
	o := options{now: time.Now, backoffMin: 500 * time.Millisecond, backoffMax: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scheme, rest, _ := strings.Cut(source, ":")
	switch {
	case source == "none" || source == "":
		return noneSource{}, nil
	case scheme == "static":
		pos, err := parseStatic(rest)
		if err != nil {
			return nil, fmt.Errorf("'gps.source' %q: %w", source, err)
		}
		newMetrics(reg, func() (time.Duration, bool) { return 0, true })
		log.Info("gps: static position")
		return staticSource{pos: pos}, nil
	case scheme == "gpsd":
		addr, err := parseGPSD(source)
		if err != nil {
			return nil, fmt.Errorf("'gps.source' %q: %w", source, err)
		}
		return newGPSD(addr, cfg, log, reg, o), nil
	case scheme == "nmea":
		path, baud, err := parseNMEASource(rest)
		if err != nil {
			return nil, fmt.Errorf("'gps.source' %q: %w", source, err)
		}
		fi, statErr := os.Stat(path)
		if statErr == nil && fi.IsDir() {
			return nil, fmt.Errorf("'gps.source' %q: %s is a folder, not a device or track file", source, path)
		}
		if statErr == nil && fi.Mode().IsRegular() {
			if baud != 0 {
				return nil, fmt.Errorf("'gps.source' %q: baud applies to a serial device, %s is a file", source, path)
			}
			return openTrack(path, o.rebase, cfg, log, reg, o)
		}
		// A USB receiver may appear after the agent starts: a missing /dev
		// path is a device to wait for, a missing file is a mistake.
		if statErr != nil && !strings.HasPrefix(path, "/dev/") {
			return nil, fmt.Errorf("'gps.source' %q: %w", source, statErr)
		}
		return newDevice(path, baud, cfg, log, reg, o), nil
	default:
		return nil, fmt.Errorf("'gps.source' %q: unknown source; %s", source, sourceHelp)
	}
}

// parseStatic reads "LAT,LON" in decimal degrees.
func parseStatic(s string) (read.Position, error) {
	la, lo, ok := strings.Cut(s, ",")
	if !ok {
		return read.Position{}, fmt.Errorf("want static:LAT,LON in decimal degrees, such as static:52.52,13.405")
	}
	lat, err := strconv.ParseFloat(strings.TrimSpace(la), 64)
	if err != nil || math.IsNaN(lat) || lat < -90 || lat > 90 {
		return read.Position{}, fmt.Errorf("latitude %q must be a number from -90 to 90", la)
	}
	lon, err := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err != nil || math.IsNaN(lon) || lon < -180 || lon > 180 {
		return read.Position{}, fmt.Errorf("longitude %q must be a number from -180 to 180", lo)
	}
	return read.Position{Lat: lat, Lon: lon}, nil
}

// parseGPSD reads gpsd://host[:port] (default port 2947).
func parseGPSD(s string) (string, error) {
	hostport, ok := strings.CutPrefix(s, "gpsd://")
	if !ok || hostport == "" || strings.ContainsAny(hostport, "/?#") {
		return "", fmt.Errorf("want gpsd://host:port, such as gpsd://127.0.0.1:2947")
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "2947"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
		return "", fmt.Errorf("want gpsd://host:port, such as gpsd://127.0.0.1:2947")
	}
	return net.JoinHostPort(host, port), nil
}

// parseNMEASource reads PATH[?baud=N].
func parseNMEASource(s string) (path string, baud int, err error) {
	path, query, hasQuery := strings.Cut(s, "?")
	if path == "" {
		return "", 0, fmt.Errorf("want nmea:PATH, such as nmea:/dev/ttyUSB0?baud=9600 or nmea:track.nmea")
	}
	if !hasQuery {
		return path, 0, nil
	}
	v, ok := strings.CutPrefix(query, "baud=")
	if !ok {
		return "", 0, fmt.Errorf("unknown option %q; the only option is baud=N", query)
	}
	baud, err = strconv.Atoi(v)
	if err != nil || speed(baud) == 0 {
		return "", 0, fmt.Errorf("baud %q must be one of %s", v, baudList())
	}
	return path, baud, nil
}

type noneSource struct{}

func (noneSource) Nearest(time.Time) *read.Fix { return nil }
func (noneSource) Run(context.Context) error   { return nil }

// staticSource is a gateway that does not move: every capture is at pos.
type staticSource struct{ pos read.Position }

func (s staticSource) Nearest(t time.Time) *read.Fix { return &read.Fix{Position: s.pos, Time: t} }
func (staticSource) Run(context.Context) error       { return nil }
