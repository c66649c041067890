package gps

import (
	"strings"
	"testing"
	"time"

	nmea "github.com/adrianmo/go-nmea"
	"github.com/prometheus/client_golang/prometheus"
)

// sentence adds the $ and the checksum to an NMEA body.
func sentence(body string) string {
	return "$" + body + "*" + nmea.Checksum(body)
}

func TestParseSentence(t *testing.T) {
	for _, tc := range []struct {
		line     string
		ok       bool
		bad      bool
		lat, lon float64
		at       string // RFC 3339 for RMC; time of day for GGA
	}{
		{line: sentence("GPRMC,081836.50,A,3751.65,S,14507.36,E,000.0,360.0,130925,011.3,E"), ok: true,
			lat: -37.860833, lon: 145.122667, at: "2025-09-13T08:18:36.5Z"},
		{line: sentence("GNGGA,203415.000,6325.6138,N,01021.4290,E,1,8,2.42,72.5,M,41.5,M,,"), ok: true,
			lat: 63.426897, lon: 10.357150, at: "20h34m15s"},
		{line: sentence("GPRMC,081836,V,,,,,,,130998,,"), ok: false},     // receiver has no fix
		{line: sentence("GPGGA,203415.000,,,,,0,0,,,M,,M,,"), ok: false}, // fix quality 0
		{line: sentence("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00"), ok: false},
		{line: sentence("PUBX,00,081350.00,4717.113210,N,00833.915187,E"), ok: false}, // proprietary: ignored
		{line: "$GPRMC,081836,A,3751.65,S,14507.36,E,000.0,360.0,130998,011.3,E*00", bad: true},
		{line: "$GPRMC,081836,A,3751.65,S,14507.36,E,000.0,360.0,130998,011.3,E", bad: true}, // no checksum
		{line: "\x00\xff garbage", bad: true},
		{line: sentence("GPRMC,081836,A,9751.65,N,14507.36,E,0,0,130998,,"), bad: true}, // latitude 97
		{line: sentence("GPRMC,991836,A,3751.65,N,14507.36,E,0,0,130998,,"), bad: true}, // hour 99
		{line: sentence("GPRMC,081836,A,3751.65,N,14507.36,E,0,0,451398,,"), bad: true}, // month 13
	} {
		var p nmea.SentenceParser
		f, ok, err := parseSentence(&p, tc.line)
		if (err != nil) != tc.bad || ok != tc.ok {
			t.Errorf("%q: ok %v, err %v; want ok %v, bad %v", tc.line, ok, err, tc.ok, tc.bad)
			continue
		}
		if !ok {
			continue
		}
		if d := f.pos.Lat - tc.lat; d > 1e-6 || d < -1e-6 {
			t.Errorf("%q: lat %v, want %v", tc.line, f.pos.Lat, tc.lat)
		}
		if d := f.pos.Lon - tc.lon; d > 1e-6 || d < -1e-6 {
			t.Errorf("%q: lon %v, want %v", tc.line, f.pos.Lon, tc.lon)
		}
		if want, err := time.Parse(time.RFC3339Nano, tc.at); err == nil {
			if !f.at.Equal(want) {
				t.Errorf("%q: time %v, want %v", tc.line, f.at, want)
			}
		} else if d, _ := time.ParseDuration(tc.at); !f.at.IsZero() || f.tod != d {
			t.Errorf("%q: time of day %v (at %v), want %v", tc.line, f.tod, f.at, d)
		}
	}
}

func TestOnDayNearCrossesMidnight(t *testing.T) {
	ref := time.Date(2025, 3, 1, 0, 0, 1, 0, time.UTC)
	if got := onDayNear(23*time.Hour+59*time.Minute+59*time.Second, ref); !got.Equal(ref.Add(-2 * time.Second)) {
		t.Fatalf("23:59:59 near 00:00:01 = %v, want the day before", got)
	}
	ref = time.Date(2025, 2, 28, 23, 59, 59, 0, time.UTC)
	if got := onDayNear(time.Second, ref); !got.Equal(ref.Add(2 * time.Second)) {
		t.Fatalf("00:00:01 near 23:59:59 = %v, want the next day", got)
	}
}

func TestLiveFixTime(t *testing.T) {
	recv := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	precise := recv.Add(-700 * time.Millisecond) // serial latency
	if got := liveFixTime(precise, recv); !got.Equal(precise) {
		t.Fatalf("receiver time 0.7 s before receipt: got %v, want the receiver's", got)
	}
	if got := liveFixTime(recv.Add(-time.Hour), recv); !got.Equal(recv) {
		t.Fatalf("receiver time an hour off: got %v, want the receive time", got)
	}
	if got := liveFixTime(time.Time{}, recv); !got.Equal(recv) {
		t.Fatalf("no receiver time: got %v, want the receive time", got)
	}
}

func TestEachLineSkipsOverlongLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+10)
	var lines []string
	tooLong := 0
	err := eachLine(strings.NewReader("a\r\n"+long+"\nb\nlast"), func(l string) { lines = append(lines, l) }, func() { tooLong++ })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines, "|") != "a|b|last" || tooLong != 1 {
		t.Fatalf("lines %q, %d too long", lines, tooLong)
	}
}

// track is a recorded drive: GGA before the first RMC, a checksum error and
// garbage in the middle, a crossing of midnight.
var track = strings.Join([]string{
	sentence("GPGGA,235958.000,5230.0000,N,01324.0000,E,1,8,1.0,34.0,M,39.0,M,,"),
	sentence("GPRMC,235959.000,A,5230.0010,N,01324.0010,E,10.0,90.0,281224,,"),
	"$GPRMC,000000.000,A,5230.0020,N,01324.0020,E,10.0,90.0,291224,,*00",
	"NO CARRIER",
	sentence("GPGGA,000001.000,5230.0030,N,01324.0030,E,1,8,1.0,34.0,M,39.0,M,,"),
	sentence("GPRMC,000002.000,A,5230.0040,N,01324.0040,E,10.0,90.0,291224,,"),
	"",
}, "\r\n")

func TestTrackFile(t *testing.T) {
	path := writeFile(t, "drive.nmea", track)
	reg := prometheus.NewRegistry()
	now := time.Date(2024, 12, 29, 0, 0, 12, 0, time.UTC)
	src, err := Open("nmea:"+path, testCfg, testLog(t), reg, withClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	first := time.Date(2024, 12, 28, 23, 59, 58, 0, time.UTC)
	for _, tc := range []struct {
		at  time.Time
		lat float64
	}{
		{first, 52.5},
		{first.Add(1100 * time.Millisecond), 52.5 + 0.001/60},
		{first.Add(3 * time.Second), 52.5 + 0.003/60}, // after midnight, from a GGA
		{first.Add(4 * time.Second), 52.5 + 0.004/60},
	} {
		f := src.Nearest(tc.at)
		if f == nil || abs(f.Lat-tc.lat) > 1e-9 {
			t.Errorf("Nearest(%v) = %+v, want lat %v", tc.at, f, tc.lat)
		}
	}
	if f := src.Nearest(first.Add(-6 * time.Second)); f != nil {
		t.Errorf("6 s before the track: %+v, want none", f)
	}
	if v, _ := gather(t, reg, "edge_gps_sentences_total", "result", "bad"); v != 2 {
		t.Errorf("bad sentences %v, want 2", v)
	}
	if v, _ := gather(t, reg, "edge_gps_sentences_total", "result", "ok"); v != 4 {
		t.Errorf("ok sentences %v, want 4", v)
	}
	if v, ok := gather(t, reg, "edge_gps_fix_age_seconds", "", ""); !ok || v != 10 {
		t.Errorf("fix age %v (exported %v), want 10 s after the last fix", v, ok)
	}
}

func TestTrackRebase(t *testing.T) {
	path := writeFile(t, "drive.nmea", track)
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	src, err := Open("nmea:"+path, testCfg, testLog(t), nil, WithRebase(start))
	if err != nil {
		t.Fatal(err)
	}
	if f := src.Nearest(start); f == nil || f.Lat != 52.5 || !f.Time.Equal(start) {
		t.Fatalf("first fix after rebase: %+v", f)
	}
	if f := src.Nearest(start.Add(4 * time.Second)); f == nil || abs(f.Lat-(52.5+0.004/60)) > 1e-9 {
		t.Fatalf("last fix after rebase: %+v", f)
	}
	// The same through Open, as a replay passes its clock start.
	src, err = Open("nmea:"+path, testCfg, nil, nil, WithRebase(start))
	if err != nil {
		t.Fatal(err)
	}
	if f := src.Nearest(start.Add(time.Second)); f == nil || !f.Time.Equal(start.Add(time.Second)) {
		t.Fatalf("Open WithRebase: %+v", f)
	}
}

func TestTrackWithoutDate(t *testing.T) {
	ggaOnly := sentence("GPGGA,120000.000,5230.0000,N,01324.0000,E,1,8,1.0,34.0,M,39.0,M,,") + "\n"
	path := writeFile(t, "gga.nmea", ggaOnly)
	_, err := Open("nmea:"+path, testCfg, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no RMC sentence") || !strings.Contains(err.Error(), "'gps.source' nmea:") {
		t.Fatalf("GGA-only track without rebase: %v", err)
	}
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	src, err := Open("nmea:"+path, testCfg, nil, nil, WithRebase(start))
	if err != nil {
		t.Fatal(err)
	}
	if f := src.Nearest(start); f == nil || f.Lat != 52.5 {
		t.Fatalf("rebased GGA-only track: %+v", f)
	}
	_, err = Open("nmea:"+writeFile(t, "empty.nmea", "garbage\n"), testCfg, nil, nil, WithRebase(start))
	if err == nil || !strings.Contains(err.Error(), "the track holds no fix (1 bad lines)") {
		t.Fatalf("track without fix: %v", err)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
