package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// UID is the store's random id, made once when its schema was created or
// migrated: with a read's id it names the read for good, across restarts,
// while a new store file (whose ids start again) gets another.
func (s *Store) UID(ctx context.Context) (string, error) {
	var uid string
	if err := s.r.QueryRowContext(ctx, `SELECT uid FROM store_info WHERE id = 1`).Scan(&uid); err != nil {
		return "", fmt.Errorf("store id: %w", err)
	}
	return uid, nil
}

// QueryAfterID calls fn for at most limit reads with an id above id, in id
// order (the order they were first stored), provisional reads included,
// with all their fields, and tells fn whether each is final. It stops at
// the first error fn returns and returns it.
func (s *Store) QueryAfterID(ctx context.Context, id int64, limit int, fn func(rec read.Record, final bool) error) error {
	var final bool
	return s.eachRecord(ctx, fmt.Sprintf("query reads after id %d", id),
		selectRecord+`, final FROM reads WHERE id > ? ORDER BY id LIMIT ?`,
		[]any{id, limit}, &final, func(rec read.Record) error { return fn(rec, final) })
}

// Filter selects reads for List.
type Filter struct {
	Since, Until time.Time // captured at or after Since and before Until; zero: unbounded
	// Plate is a normalised plate: the reads of exactly that plate, or, when
	// it ends with '*', of every plate that starts with the rest.
	Plate string
	// Before continues a listing: only reads that sort after this cursor
	// (older), as Summary.Cursor gave it. Zero: from the newest.
	Before Cursor
	Limit  int // at most this many (1 or more)
}

// Cursor is a read's place in a listing, newest first.
type Cursor struct {
	CapturedAt time.Time
	ID         int64
}

// Summary is a read as List returns it: every field but the candidates
// and the blobs.
type Summary struct {
	ID         int64
	CapturedAt time.Time
	Camera     string
	Plate      read.Plate
	Confidence float64
	Region     string
	Fix        *read.Fix
	Frames     int
	Final      bool
	HasCrop    bool
}

// Cursor is where a listing that ended at r goes on.
func (r Summary) Cursor() Cursor { return Cursor{r.CapturedAt, r.ID} }

// List returns the reads f selects, newest first (capture time, then id),
// at most f.Limit. A plate filter is answered from the plate index, the
// others from the capture-time index, so a page costs about the same with
// a million reads as with a hundred.
func (s *Store) List(ctx context.Context, f Filter) ([]Summary, error) {
	if f.Limit < 1 {
		return nil, errors.New("list reads: limit must be 1 or more")
	}
	var where []string
	var args []any
	if f.Plate != "" {
		if prefix, ok := strings.CutSuffix(f.Plate, "*"); ok {
			// A range on the index rather than LIKE, which SQLite would not
			// answer from it (LIKE is case-insensitive).
			where = append(where, "plate >= ? AND plate < ?")
			args = append(args, prefix, prefix+"\U0010FFFF")
		} else {
			where = append(where, "plate = ?")
			args = append(args, f.Plate)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "captured_at >= ?")
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where = append(where, "captured_at < ?")
		args = append(args, f.Until.UnixNano())
	}
	if f.Before.ID != 0 {
		where = append(where, "(captured_at < ? OR (captured_at = ? AND id < ?))")
		ns := f.Before.CapturedAt.UnixNano()
		args = append(args, ns, ns, f.Before.ID)
	}
	q := `SELECT id, captured_at, camera, plate, confidence, region, fix_lat, fix_lon, fix_time, frames, final,
		crop IS NOT NULL AND length(crop) > 0 FROM reads`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY captured_at DESC, id DESC LIMIT ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list reads: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var (
			r        Summary
			ns       int64
			plate    string
			lat, lon sql.NullFloat64
			fixTime  sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &ns, &r.Camera, &plate, &r.Confidence, &r.Region, &lat, &lon, &fixTime,
			&r.Frames, &r.Final, &r.HasCrop); err != nil {
			return nil, fmt.Errorf("list reads: %w", err)
		}
		r.CapturedAt, r.Plate = time.Unix(0, ns).UTC(), read.Plate(plate)
		if lat.Valid && lon.Valid && fixTime.Valid {
			r.Fix = &read.Fix{Position: read.Position{Lat: lat.Float64, Lon: lon.Float64}, Time: time.Unix(0, fixTime.Int64).UTC()}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Crop returns the JPEG crop of the read id, or an error wrapping
// ErrNotFound when the read is not stored or has no crop.
func (s *Store) Crop(ctx context.Context, id int64) ([]byte, error) {
	var crop []byte
	err := s.r.QueryRowContext(ctx, `SELECT crop FROM reads WHERE id = ?`, id).Scan(&crop)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && len(crop) == 0):
		return nil, fmt.Errorf("crop of read %d: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("crop of read %d: %w", id, err)
	}
	return crop, nil
}
