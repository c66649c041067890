package sanitize

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/geohash"
)

// MaxGeohashPrecision is the longest geohash Geohash writes; samples use at
// most 5 characters (about 4.9 km × 4.9 km).
const MaxGeohashPrecision = 12

// edgeMargin is far below the smallest cell of MaxGeohashPrecision (1.7e-7
// degrees of latitude) and far above the float rounding of the library's
// (x+r)/2r near 1 (about 1e-14 degrees).
const edgeMargin = 1e-9

// Geohash encodes a WGS84 position as a geohash of precision characters: the
// cell that contains the position (github.com/mmcloughlin/geohash). Latitude
// must be in [-90, 90], longitude in [-180, 180] and precision in [1, 12].
// A position within a float rounding of a cell's edge (about 1e-14 degrees)
// may be given the neighbouring cell: nothing a sample's coarse place notices.
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
	// The library's 32-bit integer encoding wraps +90 and +180 (and values
	// within a rounding of them) round to the opposite edge; a point
	// edgeMargin below them lies in the same top (right) cells at every
	// precision up to 12.
	lat, lon = min(lat, 90-edgeMargin), min(lon, 180-edgeMargin)
	return geohash.EncodeWithPrecision(lat, lon, uint(precision)), nil
}

// validGeohash reports whether s is a non-empty geohash of at most max
// characters of the geohash alphabet.
func validGeohash(s string, maxLen int) bool {
	return len(s) > 0 && len(s) <= maxLen && geohash.Validate(s) == nil
}
