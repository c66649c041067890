package sanitize

import (
	"math"
	"strings"
	"testing"

	"github.com/mmcloughlin/geohash"
)

func TestGeohashKnownValues(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		p        int
		want     string
	}{
		{42.6, -5.6, 5, "ezs42"},                // Wikipedia's worked example
		{57.64911, 10.40744, 11, "u4pruydqqvj"}, // Wikipedia, Jutland
		{37.7749, -122.4194, 5, "9q8yy"},        // San Francisco
		{51.5074, -0.1278, 6, "gcpvj0"},         // London
		{-33.8688, 151.2093, 4, "r3gx"},         // Sydney
		{0, 0, 3, "s00"},                        // origin: upper halves
		{-90, -180, 4, "0000"},                  // south-west corner
		{90, 180, 4, "zzzz"},                    // north-east corner
		{-0.000001, -0.000001, 2, "7z"},         // just south-west of the origin
	} {
		got, err := Geohash(c.lat, c.lon, c.p)
		if err != nil || got != c.want {
			t.Errorf("Geohash(%v, %v, %d) = %q, %v; want %q", c.lat, c.lon, c.p, got, err, c.want)
		}
	}
}

func TestGeohashErrors(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		p        int
		want     string
	}{
		{0, 0, 0, "geohash precision 0 is outside 1..12"},
		{0, 0, 13, "geohash precision 13 is outside 1..12"},
		{90.0001, 0, 4, "latitude 90.0001 is outside -90..90"},
		{math.NaN(), 0, 4, "latitude NaN is outside -90..90"},
		{0, -180.5, 4, "longitude -180.5 is outside -180..180"},
		{0, math.Inf(1), 4, "longitude +Inf is outside -180..180"},
	} {
		_, err := Geohash(c.lat, c.lon, c.p)
		if err == nil || err.Error() != c.want {
			t.Errorf("Geohash(%v, %v, %d) error = %v; want %q", c.lat, c.lon, c.p, err, c.want)
		}
	}
}

// FuzzGeohash checks that every geohash has the asked length, names a cell
// that holds the position, and that a shorter one is its prefix.
func FuzzGeohash(f *testing.F) {
	f.Add(42.6, -5.6, uint8(5))
	f.Add(-90.0, 180.0, uint8(12))
	f.Add(0.0, 0.0, uint8(1))
	f.Fuzz(func(t *testing.T, lat, lon float64, p uint8) {
		h, err := Geohash(lat, lon, int(p))
		if err != nil {
			if lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && p >= 1 && p <= 12 {
				t.Fatalf("Geohash(%v, %v, %d): %v", lat, lon, p, err)
			}
			return
		}
		if len(h) != int(p) || !validGeohash(h, 12) {
			t.Fatalf("Geohash(%v, %v, %d) = %q", lat, lon, p, h)
		}
		if !cellHolds(h, lat, lon) {
			b := geohash.BoundingBox(h)
			t.Fatalf("cell %q [%v,%v]×[%v,%v] does not hold %v,%v", h, b.MinLat, b.MaxLat, b.MinLng, b.MaxLng, lat, lon)
		}
		if p > 1 {
			short, _ := Geohash(lat, lon, int(p)-1)
			if !strings.HasPrefix(h, short) {
				t.Fatalf("%q is not a prefix of %q", short, h)
			}
		}
	})
}
