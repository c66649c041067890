package sanitize

import (
	"fmt"
	"time"
)

// minYear and maxYear bound the capture times a sample may carry; outside
// them the time is a broken clock, not a capture.
const (
	minYear = 2000
	maxYear = 9999
)

// FloorToBucket floors t to the start of its bucket of the given size,
// counted in whole seconds from the Unix epoch, in UTC. size must be a whole
// number of seconds, at least one.
func FloorToBucket(t time.Time, size time.Duration) (time.Time, error) {
	secs, err := bucketSeconds(size)
	if err != nil {
		return time.Time{}, err
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("capture time is unset")
	}
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		return time.Time{}, fmt.Errorf("capture time %s is outside the years %d..%d", t.UTC().Format(time.RFC3339), minYear, maxYear)
	}
	u := t.Unix()
	start := u - mod(u, secs)
	return time.Unix(start, 0).UTC(), nil
}

// bucketSeconds returns size in whole seconds or an error when it is not a
// positive whole number of seconds.
func bucketSeconds(size time.Duration) (int64, error) {
	if size < time.Second || size%time.Second != 0 {
		return 0, fmt.Errorf("time bucket %s is not a whole number of seconds of at least 1s", size)
	}
	return int64(size / time.Second), nil
}

// mod is the non-negative remainder of a divided by b > 0.
func mod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
