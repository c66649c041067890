package sanitize

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/config"
)

// validPayload is a payload Make wrote under testPolicy with reads included.
func validPayload(t testing.TB) (Sample, []byte, Policy) {
	t.Helper()
	pol := testPolicy()
	pol.Improvement.IncludeRead = true
	s, b, err := Make(testRecord(t), pol)
	if err != nil {
		t.Fatal(err)
	}
	return s, b, pol
}

func TestAuditPayloadRejects(t *testing.T) {
	s, b, pol := validPayload(t)
	marshal := func(edit func(*Sample)) []byte {
		c := s
		r := *s.Read
		c.Read = &r
		edit(&c)
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("payload lacks %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	noRead := pol
	noRead.Improvement.IncludeRead = false
	wide := s.ImageJPEG
	if big, err := Recrop(cropJPEG(t, 400, 60, image.Rect(0, 0, 400, 60), 90), image.Rect(0, 0, 400, 60), 0, 400); err == nil {
		wide = big
	}
	for _, c := range []struct {
		name string
		b    []byte
		pol  Policy
		want string
	}{
		{"unknown field", replace(`{"schema"`, `{"device":"x","schema"`), pol, `payload does not match the sample schema: json: unknown field "device"`},
		{"spacing", replace(`,"sample_id"`, `, "sample_id"`), pol, "payload is not in canonical form"},
		{"duplicate key", replace(`{"schema":"`+SchemaVersion+`"`, `{"schema":"`+SchemaVersion+`","schema":"`+SchemaVersion+`"`), pol, "payload is not in canonical form"},
		{"key case", replace(`"schema"`, `"Schema"`), pol, "payload is not in canonical form"},
		{"trailing object", append(bytes.Clone(b), `{"a":1}`...), pol, "payload is not in canonical form"},
		{"not utf-8", append(bytes.Clone(b), 0xFF), pol, "payload is not UTF-8"},
		{"null read", append(bytes.TrimSuffix(marshal(func(c *Sample) { c.Read = nil }), []byte("}")), `,"read":null}`...), pol, "payload is not in canonical form"},
		{"empty", nil, pol, "payload does not match the sample schema: EOF"},
		{"schema", marshal(func(c *Sample) { c.Schema = "v0" }), pol, `schema "v0" is not "` + SchemaVersion + `"`},
		{"sample id short", marshal(func(c *Sample) { c.SampleID = "abc" }), pol, "sample_id is not 32 lowercase hex digits"},
		{"sample id upper", marshal(func(c *Sample) { c.SampleID = strings.ToUpper(c.SampleID) }), pol, "sample_id is not 32 lowercase hex digits"},
		{"image with exif", marshal(func(c *Sample) { c.ImageJPEG = insertSegment(c.ImageJPEG, 0xE1, []byte("Exif\x00\x00")) }), pol, "image_jpeg: JPEG has a forbidden APP1 (EXIF/XMP) segment"},
		{"image too wide", marshal(func(c *Sample) { c.ImageJPEG = wide }), pol, "image_jpeg is 400 px wide, more than the configured 320"},
		{"bucket seconds", marshal(func(c *Sample) { c.TimeBucketSeconds = 60 }), pol, "time_bucket_seconds is 60, not the configured 3600"},
		{"bucket start offset", marshal(func(c *Sample) { c.TimeBucketStart = "2025-03-14T16:00:00+01:00" }), pol, "is not an RFC 3339 UTC time in whole seconds"},
		{"bucket start fraction", marshal(func(c *Sample) { c.TimeBucketStart = "2025-03-14T15:00:00.5Z" }), pol, "is not an RFC 3339 UTC time"},
		{"bucket start not a multiple", marshal(func(c *Sample) { c.TimeBucketStart = "2025-03-14T15:09:00Z" }), pol, "time_bucket_start 2025-03-14T15:09:00Z is not a multiple of 3600 s"},
		{"geohash too long", marshal(func(c *Sample) { c.Geohash = "9q8yy" }), pol, `geohash "9q8yy" is not 1..4 geohash characters`},
		{"geohash alphabet", marshal(func(c *Sample) { c.Geohash = "9qa" }), pol, `geohash "9qa" is not 1..4 geohash characters`},
		{"read when off", b, noRead, "read is present but improvement.include_read is off"},
		{"read text", marshal(func(c *Sample) { c.Read.Text = "ab" }), pol, "read text holds a character other than A-Z and 0-9 at position 0"},
		{"confidence digits", marshal(func(c *Sample) { c.Read.Confidence = 0.912 }), pol, "read confidence 0.912 is not in 0..1 with two decimals"},
		{"device id in plate", marshal(func(c *Sample) { c.Read.Text = "DEV9FKZ3RTW" }), withIDs(pol, "", "DEV9FKZ3RTW"), "message holds a configured identifier: the device id at offset"},
		{"camera source file", marshal(func(c *Sample) { c.Read.Text = "PLATES2025" }), withCams(pol, "PLATES2025"), "the camera id at offset"},
	} {
		err := AuditPayload(c.b, c.pol)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v; want %q", c.name, err, c.want)
		}
	}
	if err := AuditPayload(b, pol); err != nil {
		t.Fatalf("the unedited payload fails: %v", err)
	}
}

func withIDs(p Policy, tenant, device string) Policy {
	p.Identity = config.Identity{TenantID: tenant, DeviceID: device}
	return p
}

func withCams(p Policy, cams ...string) Policy {
	p.Cameras = cams
	return p
}

func TestAuditTopic(t *testing.T) {
	pol := testPolicy()
	if err := AuditTopic("alpr/improvement/samples", pol); err != nil {
		t.Errorf("plain topic: %v", err)
	}
	err := AuditTopic("alpr/tenant-Qm7vX2pL/samples", pol)
	if !errors.Is(err, ErrIdentifier) || err.Error() != "message holds a configured identifier: the tenant id at offset 5" {
		t.Errorf("topic with the tenant id: %v", err)
	}
	// Ids shorter than MinIdentifierLen are not searched: they match by chance.
	if err := AuditTopic("alpr/1/samples", withIDs(pol, "1", "")); err != nil {
		t.Errorf("short id: %v", err)
	}
}

func TestPolicyFor(t *testing.T) {
	c := &config.Conf{
		Identity:    config.Identity{TenantID: "tenant-Qm7vX2pL", DeviceID: "dev-9fKz3RtW"},
		Cameras:     []config.Camera{{Name: "front", Source: "/srv/video/route-77.mp4"}, {Name: "rear", Source: "0"}},
		Improvement: defaultImprovement(),
	}
	p := PolicyFor(c)
	want := []string{"front", "/srv/video/route-77.mp4", "route-77.mp4", "rear", "0"}
	if strings.Join(p.Cameras, "|") != strings.Join(want, "|") || p.Identity != c.Identity {
		t.Errorf("PolicyFor = %+v; want cameras %q", p, want)
	}
}
