package sanitize

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/mmcloughlin/geohash"
)

// FuzzMake feeds Make arbitrary record fields and settings: whatever it
// returns meets the contract; anything else is an error and no bytes.
func FuzzMake(f *testing.F) {
	crop := cropJPEG(f, 240, 80, image.Rect(40, 20, 200, 60), 90)
	f.Add("7ABC123", int64(1741964966), 37.7749, -122.4194, uint32(3600), uint8(4), 0.1, uint16(320), false, int16(40), int16(20), int16(200), int16(60), 0.93)
	f.Add("QM7VX2", int64(1741964966), -90.0, 180.0, uint32(900), uint8(5), 0.0, uint16(16), true, int16(0), int16(0), int16(240), int16(80), 1.0)
	f.Add("", int64(0), 0.0, 0.0, uint32(86400), uint8(1), 0.05, uint16(1024), true, int16(-5), int16(-5), int16(5), int16(5), 0.5)
	f.Fuzz(func(t *testing.T, plate string, unix int64, lat, lon float64, bucket uint32, precision uint8,
		margin float64, maxWidth uint16, includeRead bool, x0, y0, x1, y1 int16, conf float64) {
		pol := testPolicy()
		pol.Improvement.TimeBucket = time.Duration(bucket) * time.Second
		pol.Improvement.GeohashPrecision = int(precision)
		pol.Improvement.Margin = margin
		pol.Improvement.MaxWidth = int(maxWidth)
		pol.Improvement.IncludeRead = includeRead
		rec := read.Record{
			CapturedAt: time.Unix(unix, 0), Camera: "cam-front-Hq4n", Plate: read.Plate(plate),
			Confidence: conf, Region: "eu", Crop: crop,
			CropBox: image.Rect(int(x0), int(y0), int(x1), int(y1)),
			Fix:     &read.Fix{Position: read.Position{Lat: lat, Lon: lon}},
		}
		if lat == 0 && lon == 0 {
			rec.Fix = nil
		}
		_, b, err := Make(rec, pol)
		if err != nil {
			if b != nil {
				t.Fatalf("Make returned %d bytes with error %v", len(b), err)
			}
			return
		}
		checkContract(t, b, pol, rec)
		if err := AuditPayload(b, pol); err != nil {
			t.Fatalf("AuditPayload: %v", err)
		}
	})
}

// FuzzAuditPayload feeds the audit arbitrary messages: it never panics, and
// whatever it accepts is exactly what Encode writes for the parsed sample.
func FuzzAuditPayload(f *testing.F) {
	s, b, pol := validPayload(f)
	f.Add(b)
	s.Read = nil
	f.Add(must(Encode(s, testPolicy())))
	f.Add(bytes.Replace(b, []byte(`"geohash":"9q8y"`), []byte(`"geohash":"9q8yy"`), 1))
	f.Add([]byte(`{"schema":"` + SchemaVersion + `"}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if AuditPayload(msg, pol) != nil {
			return
		}
		s, err := ParsePayload(msg)
		if err != nil {
			t.Fatalf("accepted, yet ParsePayload fails: %v", err)
		}
		again, err := Encode(s, pol)
		if err != nil || !bytes.Equal(again, msg) {
			t.Fatalf("accepted payload does not re-encode to itself: %v", err)
		}
		p := pol
		p.Improvement.IncludeRead = s.Read != nil // a read is optional even when allowed
		checkContract(t, msg, p, read.Record{CapturedAt: mustTime(s.TimeBucketStart), Fix: fixOf(s)})
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixOf returns a position inside the sample's geohash cell, or nil.
func fixOf(s Sample) *read.Fix {
	if s.Geohash == "" {
		return nil
	}
	lat, lon := geohash.BoundingBox(s.Geohash).Center()
	return &read.Fix{Position: read.Position{Lat: lat, Lon: lon}}
}
