package synth

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	nmea "github.com/adrianmo/go-nmea"
)

func TestNMEATrackParsesAndCoversTheDuration(t *testing.T) {
	var buf bytes.Buffer
	const secs = 65
	if err := WriteNMEA(&buf, DefaultStart, secs, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\r\n") {
		t.Fatal("sentences must end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
	if len(lines) != 2*(secs+1) {
		t.Fatalf("got %d sentences, want %d (RMC and GGA for each second 0..%d)", len(lines), 2*(secs+1), secs)
	}
	var prev *nmea.RMC
	for i, l := range lines {
		s, err := nmea.Parse(l) // checks the checksum too
		if err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		at := DefaultStart.Add(time.Duration(i/2) * time.Second)
		switch v := s.(type) {
		case nmea.RMC:
			if i%2 != 0 || v.Validity != "A" {
				t.Fatalf("line %d: RMC out of place or not valid: %q", i, l)
			}
			if v.Date.YY != 25 || v.Date.MM != 6 || v.Date.DD != 2 || v.Time.Hour != at.Hour() || v.Time.Minute != at.Minute() || v.Time.Second != at.Second() {
				t.Fatalf("line %d: time %v %v, want %v", i, v.Date, v.Time, at)
			}
			if mps := v.Speed * 1852 / 3600; mps < 10 || mps > 20 {
				t.Errorf("line %d: speed %.1f m/s, want 10–20", i, mps)
			}
			if prev != nil {
				d := distance(prev.Latitude, prev.Longitude, v.Latitude, v.Longitude)
				if d < 9 || d > 21 {
					t.Errorf("line %d: moved %.1f m in one second, want 10–20", i, d)
				}
			}
			prev = &v
		case nmea.GGA:
			if i%2 != 1 || v.FixQuality != "1" {
				t.Fatalf("line %d: GGA out of place or without a fix: %q", i, l)
			}
		default:
			t.Fatalf("line %d: unexpected sentence %q", i, l)
		}
	}
	first, _ := nmea.Parse(lines[0])
	if r := first.(nmea.RMC); math.Abs(r.Latitude-TrackStart.Lat) > 1e-4 || math.Abs(r.Longitude-TrackStart.Lon) > 1e-4 {
		t.Errorf("track starts at %.5f,%.5f, want %v", r.Latitude, r.Longitude, TrackStart)
	}
}

func TestNMEAIsDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	WriteNMEA(&a, DefaultStart, 30, 5)
	WriteNMEA(&b, DefaultStart, 30, 5)
	WriteNMEA(&c, DefaultStart, 30, 6)
	if a.String() != b.String() {
		t.Fatal("same seed, different tracks")
	}
	if a.String() == c.String() {
		t.Fatal("different seeds, same track")
	}
}

// distance is the equirectangular distance in metres, fine over metres.
func distance(lat1, lon1, lat2, lon2 float64) float64 {
	dy := (lat2 - lat1) * metresPerDegree
	dx := (lon2 - lon1) * metresPerDegree * math.Cos(lat1*math.Pi/180)
	return math.Hypot(dx, dy)
}
