package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

func TestListFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	plates := []string{"ABC1234", "ABD1000", "XYZ9876", "ABC1234", "ABC1234"}
	ids := make([]int64, len(plates))
	for i, p := range plates {
		rec := sampleRecord(t0.Add(time.Duration(i)*time.Minute), 30)
		rec.Plate = read.Plate(p)
		if i == 2 {
			rec.Crop = nil
		}
		id, err := s.Insert(ctx, &rec)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	list := func(f Filter) []int64 {
		t.Helper()
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range got {
			out = append(out, r.ID)
		}
		return out
	}
	check := func(name string, got []int64, want ...int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("all, newest first", list(Filter{Limit: 10}), ids[4], ids[3], ids[2], ids[1], ids[0])
	check("plate", list(Filter{Plate: "ABC1234", Limit: 10}), ids[4], ids[3], ids[0])
	check("plate prefix", list(Filter{Plate: "AB*", Limit: 10}), ids[4], ids[3], ids[1], ids[0])
	check("since/until", list(Filter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute), Limit: 10}), ids[2], ids[1])
	page1, _ := s.List(ctx, Filter{Plate: "ABC1234", Limit: 2})
	check("page 2", list(Filter{Plate: "ABC1234", Limit: 2, Before: page1[1].Cursor()}), ids[0])
	if got, _ := s.List(ctx, Filter{Limit: 10}); got[2].HasCrop || !got[0].HasCrop || got[0].Fix == nil {
		t.Errorf("summaries %+v", got[:3])
	}
	if _, err := s.Crop(ctx, ids[2]); !errors.Is(err, ErrNotFound) {
		t.Errorf("crop of a read without one: %v", err)
	}
	if _, err := s.Crop(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("crop of no read: %v", err)
	}
	if c, err := s.Crop(ctx, ids[0]); err != nil || len(c) != 30 {
		t.Errorf("crop: %d bytes, %v", len(c), err)
	}
	var after []int64
	err := s.QueryAfterID(ctx, ids[1], 2, func(r read.Record, final bool) error {
		if !final {
			t.Errorf("read %d not final", r.ID)
		}
		after = append(after, r.ID)
		return nil
	})
	check("after id", after, ids[2], ids[3])
	if err != nil {
		t.Fatal(err)
	}
}

// The store's id is made once and kept.
func TestUIDStays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reads.db")
	s, _ := openTest(t, path, testCfg())
	uid, err := s.UID(context.Background())
	if err != nil || len(uid) != 32 {
		t.Fatalf("uid %q %v", uid, err)
	}
	s.Close()
	s2, _ := openTest(t, path, testCfg())
	if again, _ := s2.UID(context.Background()); again != uid {
		t.Fatalf("uid changed at reopen: %q then %q", uid, again)
	}
	other, _ := openTest(t, filepath.Join(t.TempDir(), "other.db"), testCfg())
	if o, _ := other.UID(context.Background()); o == uid {
		t.Fatal("two stores share an id")
	}
}
