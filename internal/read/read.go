// Package read defines the read record that flows from the ALPR engine to the
// store and the improvement programme, and the types that keep plate text and
// positions out of logs.
package read

import (
	"image"
	"log/slog"
	"time"
)

// Plate is plate text. It logs as "[plate]" so that it never reaches a log by
// accident; code that means to log it at debug level converts it to string.
type Plate string

// LogValue implements slog.LogValuer.
func (Plate) LogValue() slog.Value { return slog.StringValue("[plate]") }

// Position is a GPS fix position in WGS84 degrees. It logs as "[position]".
type Position struct {
	Lat, Lon float64
}

// LogValue implements slog.LogValuer.
func (Position) LogValue() slog.Value { return slog.StringValue("[position]") }

// Fix is a position with the time it was measured.
type Fix struct {
	Position
	Time time.Time
}

// ClockFloor is the first capture time taken as real. A gateway without a
// battery-backed clock starts at 1970 (or at its system image's date) until
// NTP or GPS sets the clock; this agent was written after this date, so an
// earlier stamp comes from a clock not yet set. Such a read is kept and
// flagged (ClockUnset): retention by age cannot judge its age, and the
// improvement programme cannot bucket it.
var ClockFloor = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ClockUnset reports whether the read was stamped before ClockFloor, by a
// clock not yet set.
func (r Record) ClockUnset() bool { return r.CapturedAt.Before(ClockFloor) }

// Candidate is one reading of a plate with its confidence.
type Candidate struct {
	Text       Plate   `json:"text"`
	Confidence float64 `json:"confidence"`
}

// Record is one read event: all the reads of one vehicle pass, grouped into the
// best one.
type Record struct {
	ID         int64     // store row id; 0 before the record is stored
	CapturedAt time.Time // wall-clock time of the best frame
	Camera     string
	Plate      Plate
	Confidence float64         // 0..1
	CharConfs  []float64       // one per character of Plate
	Region     string          // format pack that matched: "us", "eu", "br" or "" when none did
	Box        image.Rectangle // plate box in the full frame, in pixels
	Candidates []Candidate     // top-N readings, best first
	Fix        *Fix            // nil when no fresh fix was available
	Frames     int             // frames of the pass in which the plate was read

	// Crop is a JPEG of the plate with a margin around it; CropBox is the
	// plate box inside Crop, in the crop's pixels.
	Crop    []byte
	CropBox image.Rectangle
	// Frame is the full frame as JPEG, only when store.save_full_frame is on.
	Frame []byte
}
