// Package sanitize turns a read record into an improvement sample, the only
// message the agent sends off the vehicle, and audits such messages.
//
// The sample is built from a fixed allowlist (the Sample struct): a random
// id, a plate image re-encoded from raw pixels, the capture time floored to a
// bucket and the position generalised to a short geohash, and, only when
// configured, the engine's reading. Every payload is checked again against
// the whole contract ([AuditPayload]) before it is returned; anything that
// does not pass is an error, never a message. The package does no I/O.
// SCHEMA.md documents the payload.
package sanitize

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// SchemaVersion names the payload schema; it changes with any change of the
// fields or their meaning.
const SchemaVersion = "edge-agent.improvement-sample/1"

// Sample is the whole payload of an improvement message. The JSON encoding
// of this struct, as json.Marshal writes it, is the only form a message may
// take.
type Sample struct {
	Schema            string `json:"schema"`
	SampleID          string `json:"sample_id"`  // 128 random bits, 32 lowercase hex digits
	ImageJPEG         []byte `json:"image_jpeg"` // base64 (standard, padded) of the plate image
	TimeBucketStart   string `json:"time_bucket_start"`
	TimeBucketSeconds int64  `json:"time_bucket_seconds"`
	Geohash           string `json:"geohash,omitempty"` // absent without a position
	Read              *Read  `json:"read,omitempty"`    // only with improvement.include_read
}

// Read is the engine's reading of the plate.
type Read struct {
	Text       string  `json:"text"`       // A–Z and 0–9 only
	Confidence float64 `json:"confidence"` // 0..1, two decimals
	Region     string  `json:"region"`     // "us", "eu", "br" or "" when no format matched
}

// maxIDAttempts bounds how often Make draws a new sample id when the payload
// holds a configured identifier by chance (a short id inside the random hex).
const maxIDAttempts = 4

// Make builds the sample of rec under pol and returns it with its payload.
// The record's camera name is treated as an identifier too. An error means
// no sample: the caller counts it and drops the record.
func Make(rec read.Record, pol Policy) (Sample, []byte, error) {
	if err := pol.check(); err != nil {
		return Sample{}, nil, err
	}
	pol.Cameras = append(pol.Cameras[:len(pol.Cameras):len(pol.Cameras)], rec.Camera)
	cfg := pol.Improvement
	start, err := FloorToBucket(rec.CapturedAt, cfg.TimeBucket)
	if err != nil {
		return Sample{}, nil, err
	}
	s := Sample{
		Schema:            SchemaVersion,
		TimeBucketStart:   start.Format(time.RFC3339),
		TimeBucketSeconds: int64(cfg.TimeBucket / time.Second),
	}
	if rec.Fix != nil {
		if s.Geohash, err = Geohash(rec.Fix.Lat, rec.Fix.Lon, cfg.GeohashPrecision); err != nil {
			return Sample{}, nil, fmt.Errorf("position: %w", err)
		}
	}
	if cfg.IncludeRead {
		if s.Read, err = makeRead(rec); err != nil {
			return Sample{}, nil, err
		}
	}
	if s.ImageJPEG, err = Recrop(rec.Crop, rec.CropBox, cfg.Margin, cfg.MaxWidth); err != nil {
		return Sample{}, nil, err
	}
	for range maxIDAttempts {
		s.SampleID = newSampleID()
		var b []byte
		if b, err = Encode(s, pol); err == nil {
			return s, b, nil
		}
		if !errors.Is(err, ErrIdentifier) {
			break
		}
	}
	return Sample{}, nil, err
}

// Generalize returns s with its geohash one character shorter, and its
// payload. It fails when s has no geohash or a geohash of one character.
func Generalize(s Sample, pol Policy) (Sample, []byte, error) {
	if len(s.Geohash) < 2 {
		return Sample{}, nil, fmt.Errorf("geohash %q cannot be generalised further", s.Geohash)
	}
	s.Geohash = s.Geohash[:len(s.Geohash)-1]
	b, err := Encode(s, pol)
	if err != nil {
		return Sample{}, nil, err
	}
	return s, b, nil
}

// Encode writes s as a payload and audits the bytes against pol before
// returning them: the payload is returned only if AuditPayload accepts it.
func Encode(s Sample, pol Policy) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode sample: %w", err)
	}
	if err := AuditPayload(b, pol); err != nil {
		return nil, err
	}
	return b, nil
}

func makeRead(rec read.Record) (*Read, error) {
	r := &Read{
		Text:       string(rec.Plate),
		Confidence: math.Round(rec.Confidence*100) / 100,
		Region:     rec.Region,
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// maxPlateLen is the longest plate text a sample may carry.
const maxPlateLen = 16

func (r *Read) check() error {
	if len(r.Text) == 0 || len(r.Text) > maxPlateLen {
		return fmt.Errorf("read text has %d characters, not 1..%d", len(r.Text), maxPlateLen)
	}
	for i := range len(r.Text) {
		if c := r.Text[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return fmt.Errorf("read text holds a character other than A-Z and 0-9 at position %d", i)
		}
	}
	if !(r.Confidence >= 0 && r.Confidence <= 1) || r.Confidence != math.Round(r.Confidence*100)/100 {
		return fmt.Errorf("read confidence %v is not in 0..1 with two decimals", r.Confidence)
	}
	switch r.Region {
	case "", "us", "eu", "br":
	default:
		return fmt.Errorf("read region %q is not one of us, eu, br or empty", r.Region)
	}
	return nil
}

// newSampleID returns 128 random bits as hex, from the system's CSPRNG
// alone: nothing about the time, device, plate or image goes into it.
func newSampleID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return hex.EncodeToString(b[:])
}
