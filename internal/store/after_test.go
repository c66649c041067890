package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// TestQueryAfterIDAndLastID: QueryAfterID returns the reads above an id in
// the order they were stored, whole, and stops when fn says so; LastID is
// the highest id ever given, even once every read was evicted.
func TestQueryAfterIDAndLastID(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	if id, err := s.LastID(ctx); err != nil || id != 0 {
		t.Fatalf("LastID of an empty store = %d, %v", id, err)
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	// Captured out of order: id order is the order of storing, not capture.
	var all []int64
	for _, d := range []time.Duration{0, -time.Minute, time.Minute, -2 * time.Minute, 2 * time.Minute} {
		all = append(all, insertN(t, s, now.Add(d), 1, 50)...)
	}
	after := func(id int64, stop int) []int64 {
		t.Helper()
		var got []int64
		errStop := errors.New("enough")
		err := s.QueryAfterID(ctx, id, func(r read.Record) error {
			if len(r.Crop) != 50 || r.Fix == nil || r.Plate == "" {
				t.Errorf("read %d came back incomplete: %+v", r.ID, r)
			}
			got = append(got, r.ID)
			if len(got) == stop {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			t.Fatal(err)
		}
		return got
	}
	if got := after(all[1], 0); !slices.Equal(got, all[2:]) {
		t.Errorf("after %d: %v, want %v", all[1], got, all[2:])
	}
	if got := after(0, 2); !slices.Equal(got, all[:2]) {
		t.Errorf("after 0, stopping at 2: %v, want %v", got, all[:2])
	}
	if got := after(all[4], 0); len(got) != 0 {
		t.Errorf("after the last id: %v", got)
	}
	if _, err := s.deleteOldest(ctx, 1<<40); err != nil { // evict everything
		t.Fatal(err)
	}
	if id, err := s.LastID(ctx); err != nil || id != all[4] {
		t.Fatalf("LastID once every read was evicted = %d, %v; want %d", id, err, all[4])
	}
}
