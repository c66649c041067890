package sanitize

import (
	"testing"
	"time"
)

func TestFloorToBucket(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		t    time.Time
		size time.Duration
		want string
	}{
		{time.Date(2025, 3, 14, 15, 59, 59, 999e6, time.UTC), time.Hour, "2025-03-14T15:00:00Z"},
		{time.Date(2025, 3, 14, 16, 0, 0, 0, time.UTC), time.Hour, "2025-03-14T16:00:00Z"},
		{time.Date(2025, 3, 14, 0, 30, 0, 0, paris), time.Hour, "2025-03-13T23:00:00Z"},
		{time.Date(2025, 3, 14, 15, 44, 0, 0, time.UTC), 15 * time.Minute, "2025-03-14T15:30:00Z"},
		{time.Date(2025, 3, 14, 23, 59, 0, 0, time.UTC), 24 * time.Hour, "2025-03-14T00:00:00Z"},
		// 50 min does not divide a day: buckets are multiples of 3000 s since the epoch.
		{time.Date(2025, 3, 14, 0, 5, 0, 0, time.UTC), 50 * time.Minute, "2025-03-13T23:20:00Z"},
	} {
		got, err := FloorToBucket(c.t, c.size)
		if err != nil || got.Format(time.RFC3339) != c.want || got.Location() != time.UTC {
			t.Errorf("FloorToBucket(%s, %s) = %s, %v; want %s", c.t, c.size, got, err, c.want)
		}
		if got.Unix()%int64(c.size/time.Second) != 0 {
			t.Errorf("%s is not a multiple of %s", got, c.size)
		}
	}
}

func TestFloorToBucketErrors(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		size time.Duration
		want string
	}{
		{time.Time{}, time.Hour, "capture time is unset"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 1500 * time.Millisecond, "time bucket 1.5s is not a whole number of seconds of at least 1s"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 0, "time bucket 0s is not a whole number of seconds of at least 1s"},
		{time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC), time.Hour, "capture time 1999-12-31T23:00:00Z is outside the years 2000..9999"},
	} {
		_, err := FloorToBucket(c.t, c.size)
		if err == nil || err.Error() != c.want {
			t.Errorf("FloorToBucket(%s, %s) error = %v; want %q", c.t, c.size, err, c.want)
		}
	}
}
