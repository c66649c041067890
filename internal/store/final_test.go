package store

import (
	"context"
	"errors"
	"image"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// finals returns the ids and final_seqs QueryFinalAfter gives above seq,
// checking that each read came back whole.
func finals(t *testing.T, s *Store, seq int64) (ids, seqs []int64) {
	t.Helper()
	err := s.QueryFinalAfter(context.Background(), seq, func(r read.Record, rs int64) error {
		if len(r.Crop) == 0 || r.Plate == "" {
			t.Errorf("read %d came back incomplete: %+v", r.ID, r)
		}
		ids, seqs = append(ids, r.ID), append(seqs, rs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, seqs
}

// TestProvisionalThenFinal: a provisional read is one stored row, unseen by
// QueryFinalAfter; Finalize replaces every field of that row, gives it the
// next final_seq and leaves one row; finalising it again, or a read that is
// gone, is refused with an error saying which.
func TestProvisionalThenFinal(t *testing.T) {
	ctx := context.Background()
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	first := sampleRecord(now, 300)
	first.Plate, first.Frames, first.Confidence, first.Fix = "ABC123", 2, 0.7, nil
	id, err := s.InsertProvisional(ctx, &first)
	if err != nil || id == 0 || first.ID != id {
		t.Fatalf("InsertProvisional = %d, %v (rec.ID %d)", id, err, first.ID)
	}
	if ids, _ := finals(t, s, 0); len(ids) != 0 {
		t.Fatalf("QueryFinalAfter sees the provisional read: %v", ids)
	}
	if f := finalState(t, s); len(f) != 1 || f[0] {
		t.Fatalf("QueryState before Finalize: %v, want one provisional read", f)
	}

	last := sampleRecord(now.Add(800*time.Millisecond), 900) // the pass's best frame came later
	last.ID = id
	last.Box = image.Rect(300, 400, 460, 450)
	seq, err := s.Finalize(ctx, &last)
	if err != nil || seq != 1 || last.ID != id {
		t.Fatalf("Finalize = %d, %v (rec.ID %d); want final_seq 1 on read %d", seq, err, last.ID, id)
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := last
	want.Frame = nil // not kept: save_full_frame is off
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read after Finalize:\n got %+v\nwant %+v", got, want)
	}
	if f := finalState(t, s); len(f) != 1 || !f[0] {
		t.Errorf("QueryState after Finalize: %v, want one final read", f)
	}
	if ids, seqs := finals(t, s, 0); !slices.Equal(ids, []int64{id}) || !slices.Equal(seqs, []int64{1}) {
		t.Errorf("final reads %v seqs %v", ids, seqs)
	}
	if _, err := s.Finalize(ctx, &last); !errors.Is(err, ErrFinal) {
		t.Errorf("Finalize of a final read: %v, want ErrFinal", err)
	}
	gone := sampleRecord(now, 10)
	gone.ID = id + 100
	if _, err := s.Finalize(ctx, &gone); !errors.Is(err, ErrNotFound) {
		t.Errorf("Finalize of a read not stored: %v, want ErrNotFound", err)
	}
	if v := metricValue(t, reg, "edge_reads_stored_total"); v != 1 {
		t.Errorf("edge_reads_stored_total %v, want 1 (one row)", v)
	}
	if v := metricValue(t, reg, "edge_reads_finalised_total"); v != 1 {
		t.Errorf("edge_reads_finalised_total %v, want 1", v)
	}
	if v := metricValue(t, reg, "edge_store_write_errors_total"); v != 0 {
		t.Errorf("edge_store_write_errors_total %v: refusals are not write errors", v)
	}
}

// TestWithdraw: a provisional read withdrawn is gone (Get, QueryState, the
// final reads), and counted; a final read is not withdrawn, nor a read not
// stored, each refused with an error saying which, and neither is a write
// error.
func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	s, reg := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	weak, kept := sampleRecord(now, 300), sampleRecord(now.Add(time.Second), 300)
	for _, r := range []*read.Record{&weak, &kept} {
		if _, err := s.InsertProvisional(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Finalize(ctx, &kept); err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, weak.ID); err != nil {
		t.Fatalf("Withdraw of a provisional read: %v", err)
	}
	if _, err := s.Get(ctx, weak.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a withdrawn read: %v, want ErrNotFound", err)
	}
	if f := finalState(t, s); len(f) != 1 || !f[0] {
		t.Errorf("QueryState after Withdraw: %v, want only the final read", f)
	}
	if ids, _ := finals(t, s, 0); !slices.Equal(ids, []int64{kept.ID}) {
		t.Errorf("final reads %v, want %d", ids, kept.ID)
	}
	if err := s.Withdraw(ctx, kept.ID); !errors.Is(err, ErrFinal) {
		t.Errorf("Withdraw of a final read: %v, want ErrFinal", err)
	}
	if err := s.Withdraw(ctx, weak.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Withdraw of a read not stored: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, kept.ID); err != nil {
		t.Errorf("the final read after the refusals: %v", err)
	}
	if v := metricValue(t, reg, "edge_reads_withdrawn_total"); v != 1 {
		t.Errorf("edge_reads_withdrawn_total %v, want 1", v)
	}
	if v := metricValue(t, reg, "edge_store_write_errors_total"); v != 0 {
		t.Errorf("edge_store_write_errors_total %v: refusals are not write errors", v)
	}
}

// TestFinalSeqFollowsFinalisationNotIDs: passes finalise out of id order (a
// long pass confirmed first ends last); final_seq numbers them in the order
// they became final, a one-step Insert included, QueryFinalAfter returns
// them in that order from any point, and LastSeq is the highest ever given,
// even once every read was evicted.
func TestFinalSeqFollowsFinalisationNotIDs(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, filepath.Join(t.TempDir(), "reads.db"), testCfg())
	if seq, err := s.LastSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LastSeq of an empty store = %d, %v", seq, err)
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	long, short := sampleRecord(now, 50), sampleRecord(now.Add(time.Second), 50)
	for _, r := range []*read.Record{&long, &short} {
		if _, err := s.InsertProvisional(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	finalise := func(r *read.Record) int64 {
		t.Helper()
		seq, err := s.Finalize(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	s1 := finalise(&short)
	oneStep := sampleRecord(now.Add(2*time.Second), 50)
	if _, err := s.Insert(ctx, &oneStep); err != nil {
		t.Fatal(err)
	}
	s3 := finalise(&long)
	if !(long.ID < short.ID && short.ID < oneStep.ID) || s1 != 1 || s3 != 3 {
		t.Fatalf("ids %d %d %d, seqs %d and %d", long.ID, short.ID, oneStep.ID, s1, s3)
	}
	ids, seqs := finals(t, s, 0)
	if want := []int64{short.ID, oneStep.ID, long.ID}; !slices.Equal(ids, want) || !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Errorf("final reads %v (seqs %v), want %v in the order they became final", ids, seqs, want)
	}
	if ids, _ := finals(t, s, 2); !slices.Equal(ids, []int64{long.ID}) {
		t.Errorf("after final_seq 2: %v, want the long pass %d (its id is the lowest)", ids, long.ID)
	}
	if _, err := s.deleteOldest(ctx, 1<<40); err != nil { // evict everything
		t.Fatal(err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != 3 {
		t.Fatalf("LastSeq once every read was evicted = %d, %v; want 3", seq, err)
	}
	again := sampleRecord(now, 50)
	if seq, err := s.Finalize(ctx, &again); err != nil || seq != 4 {
		t.Fatalf("final_seq after eviction = %d, %v; want 4 (never reused)", seq, err)
	}
}

// TestOpenFinalisesLeftovers: the reads a killed run left provisional are
// made final, as they are and in id order, when the writer opens the store
// again; a read-only open changes nothing.
func TestOpenFinalisesLeftovers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reads.db")
	s, err := Open(path, testCfg(), testLog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	var left []int64
	for i := range 3 {
		r := sampleRecord(now.Add(time.Duration(i)*time.Second), 40)
		if _, err := s.InsertProvisional(ctx, &r); err != nil {
			t.Fatal(err)
		}
		left = append(left, r.ID)
	}
	done := sampleRecord(now, 40)
	done.ID = left[1]
	if _, err := s.Finalize(ctx, &done); err != nil {
		t.Fatal(err)
	}
	s.Close()

	ro, err := OpenReadOnly(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := finals(t, ro, 0); !slices.Equal(ids, []int64{left[1]}) {
		t.Errorf("read-only open: final reads %v, want only %d", ids, left[1])
	}
	ro.Close()

	s2, _ := openTest(t, path, testCfg())
	ids, seqs := finals(t, s2, 0)
	if want := []int64{left[1], left[0], left[2]}; !slices.Equal(ids, want) || !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Errorf("after reopening: final reads %v seqs %v, want %v with 1, 2, 3", ids, seqs, want)
	}
	if n, _ := s2.Count(ctx); n != 3 {
		t.Errorf("%d reads after reopening, want 3", n)
	}
}

// finalState is whether each stored read is final, as the reads command
// shows it.
func finalState(t *testing.T, s *Store) []bool {
	t.Helper()
	var out []bool
	if err := s.QueryState(context.Background(), time.Time{}, func(_ read.Record, final bool) error {
		out = append(out, final)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
