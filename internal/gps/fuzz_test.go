package gps

import (
	"strings"
	"testing"
	"time"

	nmea "github.com/adrianmo/go-nmea"
)

// FuzzNMEA feeds arbitrary lines to the sentence parser and the track
// loader: they must never panic, and whatever they accept must be a
// possible fix. Seeds are in testdata/fuzz/FuzzNMEA.
func FuzzNMEA(f *testing.F) {
	f.Add(sentence("GPRMC,081836.50,A,3751.65,S,14507.36,E,000.0,360.0,130925,011.3,E"))
	f.Add(sentence("GNGGA,203415.000,6325.6138,N,01021.4290,E,1,8,2.42,72.5,M,41.5,M,,"))
	f.Add("$GPRMC,,,,,,,,,,,*00")
	f.Add(`\s:r3669961,c:1120959341*0D\` + sentence("GPRMC,081836,A,3751.65,S,14507.36,E,0,0,130925,,"))
	m := newMetrics(nil, nil)
	f.Fuzz(func(t *testing.T, line string) {
		var p nmea.SentenceParser
		sf, ok, err := parseSentence(&p, line)
		if ok && err != nil {
			t.Fatalf("both a fix and an error: %v", err)
		}
		if ok {
			if !validPosition(sf.pos) {
				t.Fatalf("impossible position %+v accepted", sf.pos)
			}
			if sf.tod < 0 || sf.tod > 24*time.Hour+time.Second {
				t.Fatalf("time of day %v accepted", sf.tod)
			}
		}
		fixes, _, err := loadTrack(strings.NewReader(line+"\n"+line), true, m)
		if err == nil && len(fixes) > 0 {
			for _, fx := range fixes {
				if !validPosition(fx.Position) || fx.Time.IsZero() {
					t.Fatalf("track fix %+v", fx)
				}
			}
		}
	})
}

// FuzzGPSD feeds arbitrary lines to the gpsd report parser: it must never
// panic, and a report it accepts must be a possible fix, stamped.
func FuzzGPSD(f *testing.F) {
	f.Add(`{"class":"TPV","device":"/dev/ttyUSB0","mode":3,"time":"2025-06-02T08:00:01.000Z","lat":30.2672,"lon":-97.7431,"speed":12.5}`)
	f.Add(`{"class":"TPV","mode":1}`)
	f.Add(`{"class":"SKY","satellites":[]}`)
	f.Add(`{"class":"TPV","mode":2,"lat":91,"lon":0}`)
	f.Add(`{"class":"TPV","mode":3,"lat":"x"}`)
	f.Add(`not json`)
	recv := time.Date(2025, 6, 2, 8, 0, 1, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		fix, ok, err := parseReport(line, recv)
		if ok && err != nil {
			t.Fatalf("both a fix and an error: %v", err)
		}
		if ok && (!validPosition(fix.Position) || fix.Time.IsZero()) {
			t.Fatalf("impossible fix %+v accepted from %q", fix, line)
		}
	})
}
