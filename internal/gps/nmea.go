package gps

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	nmea "github.com/adrianmo/go-nmea"

	"github.com/edge-agent/edge-agent/internal/read"
)

// clockTolerance is how far a receiver's time may be from the receive time on
// the system clock and still be taken as the fix time.
const clockTolerance = 2 * time.Second

// maxLine is the longest line accepted; an NMEA sentence has at most 82
// characters, a gpsd report a few kilobytes.
const maxLine = 64 << 10

// sentenceFix is the position an NMEA sentence reports, with its time: a
// full UTC time (RMC) or only the time of day (GGA).
type sentenceFix struct {
	pos     read.Position
	at      time.Time     // RMC: date and time; zero for GGA
	tod     time.Duration // time of day since midnight UTC
	hasTime bool
}

// parseSentence parses one NMEA line. It returns ok=false with a nil error for
// a valid sentence that carries no fix (another type, no satellite fix), and
// an error for garbage, a checksum mismatch or impossible values.
func parseSentence(p *nmea.SentenceParser, line string) (f sentenceFix, ok bool, err error) {
	s, err := p.Parse(line)
	if err != nil {
		var unsupported *nmea.NotSupportedError
		if errors.As(err, &unsupported) {
			return f, false, nil
		}
		return f, false, err
	}
	var t nmea.Time
	switch m := s.(type) {
	case nmea.RMC:
		if m.Validity != nmea.ValidRMC {
			return f, false, nil
		}
		f.pos, t = read.Position{Lat: m.Latitude, Lon: m.Longitude}, m.Time
		if m.Date.Valid {
			if m.Date.DD < 1 || m.Date.DD > 31 || m.Date.MM < 1 || m.Date.MM > 12 {
				return f, false, fmt.Errorf("RMC date %v out of range", m.Date)
			}
			f.at = nmea.DateTime(2000, m.Date, m.Time)
		}
	case nmea.GGA:
		if m.FixQuality == nmea.Invalid {
			return f, false, nil
		}
		f.pos, t = read.Position{Lat: m.Latitude, Lon: m.Longitude}, m.Time
	default:
		return f, false, nil
	}
	if !validPosition(f.pos) {
		return f, false, fmt.Errorf("%s position out of range", s.DataType())
	}
	if t.Valid {
		if t.Hour > 23 || t.Minute > 59 || t.Second > 60 {
			return f, false, fmt.Errorf("%s time %v out of range", s.DataType(), t)
		}
		f.hasTime = true
		f.tod = time.Duration(t.Hour)*time.Hour + time.Duration(t.Minute)*time.Minute +
			time.Duration(t.Second)*time.Second + time.Duration(t.Millisecond)*time.Millisecond
	} else {
		f.at = time.Time{} // a date without a time says nothing
	}
	return f, true, nil
}

func validPosition(p read.Position) bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// onDayNear places a time of day on the UTC day (ref's, the one before or
// after) that brings it nearest to ref.
func onDayNear(tod time.Duration, ref time.Time) time.Time {
	ref = ref.UTC()
	midnight := time.Date(ref.Year(), ref.Month(), ref.Day(), 0, 0, 0, 0, time.UTC)
	best := midnight.Add(tod)
	for _, d := range []int{-1, 1} {
		c := midnight.AddDate(0, 0, d).Add(tod)
		if c.Sub(ref).Abs() < best.Sub(ref).Abs() {
			best = c
		}
	}
	return best
}

// liveFixTime is the time of a fix received at recv (system clock) whose
// sentence says at (zero: no time). The receiver's time is precise (no serial
// or network latency) and is used when it agrees with the system clock
// within clockTolerance. Otherwise one of the clocks is wrong (a gateway that
// booted without time, a receiver without time yet, a sentence that waited in
// a buffer) and the receive time, on the clock that stamps the captures, is
// used.
func liveFixTime(at, recv time.Time) time.Time {
	if !at.IsZero() && at.Sub(recv).Abs() <= clockTolerance {
		return at
	}
	return recv
}

// sentenceTime is the full time of a sentence fix received at recv: RMC's
// own date, or GGA's time of day on the day nearest recv.
func (f sentenceFix) sentenceTime(ref time.Time) time.Time {
	switch {
	case !f.hasTime:
		return time.Time{}
	case !f.at.IsZero():
		return f.at
	default:
		return onDayNear(f.tod, ref)
	}
}

// eachLine calls fn with every line of r, without its line ending. A line
// longer than maxLine is skipped and reported to tooLong. It returns r's
// error (nil at EOF).
func eachLine(r io.Reader, fn func(line string), tooLong func()) error {
	br := bufio.NewReaderSize(r, maxLine)
	skipping := false
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !skipping {
				tooLong()
			}
			skipping = true
			continue
		case skipping:
			skipping = false // the rest of an overlong line
		case len(b) > 0:
			fn(string(trimEOL(b)))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
