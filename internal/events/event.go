// Package events turns the agent's stored reads into the tenant's own
// operational messages: one read event per stored read, and a hotlist
// alert when a read matches the hotlist. They go to the tenant's broker
// and/or webhook through queues of their own in the outbox file. They are
// not improvement samples: none of the programme's de-identification
// applies to them, and none of them passes its consent gate or rides on
// its queue. SCHEMA.md describes the messages.
package events

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/edge-agent/edge-agent/internal/hotlist"
	"github.com/edge-agent/edge-agent/internal/read"
)

// SchemaVersion is the version of the messages' layout (SCHEMA.md). It
// changes only when a field changes meaning or goes away; new fields may
// be added within a version.
const SchemaVersion = 1

// Types of message.
const (
	TypeRead  = "read"
	TypeAlert = "alert"
	// TypeWithdrawal takes back an alert whose read was withdrawn: the
	// vote over all its pass's frames no longer met the keep rules.
	TypeWithdrawal = "withdrawal"
)

// Message is one read event or alert, as JSON.
type Message struct {
	Schema     int       `json:"schema"`
	Type       string    `json:"type"`
	EventID    string    `json:"event_id"`
	RecordID   int64     `json:"record_id"`
	DeviceID   string    `json:"device_id"`
	Camera     string    `json:"camera"`
	Plate      string    `json:"plate"`
	Confidence float64   `json:"confidence"`
	Region     string    `json:"region"`
	CapturedAt time.Time `json:"captured_at"`
	Position   *Position `json:"position"`
	Final      bool      `json:"final"`
	Crop       string    `json:"crop_jpeg,omitempty"`
	Alert      *Alert    `json:"alert,omitempty"`
}

// Position is the GPS fix of a read.
type Position struct {
	Lat     float64   `json:"lat"`
	Lon     float64   `json:"lon"`
	FixTime time.Time `json:"fix_time"`
}

// Alert is what matched on the hotlist.
type Alert struct {
	ListedPlate string `json:"listed_plate"`
	Label       string `json:"label"`
	Priority    string `json:"priority"`
	Edits       int    `json:"edits"`
}

// EventID is the stable id of the message of type typ about the read id
// of the store storeUID: the same for every send of it (consumers drop
// duplicates by it), different for another read, type or store. It has the
// form of a UUID (version 8, from SHA-256).
func EventID(storeUID, typ string, id int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", storeUID, typ, id)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newMessage builds the message of type typ about rec.
func newMessage(typ, storeUID, deviceID string, rec read.Record, final, withCrop bool) Message {
	m := Message{
		Schema:     SchemaVersion,
		Type:       typ,
		EventID:    EventID(storeUID, typ, rec.ID),
		RecordID:   rec.ID,
		DeviceID:   deviceID,
		Camera:     rec.Camera,
		Plate:      string(rec.Plate),
		Confidence: math.Round(rec.Confidence*1000) / 1000,
		Region:     rec.Region,
		CapturedAt: rec.CapturedAt.UTC(),
		Final:      final,
	}
	if rec.Fix != nil {
		m.Position = &Position{Lat: rec.Fix.Lat, Lon: rec.Fix.Lon, FixTime: rec.Fix.Time.UTC()}
	}
	if withCrop && len(rec.Crop) > 0 {
		m.Crop = base64.StdEncoding.EncodeToString(rec.Crop)
	}
	return m
}

// withAlert makes m an alert about match.
func withAlert(m Message, match hotlist.Match) Message {
	m.Alert = &Alert{ListedPlate: string(match.Plate), Label: match.Label, Priority: match.Priority, Edits: match.Edits}
	return m
}

// Marshal encodes m. time.Time marshals as RFC 3339 with nanoseconds: the
// exact capture time.
func (m Message) Marshal() ([]byte, error) { return json.Marshal(m) }
