package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

// Page sizes of /api/v1/reads.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// readJSON is a read as the API shows it.
type readJSON struct {
	ID         int64           `json:"id"`
	CapturedAt time.Time       `json:"captured_at"`
	Camera     string          `json:"camera"`
	Plate      string          `json:"plate"`
	Confidence float64         `json:"confidence"`
	Region     string          `json:"region"`
	Position   *positionJSON   `json:"position"`
	Frames     int             `json:"frames"`
	Final      bool            `json:"final"`
	ClockUnset bool            `json:"clock_unset,omitempty"` // stamped before the clock was set (read.ClockFloor)
	CropURL    string          `json:"crop_url,omitempty"`
	Candidates []candidateJSON `json:"candidates,omitempty"`
}

type positionJSON struct {
	Lat     float64   `json:"lat"`
	Lon     float64   `json:"lon"`
	FixTime time.Time `json:"fix_time"`
}

type candidateJSON struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func position(fix *read.Fix) *positionJSON {
	if fix == nil {
		return nil
	}
	return &positionJSON{Lat: fix.Lat, Lon: fix.Lon, FixTime: fix.Time}
}

func cropURL(id int64, has bool) string {
	if !has {
		return ""
	}
	return fmt.Sprintf("/api/v1/reads/%d/crop.jpg", id)
}

// listReads answers GET /api/v1/reads?since=&until=&plate=&limit=&cursor=
// with {"reads": [...], "next_cursor": "..."}, newest first; next_cursor
// is empty on the last page.
func (s *Server) listReads(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{Limit: defaultLimit}
	var err error
	if f.Since, err = parseTime(q.Get("since")); err != nil {
		httpError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	if f.Until, err = parseTime(q.Get("until")); err != nil {
		httpError(w, http.StatusBadRequest, "until: "+err.Error())
		return
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > maxLimit {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1 to %d", maxLimit))
			return
		}
	}
	if v := q.Get("plate"); v != "" {
		if f.Plate = normalizePlate(v); f.Plate == "" || f.Plate == "*" {
			httpError(w, http.StatusBadRequest, "plate must hold letters or digits")
			return
		}
	}
	if v := q.Get("cursor"); v != "" {
		if f.Before, err = parseCursor(v); err != nil {
			httpError(w, http.StatusBadRequest, "cursor: "+err.Error())
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	list, err := s.reads.List(ctx, f)
	if err != nil {
		s.fail(w, "listing reads", err)
		return
	}
	out := struct {
		Reads      []readJSON `json:"reads"`
		NextCursor string     `json:"next_cursor"`
	}{Reads: make([]readJSON, 0, len(list))}
	for _, rd := range list {
		out.Reads = append(out.Reads, readJSON{ID: rd.ID, CapturedAt: rd.CapturedAt, Camera: rd.Camera,
			Plate: string(rd.Plate), Confidence: round3(rd.Confidence), Region: rd.Region, Position: position(rd.Fix),
			Frames: rd.Frames, Final: rd.Final, ClockUnset: rd.CapturedAt.Before(read.ClockFloor), CropURL: cropURL(rd.ID, rd.HasCrop)})
	}
	if len(list) == f.Limit {
		out.NextCursor = formatCursor(list[len(list)-1].Cursor())
	}
	writeJSON(w, out)
}

// getRead answers GET /api/v1/reads/{id} with every field but the blobs.
func (s *Server) getRead(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rec, err := s.reads.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no read %d", id))
		return
	}
	if err != nil {
		s.fail(w, "reading a read", err)
		return
	}
	out := readJSON{ID: rec.ID, CapturedAt: rec.CapturedAt, Camera: rec.Camera, Plate: string(rec.Plate),
		Confidence: round3(rec.Confidence), Region: rec.Region, Position: position(rec.Fix), Frames: rec.Frames,
		ClockUnset: rec.ClockUnset(), CropURL: cropURL(rec.ID, len(rec.Crop) > 0)}
	for _, c := range rec.Candidates {
		out.Candidates = append(out.Candidates, candidateJSON{string(c.Text), round3(c.Confidence)})
	}
	writeJSON(w, out)
}

// getCrop answers GET /api/v1/reads/{id}/crop.jpg.
func (s *Server) getCrop(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	crop, err := s.reads.Crop(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no crop of read %d", id))
		return
	}
	if err != nil {
		s.fail(w, "reading a crop", err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(crop)
}

func (s *Server) cameras(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, struct {
		Cameras []Camera `json:"cameras"`
	}{s.agent.Cameras()})
}

func (s *Server) frame(w http.ResponseWriter, r *http.Request) {
	b, err := s.agent.Frame(r.PathValue("name"))
	switch {
	case errors.Is(err, ErrNoCamera):
		httpError(w, http.StatusNotFound, "no such camera")
		return
	case err != nil:
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(b)
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.agent.Status()) }

// fail answers 500 and logs why (never plate text: errors of the store
// name ids and columns).
func (s *Server) fail(w http.ResponseWriter, what string, err error) {
	s.log.Error("api: "+what+" failed", "error", err)
	httpError(w, http.StatusInternalServerError, what+" failed")
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		httpError(w, http.StatusBadRequest, "the read id must be a positive integer")
		return 0, false
	}
	return id, true
}

// normalizePlate keeps the letters and digits of a plate filter in upper
// case, and a final '*' (a prefix).
func normalizePlate(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if strings.HasSuffix(s, "*") {
		b.WriteByte('*')
	}
	return b.String()
}

// parseTime reads an RFC 3339 time; "" is no bound.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-05-01T08:00:00Z", s)
	}
	return t, nil
}

// A cursor is opaque to clients: base64 of "captured_ns.id".
func formatCursor(c store.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%d", c.CapturedAt.UnixNano(), c.ID)))
}

func parseCursor(s string) (store.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		ns, id, ok := strings.Cut(string(b), ".")
		n, err1 := strconv.ParseInt(ns, 10, 64)
		i, err2 := strconv.ParseInt(id, 10, 64)
		if ok && err1 == nil && err2 == nil && i > 0 {
			return store.Cursor{CapturedAt: time.Unix(0, n), ID: i}, nil
		}
	}
	return store.Cursor{}, errors.New("not a cursor this API gave")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
