package gps

import (
	"context"
	"errors"
	"log/slog"
	"time"

	nmea "github.com/adrianmo/go-nmea"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// newDevice follows, in Run, NMEA sentences from a serial device (or a FIFO). A
// fix is stamped with the receiver's time when it agrees with the system
// clock, else with the receive time (see liveFixTime).
func newDevice(path string, baud int, cfg config.GPS, log *slog.Logger, reg prometheus.Registerer, o options) *live {
	log = log.With("gps", "nmea", "device", path)
	hist := &history{limit: liveHistory}
	m := newMetrics(reg, func() (time.Duration, bool) { return hist.age(o.now()) })
	s := func(ctx context.Context) (bool, error) {
		f, err := openDevice(path, baud)
		if err != nil {
			return false, err
		}
		defer f.Close()
		// Closing the file wakes a blocked Read: the device is non-blocking
		// and read through the runtime poller.
		stop := context.AfterFunc(ctx, func() { f.Close() })
		defer stop()
		log.Info("gps: reading NMEA device", "baud", baud)
		var p nmea.SentenceParser
		got := false
		err = eachLine(f, func(line string) {
			if line == "" {
				return
			}
			sf, ok, err := parseSentence(&p, line)
			if err != nil {
				m.bad.Inc()
				log.Debug("gps: bad NMEA sentence", "err", err)
				return
			}
			m.ok.Inc()
			got = true
			if ok {
				recv := o.now()
				hist.add(read.Fix{Position: sf.pos, Time: liveFixTime(sf.sentenceTime(recv), recv)})
			}
		}, m.bad.Inc)
		if err == nil {
			err = errors.New("device closed")
		}
		return got, err
	}
	return &live{hist: hist, m: m, maxAge: cfg.MaxAge, log: log, o: o, s: s}
}
