package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"time"
)

// TrackStart is where every generated GPS track begins: a street in Austin,
// Texas, in WGS84 degrees.
var TrackStart = struct{ Lat, Lon float64 }{30.2672, -97.7431}

// DefaultStart is the wall-clock time of frame 0 unless the caller picks one.
var DefaultStart = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

const metresPerDegree = 111320.0

// WriteNMEA writes a vehicle track as NMEA 0183 sentences, one $GPRMC and one
// $GPGGA per second from start to start+seconds inclusive, with CRLF line ends
// and valid checksums. The vehicle moves at 10–20 m/s with a slowly changing
// heading; the track depends only on seed.
func WriteNMEA(w io.Writer, start time.Time, seconds int, seed int64) error {
	if seconds < 0 {
		return fmt.Errorf("nmea: seconds must be ≥ 0, got %d", seconds)
	}
	r := newRNG(seed, 7)
	speedPhase, headPhase := r.between(0, 2*math.Pi), r.between(0, 2*math.Pi)
	heading0 := r.between(0, 360)
	lat, lon := TrackStart.Lat, TrackStart.Lon
	bw := bufio.NewWriter(w)
	for s := 0; s <= seconds; s++ {
		t := float64(s)
		speed := 15 + 4.5*math.Sin(2*math.Pi*t/47+speedPhase)                         // m/s, 10.5–19.5
		heading := math.Mod(heading0+25*math.Sin(2*math.Pi*t/131+headPhase)+360, 360) // degrees
		at := start.Add(time.Duration(s) * time.Second).UTC()
		fmt.Fprintf(bw, "%s\r\n", sentence(rmc(at, lat, lon, speed, heading)))
		fmt.Fprintf(bw, "%s\r\n", sentence(gga(at, lat, lon)))
		rad := heading * math.Pi / 180
		lat += speed * math.Cos(rad) / metresPerDegree
		lon += speed * math.Sin(rad) / (metresPerDegree * math.Cos(lat*math.Pi/180))
	}
	return bw.Flush()
}

func rmc(at time.Time, lat, lon, speed, heading float64) string {
	knots := speed * 3600 / 1852
	return fmt.Sprintf("GPRMC,%s,A,%s,%s,%.1f,%.1f,%s,,,A",
		at.Format("150405.00"), latField(lat), lonField(lon), knots, heading, at.Format("020106"))
}

func gga(at time.Time, lat, lon float64) string {
	return fmt.Sprintf("GPGGA,%s,%s,%s,1,09,0.9,165.0,M,-23.0,M,,",
		at.Format("150405.00"), latField(lat), lonField(lon))
}

// sentence wraps a body in '$' and '*' with its checksum.
func sentence(body string) string {
	var sum byte
	for i := 0; i < len(body); i++ {
		sum ^= body[i]
	}
	return fmt.Sprintf("$%s*%02X", body, sum)
}

func latField(lat float64) string {
	hemi := "N"
	if lat < 0 {
		hemi, lat = "S", -lat
	}
	d, m := degMin(lat)
	return fmt.Sprintf("%02d%07.4f,%s", d, m, hemi)
}

func lonField(lon float64) string {
	hemi := "E"
	if lon < 0 {
		hemi, lon = "W", -lon
	}
	d, m := degMin(lon)
	return fmt.Sprintf("%03d%07.4f,%s", d, m, hemi)
}

// degMin splits degrees into whole degrees and minutes rounded to 1e-4, carrying
// a rounding to 60 minutes into the degrees.
func degMin(v float64) (int, float64) {
	d := math.Floor(v)
	m := math.Round((v-d)*60*1e4) / 1e4
	if m >= 60 {
		d, m = d+1, 0
	}
	return int(d), m
}
