package gps

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	nmea "github.com/adrianmo/go-nmea"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// trackSource answers from a recorded track loaded whole.
type trackSource struct {
	hist   *history
	maxAge time.Duration
}

func (s *trackSource) Nearest(t time.Time) *read.Fix { return s.hist.nearest(t, s.maxAge) }
func (s *trackSource) Run(context.Context) error     { return nil }

// openTrack loads the NMEA file at path. Without a rebase time the track needs
// an RMC sentence (the only one with a date).
func openTrack(path string, rebase time.Time, cfg config.GPS, log *slog.Logger, reg prometheus.Registerer, o options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("'gps.source' nmea:%s: %w", path, err)
	}
	defer f.Close()
	hist := &history{}
	m := newMetrics(reg, func() (time.Duration, bool) { return hist.age(o.now()) })
	fixes, bad, err := loadTrack(f, !rebase.IsZero(), m)
	if err != nil {
		return nil, fmt.Errorf("'gps.source' nmea:%s: %w", path, err)
	}
	if len(fixes) == 0 {
		return nil, fmt.Errorf("'gps.source' nmea:%s: the track holds no fix (%d bad lines)", path, bad)
	}
	var shift time.Duration
	if !rebase.IsZero() {
		first := fixes[0].Time
		for _, f := range fixes {
			first = minTime(first, f.Time)
		}
		shift = rebase.Sub(first)
	}
	for _, f := range fixes {
		f.Time = f.Time.Add(shift)
		hist.add(f)
	}
	log.Info("gps: recorded track loaded", "path", path, "fixes", hist.len(), "bad_lines", bad,
		"rebased", !rebase.IsZero())
	return &trackSource{hist: hist, maxAge: cfg.MaxAge}, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// undated is the day a track without any RMC sentence is placed on before it
// is rebased.
var undated = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// loadTrack reads every fix of a track in file order. A GGA sentence (time of
// day only) is dated by the fix before it, or by the track's first RMC.
func loadTrack(r io.Reader, rebased bool, m *metrics) (fixes []read.Fix, bad int, err error) {
	var (
		p     nmea.SentenceParser
		found []sentenceFix
	)
	countBad := func() { bad++; m.bad.Inc() }
	err = eachLine(r, func(line string) {
		if line == "" {
			return
		}
		f, ok, err := parseSentence(&p, line)
		if err != nil {
			countBad()
			return
		}
		m.ok.Inc()
		if ok && f.hasTime {
			found = append(found, f)
		}
	}, countBad)
	if err != nil {
		return nil, bad, err
	}
	ref := time.Time{}
	for _, f := range found {
		if !f.at.IsZero() {
			ref = f.at
			break
		}
	}
	if ref.IsZero() {
		if !rebased && len(found) > 0 {
			return nil, bad, fmt.Errorf("the track has no RMC sentence, so no date: replay it with a start time to rebase it")
		}
		ref = undated
	}
	for _, f := range found {
		t := f.sentenceTime(ref)
		fixes = append(fixes, read.Fix{Position: f.pos, Time: t})
		ref = t
	}
	return fixes, bad, nil
}
