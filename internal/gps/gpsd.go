package gps

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// watchCommand asks gpsd to stream its reports as JSON.
const watchCommand = `?WATCH={"enable":true,"json":true}` + "\n"

// dialTimeout bounds one connection attempt to gpsd.
const dialTimeout = 5 * time.Second

// report is the part of a gpsd report we use. TPV (time-position-velocity)
// reports carry the fix; mode is 0/1 without a fix, 2 for 2D, 3 for 3D.
type report struct {
	Class string   `json:"class"`
	Mode  int      `json:"mode"`
	Time  string   `json:"time"`
	Lat   *float64 `json:"lat"`
	Lon   *float64 `json:"lon"`
}

// newGPSD follows, in Run, gpsd at addr (host:port) over its JSON protocol.
func newGPSD(addr string, cfg config.GPS, log *slog.Logger, reg prometheus.Registerer, o options) *live {
	log = log.With("gps", "gpsd", "addr", addr)
	hist := &history{limit: liveHistory}
	m := newMetrics(reg, func() (time.Duration, bool) { return hist.age(o.now()) })
	s := func(ctx context.Context) (bool, error) {
		d := net.Dialer{Timeout: dialTimeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false, err
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		if _, err := io.WriteString(conn, watchCommand); err != nil {
			return false, err
		}
		log.Info("gps: connected to gpsd")
		got := false
		err = eachLine(conn, func(line string) {
			if line == "" {
				return
			}
			fix, ok, err := parseReport(line, o.now())
			if err != nil {
				m.bad.Inc()
				log.Debug("gps: bad gpsd report", "err", err)
				return
			}
			m.ok.Inc()
			got = true
			if ok {
				hist.add(fix)
			}
		}, m.bad.Inc)
		if err == nil {
			err = errors.New("gpsd closed the connection")
		}
		return got, err
	}
	return &live{hist: hist, m: m, maxAge: cfg.MaxAge, log: log, o: o, s: s}
}

// parseReport reads one gpsd JSON report received at recv. ok tells whether
// it is a TPV report with a 2D or 3D fix.
func parseReport(line string, recv time.Time) (fix read.Fix, ok bool, err error) {
	var r report
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return fix, false, err
	}
	if r.Class == "" {
		return fix, false, errors.New("report without class")
	}
	if r.Class != "TPV" || r.Mode < 2 {
		return fix, false, nil
	}
	if r.Lat == nil || r.Lon == nil {
		return fix, false, errors.New("TPV with a fix but no lat/lon")
	}
	pos := read.Position{Lat: *r.Lat, Lon: *r.Lon}
	if !validPosition(pos) {
		return fix, false, errors.New("TPV position out of range")
	}
	var at time.Time
	if r.Time != "" {
		if at, err = time.Parse(time.RFC3339Nano, r.Time); err != nil {
			return fix, false, err
		}
	}
	return read.Fix{Position: pos, Time: liveFixTime(at, recv)}, true, nil
}
