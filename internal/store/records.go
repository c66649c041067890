package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// rowOverhead approximates the bytes a row takes besides its blobs and texts.
const rowOverhead = 160

// Insert stores rec and sets rec.ID. When it returns nil the read is durable
// (committed and fsynced). The full frame is kept only when
// store.save_full_frame is on.
func (s *Store) Insert(ctx context.Context, rec *read.Record) (int64, error) {
	id, err := s.insert(ctx, rec)
	if err != nil {
		if !errors.Is(err, ErrReadOnly) {
			s.m.writeErrors.Inc()
		}
		return 0, fmt.Errorf("store read: %w", err)
	}
	rec.ID = id
	s.m.stored.Inc()
	return id, nil
}

func (s *Store) insert(ctx context.Context, rec *read.Record) (int64, error) {
	if rec.CapturedAt.IsZero() {
		return 0, errors.New("record has no capture time")
	}
	charConfs, err := json.Marshal(nonNil(rec.CharConfs))
	if err != nil {
		return 0, err
	}
	cands, err := json.Marshal(nonNil(rec.Candidates))
	if err != nil {
		return 0, err
	}
	var frame []byte
	if s.cfg.SaveFullFrame {
		frame = rec.Frame
	}
	var lat, lon, fixTime any // NULL without a fix
	if rec.Fix != nil {
		lat, lon, fixTime = rec.Fix.Lat, rec.Fix.Lon, rec.Fix.Time.UnixNano()
	}
	size := rowOverhead + len(rec.Crop) + len(frame) + len(charConfs) + len(cands) +
		len(rec.Camera) + len(rec.Plate) + len(rec.Region)
	var id int64
	var over bool
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO reads (captured_at, camera, plate, confidence,
			char_confs, region, box_x0, box_y0, box_x1, box_y1, candidates, fix_lat, fix_lon, fix_time,
			frames, crop_x0, crop_y0, crop_x1, crop_y1, size, crop, frame)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.CapturedAt.UnixNano(), rec.Camera, string(rec.Plate), rec.Confidence,
			string(charConfs), rec.Region, rec.Box.Min.X, rec.Box.Min.Y, rec.Box.Max.X, rec.Box.Max.Y,
			string(cands), lat, lon, fixTime, rec.Frames,
			rec.CropBox.Min.X, rec.CropBox.Min.Y, rec.CropBox.Max.X, rec.CropBox.Max.Y,
			size, rec.Crop, frame)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		over, err = s.overMaxBytes(ctx, tx)
		return err
	})
	if err == nil && over {
		s.wakeRetention()
	}
	return id, err
}

// nonNil makes a nil slice marshal as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

const selectRecord = `SELECT id, captured_at, camera, plate, confidence, char_confs, region,
	box_x0, box_y0, box_x1, box_y1, candidates, fix_lat, fix_lon, fix_time, frames,
	crop_x0, crop_y0, crop_x1, crop_y1, crop, frame FROM reads`

// Query calls fn for every read captured at or after since, oldest first,
// with all its fields. It stops at the first error fn returns and returns it.
// fn may call the store's other methods.
func (s *Store) Query(ctx context.Context, since time.Time, fn func(read.Record) error) error {
	var sinceNS int64 = -1 << 63
	if !since.IsZero() {
		sinceNS = since.UnixNano()
	}
	rows, err := s.r.QueryContext(ctx, selectRecord+` WHERE captured_at >= ? ORDER BY captured_at, id`, sinceNS)
	if err != nil {
		return fmt.Errorf("query reads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("query reads: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query reads: %w", err)
	}
	return nil
}

// QueryAfterID calls fn for every read with an id above id, in id order (the
// order they were stored in), with all its fields. It stops at the first
// error fn returns and returns it. Rows are read as fn asks for them, so a
// caller that wants a batch stops early by returning an error of its own.
func (s *Store) QueryAfterID(ctx context.Context, id int64, fn func(read.Record) error) error {
	rows, err := s.r.QueryContext(ctx, selectRecord+` WHERE id > ? ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("query reads after id %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("query reads after id %d: %w", id, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query reads after id %d: %w", id, err)
	}
	return nil
}

// LastID is the highest id ever given to a read, evicted or not (ids are
// never reused), or 0 when no read was ever stored.
func (s *Store) LastID(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT max(
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'reads'), 0),
		coalesce((SELECT max(id) FROM reads), 0))`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("last read id: %w", err)
	}
	return id, nil
}

// ErrNotFound is returned by Get for an id that is not stored.
var ErrNotFound = errors.New("read not found")

// Get returns the read with the given id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (read.Record, error) {
	rec, err := scanRecord(s.r.QueryRowContext(ctx, selectRecord+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return read.Record{}, fmt.Errorf("read %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return read.Record{}, fmt.Errorf("read %d: %w", id, err)
	}
	return rec, nil
}

// Count is the number of stored reads.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM reads`).Scan(&n)
	return n, err
}

func scanRecord(row interface{ Scan(...any) error }) (read.Record, error) {
	var (
		rec              read.Record
		capturedAt       int64
		plate            string
		charConfs, cands string
		lat, lon         sql.NullFloat64
		fixTime          sql.NullInt64
		box, cropBox     image.Rectangle
		crop, frame      []byte
	)
	err := row.Scan(&rec.ID, &capturedAt, &rec.Camera, &plate, &rec.Confidence, &charConfs, &rec.Region,
		&box.Min.X, &box.Min.Y, &box.Max.X, &box.Max.Y, &cands, &lat, &lon, &fixTime, &rec.Frames,
		&cropBox.Min.X, &cropBox.Min.Y, &cropBox.Max.X, &cropBox.Max.Y, &crop, &frame)
	if err != nil {
		return read.Record{}, err
	}
	rec.CapturedAt = time.Unix(0, capturedAt).UTC()
	rec.Plate = read.Plate(plate)
	rec.Box, rec.CropBox = box, cropBox
	if err := json.Unmarshal([]byte(charConfs), &rec.CharConfs); err != nil {
		return read.Record{}, fmt.Errorf("read %d: char_confs: %w", rec.ID, err)
	}
	if err := json.Unmarshal([]byte(cands), &rec.Candidates); err != nil {
		return read.Record{}, fmt.Errorf("read %d: candidates: %w", rec.ID, err)
	}
	if len(rec.CharConfs) == 0 {
		rec.CharConfs = nil // stored as []
	}
	if len(rec.Candidates) == 0 {
		rec.Candidates = nil
	}
	if lat.Valid && lon.Valid && fixTime.Valid {
		rec.Fix = &read.Fix{Position: read.Position{Lat: lat.Float64, Lon: lon.Float64}, Time: time.Unix(0, fixTime.Int64).UTC()}
	}
	if len(crop) > 0 {
		rec.Crop = crop
	}
	if len(frame) > 0 {
		rec.Frame = frame
	}
	return rec, nil
}
