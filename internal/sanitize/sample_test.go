package sanitize

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

func TestMake(t *testing.T) {
	pol := testPolicy()
	rec := testRecord(t)
	s, b, err := Make(rec, pol)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, b, pol, rec)
	if err := AuditPayload(b, pol); err != nil {
		t.Fatal(err)
	}
	if s.TimeBucketStart != "2025-03-14T15:00:00Z" || s.TimeBucketSeconds != 3600 || s.Geohash != "9q8y" || s.Read != nil {
		t.Errorf("sample = %+v", s)
	}
	for _, leak := range []string{"7ABC123", "cam-front-Hq4n", "0.91", "37.77", "-122.4", "2025-03-14T15:09"} {
		if bytes.Contains(b, []byte(leak)) {
			t.Errorf("payload holds %q", leak)
		}
	}
	_, b2, err := Make(rec, pol)
	if err != nil {
		t.Fatal(err)
	}
	var a, c Sample
	_ = json.Unmarshal(b, &a)
	_ = json.Unmarshal(b2, &c)
	if a.SampleID == c.SampleID {
		t.Errorf("two samples of one record share the id %s", a.SampleID)
	}
	a.SampleID, c.SampleID = "", ""
	if a.Schema != c.Schema || a.TimeBucketStart != c.TimeBucketStart || !bytes.Equal(a.ImageJPEG, c.ImageJPEG) {
		t.Errorf("the same record made different samples apart from the id")
	}
}

func TestMakeWithRead(t *testing.T) {
	pol := testPolicy()
	pol.Improvement.IncludeRead = true
	rec := testRecord(t)
	s, b, err := Make(rec, pol)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, b, pol, rec)
	if s.Read == nil || *s.Read != (Read{Text: "7ABC123", Confidence: 0.91, Region: "us"}) {
		t.Errorf("read = %+v", s.Read)
	}
	if !bytes.Contains(b, []byte(`"read":{"text":"7ABC123","confidence":0.91,"region":"us"}`)) {
		t.Errorf("payload %s", b[len(b)-120:])
	}
}

func TestMakeWithoutFix(t *testing.T) {
	pol := testPolicy()
	rec := testRecord(t)
	rec.Fix = nil
	s, b, err := Make(rec, pol)
	if err != nil {
		t.Fatal(err)
	}
	if s.Geohash != "" || bytes.Contains(b, []byte("geohash")) {
		t.Errorf("geohash present without a fix: %q", s.Geohash)
	}
	checkContract(t, b, pol, rec)
}

func TestMakeFailsClosed(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*read.Record, *Policy)
		want  string
		ident bool
	}{
		{"plate holds the tenant id", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			p.Identity.TenantID = "QM7VX2"
			r.Plate = "QM7VX2A"
		}, "message holds a configured identifier: the tenant id at offset", true},
		{"plate holds the record's camera", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			r.Camera = "CAM9"
			r.Plate = "CAM9XY"
		}, "the camera id at offset", true},
		{"plate with a space", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			r.Plate = "7ABC 123"
		}, "read text holds a character other than A-Z and 0-9 at position 4", false},
		{"plate with a quote", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			r.Plate = `7ABC"x`
		}, "read text holds a character other than A-Z and 0-9", false},
		{"unknown region", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			r.Region = "fr"
		}, `read region "fr" is not one of us, eu, br or empty`, false},
		{"confidence above 1", func(r *read.Record, p *Policy) {
			p.Improvement.IncludeRead = true
			r.Confidence = 2
		}, "read confidence 2 is not in 0..1 with two decimals", false},
		{"bad position", func(r *read.Record, p *Policy) { r.Fix.Lat = 123 }, "position: latitude 123 is outside -90..90", false},
		{"no capture time", func(r *read.Record, p *Policy) { r.CapturedAt = time.Time{} }, "capture time is unset", false},
		{"no crop", func(r *read.Record, p *Policy) { r.Crop = nil }, "crop is not a JPEG", false},
		{"precision 6", func(r *read.Record, p *Policy) { p.Improvement.GeohashPrecision = 6 }, "'improvement.geohash_precision' must be in 1..5, not 6", false},
		{"bucket 5m", func(r *read.Record, p *Policy) { p.Improvement.TimeBucket = 5 * time.Minute }, "'improvement.time_bucket' must be whole seconds in 15m..24h, not 5m0s", false},
		{"max width 2000", func(r *read.Record, p *Policy) { p.Improvement.MaxWidth = 2000 }, "'improvement.max_width' must be in 16..1024, not 2000", false},
	} {
		rec, pol := testRecord(t), testPolicy()
		c.edit(&rec, &pol)
		_, b, err := Make(rec, pol)
		if err == nil || !strings.Contains(err.Error(), c.want) || b != nil {
			t.Errorf("%s: error = %v, %d bytes; want %q", c.name, err, len(b), c.want)
		}
		if errors.Is(err, ErrIdentifier) != c.ident {
			t.Errorf("%s: errors.Is(ErrIdentifier) = %v", c.name, !c.ident)
		}
	}
}

func TestGeneralize(t *testing.T) {
	pol := testPolicy()
	s, _, err := Make(testRecord(t), pol)
	if err != nil {
		t.Fatal(err)
	}
	g, b, err := Generalize(s, pol)
	if err != nil || g.Geohash != "9q8" || !bytes.Contains(b, []byte(`"geohash":"9q8"`)) {
		t.Fatalf("Generalize = %q, %v", g.Geohash, err)
	}
	if AuditPayload(b, pol) != nil {
		t.Fatal("generalised payload fails the audit")
	}
	g.Geohash = "9"
	if _, _, err := Generalize(g, pol); err == nil || err.Error() != `geohash "9" cannot be generalised further` {
		t.Errorf("error = %v", err)
	}
}
