package sanitize

import (
	"fmt"
	"math"
)

// geohashAlphabet is the geohash base32 alphabet (no a, i, l, o).
const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// MaxGeohashPrecision is the longest geohash Geohash writes; samples use at
// most 5 characters (about 4.9 km × 4.9 km).
const MaxGeohashPrecision = 12

// Geohash encodes a WGS84 position as a geohash of precision characters: the
// cell that contains the position, bisected longitude first. Latitude must be
// in [-90, 90], longitude in [-180, 180] and precision in [1, 12].
func Geohash(lat, lon float64, precision int) (string, error) {
	if precision < 1 || precision > MaxGeohashPrecision {
		return "", fmt.Errorf("geohash precision %d is outside 1..%d", precision, MaxGeohashPrecision)
	}
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return "", fmt.Errorf("latitude %v is outside -90..90", lat)
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return "", fmt.Errorf("longitude %v is outside -180..180", lon)
	}
	latR, lonR := [2]float64{-90, 90}, [2]float64{-180, 180}
	out := make([]byte, precision)
	for i := range out {
		var idx byte
		for bit := range 5 {
			// Bits alternate longitude, latitude, starting with longitude.
			if (i*5+bit)%2 == 0 {
				idx = idx<<1 | bisect(lon, &lonR)
			} else {
				idx = idx<<1 | bisect(lat, &latR)
			}
		}
		out[i] = geohashAlphabet[idx]
	}
	return string(out), nil
}

// bisect halves r towards v and returns 1 for the upper half, 0 for the
// lower.
func bisect(v float64, r *[2]float64) byte {
	mid := (r[0] + r[1]) / 2
	if v >= mid {
		r[0] = mid
		return 1
	}
	r[1] = mid
	return 0
}

// validGeohash reports whether s is a non-empty geohash of at most max
// characters of the geohash alphabet.
func validGeohash(s string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := range len(s) {
		if geohashIndex(s[i]) < 0 {
			return false
		}
	}
	return true
}

func geohashIndex(c byte) int {
	for i := range len(geohashAlphabet) {
		if geohashAlphabet[i] == c {
			return i
		}
	}
	return -1
}
