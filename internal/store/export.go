package store

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// ExportBox is a plate box in the export: top-left corner, width and height
// in pixels of the full frame.
type ExportBox struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// ExportRead is one read as the reads command writes it. It carries no image
// bytes; HasCrop and HasFrame tell whether the store holds them. Final is
// false while the read's vehicle pass goes on (its row will take the pass's
// final record).
type ExportRead struct {
	ID              int64            `json:"id"`
	CapturedAt      string           `json:"captured_at"` // RFC 3339, UTC, nanoseconds
	Camera          string           `json:"camera"`
	Plate           string           `json:"plate"`
	Confidence      float64          `json:"confidence"`
	CharConfidences []float64        `json:"char_confidences"`
	Box             ExportBox        `json:"box"`
	Region          string           `json:"region"`
	Lat             *float64         `json:"lat"`      // null without a fix
	Lon             *float64         `json:"lon"`      // null without a fix
	FixTime         *string          `json:"fix_time"` // null without a fix
	Frames          int              `json:"frames"`
	Candidates      []read.Candidate `json:"candidates"`
	HasCrop         bool             `json:"has_crop"`
	CropBytes       int              `json:"crop_bytes"`
	HasFrame        bool             `json:"has_frame"`
	Final           bool             `json:"final"`
	ClockUnset      bool             `json:"clock_unset,omitempty"` // stamped before the clock was set (read.ClockFloor)
}

// Export converts a record to its export form.
func Export(rec read.Record, final bool) ExportRead {
	e := ExportRead{
		ID:              rec.ID,
		CapturedAt:      rec.CapturedAt.UTC().Format(time.RFC3339Nano),
		Camera:          rec.Camera,
		Plate:           string(rec.Plate),
		Confidence:      rec.Confidence,
		CharConfidences: nonNil(rec.CharConfs),
		Box:             ExportBox{X: rec.Box.Min.X, Y: rec.Box.Min.Y, W: rec.Box.Dx(), H: rec.Box.Dy()},
		Region:          rec.Region,
		Frames:          rec.Frames,
		Candidates:      nonNil(rec.Candidates),
		HasCrop:         len(rec.Crop) > 0,
		CropBytes:       len(rec.Crop),
		HasFrame:        len(rec.Frame) > 0,
		Final:           final,
		ClockUnset:      rec.ClockUnset(),
	}
	if rec.Fix != nil {
		lat, lon := rec.Fix.Lat, rec.Fix.Lon
		ft := rec.Fix.Time.UTC().Format(time.RFC3339Nano)
		e.Lat, e.Lon, e.FixTime = &lat, &lon, &ft
	}
	return e
}

// WriteJSONL writes rec as one JSON object on one line.
func WriteJSONL(w io.Writer, rec read.Record, final bool) error {
	b, err := json.Marshal(Export(rec, final))
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Columns are the columns of the tsv, csv and table exports, in order: the
// fields a person reads, the confidence rounded to 2 decimals. The raw
// per-character confidences and the candidates are only in the JSON lines.
var Columns = []string{"id", "captured_at", "camera", "plate", "confidence", "region",
	"lat", "lon", "fix_time", "frames", "has_crop", "final"}

// Fields returns rec's values for Columns, as text: times in RFC 3339
// (UTC, nanoseconds), empty lat, lon and fix_time without a fix.
func Fields(rec read.Record, final bool) []string {
	e := Export(rec, final)
	f := strconv.FormatFloat
	var lat, lon, fixTime string
	if e.Lat != nil {
		lat, lon, fixTime = f(*e.Lat, 'f', -1, 64), f(*e.Lon, 'f', -1, 64), *e.FixTime
	}
	return []string{strconv.FormatInt(e.ID, 10), e.CapturedAt, e.Camera, e.Plate,
		f(e.Confidence, 'f', 2, 64), e.Region, lat, lon, fixTime, strconv.Itoa(e.Frames),
		strconv.FormatBool(e.HasCrop), strconv.FormatBool(e.Final)}
}

// WriteTSVHeader writes the header line of the TSV export.
func WriteTSVHeader(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(Columns, "\t")+"\n")
	return err
}

// WriteTSV writes rec as one tab-separated line of Fields. Tabs, newlines
// and backslashes inside a field are escaped as \t, \n and \\.
func WriteTSV(w io.Writer, rec read.Record, final bool) error {
	fields := Fields(rec, final)
	for i, s := range fields {
		fields[i] = tsvEscaper.Replace(s)
	}
	_, err := io.WriteString(w, strings.Join(fields, "\t")+"\n")
	return err
}

var tsvEscaper = strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
