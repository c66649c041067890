package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// rowOverhead approximates the bytes a row takes besides its blobs and texts.
const rowOverhead = 160

// ErrFinal is returned by Finalize for a read that is final already.
var ErrFinal = errors.New("read is final already")

// Insert stores rec as a final read in one step and sets rec.ID (any ID it
// had is ignored). When it returns nil the read is durable (committed and
// fsynced). The full frame is kept only when store.save_full_frame is on.
func (s *Store) Insert(ctx context.Context, rec *read.Record) (int64, error) {
	rec.ID = 0
	if _, err := s.Finalize(ctx, rec); err != nil {
		return 0, err
	}
	return rec.ID, nil
}

// InsertProvisional stores rec as the provisional read of a vehicle pass
// that goes on, and sets rec.ID. It is durable when InsertProvisional
// returns nil, as with Insert; Finalize replaces it with the pass's final
// record. Provisional reads have no final_seq, so the improvement programme
// does not see them (QueryFinalAfter).
func (s *Store) InsertProvisional(ctx context.Context, rec *read.Record) (int64, error) {
	rec.ID = 0
	if _, err := s.write(ctx, rec, false); err != nil {
		return 0, err
	}
	return rec.ID, nil
}

// Finalize stores the final record of a vehicle pass and returns its
// final_seq: it replaces every field of the provisional read rec.ID, or,
// when rec.ID is 0, inserts rec (and sets rec.ID). Durable when it returns
// nil. It returns an error wrapping ErrNotFound when the read rec.ID is not
// stored (retention deleted it) and ErrFinal when it is final already.
func (s *Store) Finalize(ctx context.Context, rec *read.Record) (seq int64, err error) {
	return s.write(ctx, rec, true)
}

// write inserts rec (rec.ID 0) or updates the provisional read rec.ID, as
// final (with the next final_seq) or provisional, and counts the outcome.
func (s *Store) write(ctx context.Context, rec *read.Record, final bool) (int64, error) {
	inserted := rec.ID == 0
	seq, err := s.writeRecord(ctx, rec, final)
	if err := s.written(err); err != nil {
		return 0, fmt.Errorf("store read: %w", err)
	}
	if inserted {
		s.m.stored.Inc()
	}
	if final {
		s.m.finalised.Inc()
	}
	return seq, nil
}

// written notes the outcome of a write (the disk state, wrote) and counts
// it as a write error unless it was refused (read-only store, a read not
// stored or final already); it returns err.
func (s *Store) written(err error) error {
	s.wrote(err)
	if err != nil && !errors.Is(err, ErrReadOnly) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrFinal) {
		s.m.writeErrors.Inc()
	}
	return err
}

func (s *Store) writeRecord(ctx context.Context, rec *read.Record, final bool) (int64, error) {
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
	fields := []any{rec.CapturedAt.UnixNano(), rec.Camera, string(rec.Plate), rec.Confidence,
		string(charConfs), rec.Region, rec.Box.Min.X, rec.Box.Min.Y, rec.Box.Max.X, rec.Box.Max.Y,
		string(cands), lat, lon, fixTime, rec.Frames,
		rec.CropBox.Min.X, rec.CropBox.Min.Y, rec.CropBox.Max.X, rec.CropBox.Max.Y,
		size, rec.Crop, frame}
	id := rec.ID
	var seq int64
	var over bool
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		var finalSeq any // NULL while provisional
		if final {
			var err error
			if seq, err = nextSeq(ctx, tx); err != nil {
				return err
			}
			finalSeq = seq
		}
		if id == 0 {
			res, err := tx.ExecContext(ctx, insertRead, append(fields, final, finalSeq)...)
			if err != nil {
				return err
			}
			if id, err = res.LastInsertId(); err != nil {
				return err
			}
		} else if err := updateProvisional(ctx, tx, id, fields, final, finalSeq); err != nil {
			return err
		}
		var err error
		over, err = s.overMaxBytes(ctx, tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	rec.ID = id
	if over {
		s.wakeRetention()
	}
	return seq, nil
}

// recordColumns are the columns of a record, in the order of the fields
// writeRecord binds; insertRead and updateRead are made of them.
var recordColumns = []string{"captured_at", "camera", "plate", "confidence", "char_confs", "region",
	"box_x0", "box_y0", "box_x1", "box_y1", "candidates", "fix_lat", "fix_lon", "fix_time",
	"frames", "crop_x0", "crop_y0", "crop_x1", "crop_y1", "size", "crop", "frame"}

var (
	// insertRead binds a record's fields, then final and final_seq.
	insertRead = `INSERT INTO reads (` + strings.Join(recordColumns, ", ") + `, final, final_seq) VALUES (` +
		strings.Repeat("?, ", len(recordColumns)+1) + `?)`
	// updateRead binds a record's fields, then final, final_seq and the
	// id of the provisional read it replaces.
	updateRead = `UPDATE reads SET ` + strings.Join(recordColumns, " = ?, ") +
		` = ?, final = ?, final_seq = ? WHERE id = ? AND final = 0`
)

// updateProvisional replaces the fields of the provisional read id.
func updateProvisional(ctx context.Context, tx *sql.Tx, id int64, fields []any, final bool, finalSeq any) error {
	res, err := tx.ExecContext(ctx, updateRead, append(fields, final, finalSeq, id)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return notProvisional(ctx, tx, id)
}

// notProvisional tells why the read id, which a statement on the
// provisional read id did not find, was not there: an error wrapping
// ErrNotFound when it is not stored, ErrFinal when it is final.
func notProvisional(ctx context.Context, tx *sql.Tx, id int64) error {
	var wasFinal bool
	err := tx.QueryRowContext(ctx, `SELECT final FROM reads WHERE id = ?`, id).Scan(&wasFinal)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read %d: %w", id, ErrNotFound)
	case err != nil:
		return err
	}
	return fmt.Errorf("read %d: %w", id, ErrFinal)
}

// Withdraw deletes the provisional read id: its vehicle pass ended with a
// record too weak to keep (the frames after the pass was confirmed
// disagreed with it), so the read is taken back, not made final. Durable
// when it returns nil. It returns an error wrapping ErrNotFound when the
// read is not stored (retention deleted it) and ErrFinal when it is final.
func (s *Store) Withdraw(ctx context.Context, id int64) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reads WHERE id = ? AND final = 0`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return notProvisional(ctx, tx, id)
	})
	if err := s.written(err); err != nil {
		return fmt.Errorf("withdraw read: %w", err)
	}
	s.m.withdrawn.Inc()
	return nil
}

// nextSeq takes the next final_seq in tx.
func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE final_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("final_seq: %w", err)
	}
	return seq, nil
}

// finalizeLeftovers makes final, as they are, the reads a previous run left
// provisional (it was killed, or lost power, during their passes), in id
// order, so that they too are followed by the improvement programme. It
// returns how many there were.
func finalizeLeftovers(ctx context.Context, db *sql.DB) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	n, err := finalizeIn(ctx, tx)
	if err != nil {
		return 0, errors.Join(err, tx.Rollback())
	}
	return n, tx.Commit()
}

func finalizeIn(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM reads WHERE final = 0 ORDER BY id`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, id := range ids {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reads SET final = 1, final_seq = ? WHERE id = ?`, seq, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// nonNil makes a nil slice marshal as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// selectRecord selects the columns scanRecord reads; the caller adds more
// columns (scanned into scanRecord's extra) and the FROM clause.
const selectRecord = `SELECT id, captured_at, camera, plate, confidence, char_confs, region,
	box_x0, box_y0, box_x1, box_y1, candidates, fix_lat, fix_lon, fix_time, frames,
	crop_x0, crop_y0, crop_x1, crop_y1, crop, frame`

// Query calls fn for every read captured at or after since, oldest first,
// with all its fields, provisional reads included. It stops at the first
// error fn returns and returns it. fn may call the store's other methods.
func (s *Store) Query(ctx context.Context, since time.Time, fn func(read.Record) error) error {
	return s.QueryState(ctx, since, func(rec read.Record, _ bool) error { return fn(rec) })
}

// QueryState is Query, telling fn also whether each read is final (false:
// its vehicle pass goes on).
func (s *Store) QueryState(ctx context.Context, since time.Time, fn func(rec read.Record, final bool) error) error {
	var sinceNS int64 = -1 << 63
	if !since.IsZero() {
		sinceNS = since.UnixNano()
	}
	var final bool
	return s.eachRecord(ctx, "query reads", selectRecord+`, final FROM reads WHERE captured_at >= ? ORDER BY captured_at, id`,
		[]any{sinceNS}, &final, func(rec read.Record) error { return fn(rec, final) })
}

// QueryFinalAfter calls fn for every final read with a final_seq above seq,
// in final_seq order (the order they became final), with all its fields and
// its final_seq. Provisional reads are left out until they are final. It
// stops at the first error fn returns and returns it. Rows are read as fn
// asks for them, so a caller that wants a batch stops early by returning an
// error of its own.
func (s *Store) QueryFinalAfter(ctx context.Context, seq int64, fn func(rec read.Record, seq int64) error) error {
	var rs int64
	return s.eachRecord(ctx, fmt.Sprintf("query reads after final_seq %d", seq),
		selectRecord+`, final_seq FROM reads WHERE final_seq > ? ORDER BY final_seq`,
		[]any{seq}, &rs, func(rec read.Record) error { return fn(rec, rs) })
}

// eachRecord runs query (selectRecord and one more column, scanned into
// extra) and calls fn for each row, in order; what names the query in
// errors. It stops at the first error fn returns and returns it.
func (s *Store) eachRecord(ctx context.Context, what, query string, args []any, extra any, fn func(read.Record) error) error {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanRecord(rows, extra)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// LastSeq is the highest final_seq ever given, its read evicted or not
// (final_seq is never reused), or 0 when no read was ever final.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT seq FROM final_counter WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last final_seq: %w", err)
	}
	return seq, nil
}

// LastID is the highest read id ever given, provisional or final, its read
// evicted or not (ids are never reused: AUTOINCREMENT), or 0 when no read
// was ever stored. A read stored later has a higher id.
func (s *Store) LastID(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'reads'), 0)`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("last read id: %w", err)
	}
	return id, nil
}

// ErrNotFound is returned by Get for an id that is not stored.
var ErrNotFound = errors.New("read not found")

// Get returns the read with the given id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (read.Record, error) {
	rec, err := scanRecord(s.r.QueryRowContext(ctx, selectRecord+` FROM reads WHERE id = ?`, id))
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

// scanRecord reads a row of selectRecord, and its extra columns into extra.
func scanRecord(row interface{ Scan(...any) error }, extra ...any) (read.Record, error) {
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
	err := row.Scan(append([]any{&rec.ID, &capturedAt, &rec.Camera, &plate, &rec.Confidence, &charConfs, &rec.Region,
		&box.Min.X, &box.Min.Y, &box.Max.X, &box.Max.Y, &cands, &lat, &lon, &fixTime, &rec.Frames,
		&cropBox.Min.X, &cropBox.Min.Y, &cropBox.Max.X, &cropBox.Max.Y, &crop, &frame}, extra...)...)
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
