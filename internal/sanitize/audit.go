package sanitize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edge-agent/edge-agent/internal/config"
)

// ErrIdentifier is wrapped by the errors that report a configured tenant,
// device or camera id found in a message.
var ErrIdentifier = errors.New("message holds a configured identifier")

// MinIdentifierLen is the shortest identifier searched for. Shorter ids
// (one to three bytes) occur by chance in any timestamp, hex id or base64
// image, so a byte search cannot tell a leak from noise; give tenants,
// devices and cameras ids of at least this length.
const MinIdentifierLen = config.MinIdentifierLen

// Policy is what a sample is checked against: the programme's settings and
// the identifiers that must appear nowhere in a message.
type Policy struct {
	Improvement config.Improvement
	Identity    config.Identity
	// Cameras holds camera names and source file names.
	Cameras []string
}

// PolicyFor returns the policy of a whole configuration: its improvement
// settings, its identity, and the name and source file name of each camera.
func PolicyFor(c *config.Conf) Policy {
	p := Policy{Improvement: c.Improvement, Identity: c.Identity}
	for _, cam := range c.Cameras {
		p.Cameras = append(p.Cameras, cam.Name, cam.Source)
		if base := filepath.Base(cam.Source); base != cam.Source && base != "." && base != "/" {
			p.Cameras = append(p.Cameras, base)
		}
	}
	return p
}

// check verifies the settings that shape a sample.
func (p Policy) check() error { return CheckSettings(p.Improvement) }

// CheckSettings verifies the settings that shape a sample (max_width,
// margin, time_bucket, geohash_precision) against the bounds of
// config.Improvement; the error names the key.
func CheckSettings(c config.Improvement) error {
	switch {
	case c.MaxWidth < 16 || c.MaxWidth > 1024:
		return fmt.Errorf("'improvement.max_width' must be in 16..1024, not %d", c.MaxWidth)
	case !(c.Margin >= 0 && c.Margin <= 0.1):
		return fmt.Errorf("'improvement.margin' must be in 0..0.1, not %v", c.Margin)
	case c.TimeBucket < 15*time.Minute || c.TimeBucket > 24*time.Hour || c.TimeBucket%time.Second != 0:
		return fmt.Errorf("'improvement.time_bucket' must be whole seconds in 15m..24h, not %s", c.TimeBucket)
	case c.GeohashPrecision < 1 || c.GeohashPrecision > 5:
		return fmt.Errorf("'improvement.geohash_precision' must be in 1..5, not %d", c.GeohashPrecision)
	}
	return nil
}

// ParsePayload decodes a payload strictly: it must be UTF-8 JSON with only
// the fields of Sample, in exactly the form json.Marshal writes (no extra
// space, no other key order, no duplicate or unknown key, nothing after the
// object). It does not check the values; AuditPayload does.
func ParsePayload(b []byte) (Sample, error) {
	if !utf8.Valid(b) {
		return Sample{}, fmt.Errorf("payload is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Sample
	if err := dec.Decode(&s); err != nil {
		return Sample{}, fmt.Errorf("payload does not match the sample schema: %w", err)
	}
	canon, err := json.Marshal(s)
	if err != nil {
		return Sample{}, fmt.Errorf("payload does not match the sample schema: %w", err)
	}
	if !bytes.Equal(canon, b) {
		return Sample{}, fmt.Errorf("payload is not in canonical form (spacing, key order or case, duplicate keys, escapes, null, or bytes after the object)")
	}
	return s, nil
}

// AuditPayload checks a message payload against the whole contract of
// SCHEMA.md under pol: strict schema and canonical form, schema version,
// sample id format, a JPEG with no metadata segment and at most
// improvement.max_width px wide, a bucket of improvement.time_bucket whose
// start is a multiple of it in UTC, a geohash of at most
// improvement.geohash_precision characters, a read only when
// improvement.include_read is on, and none of pol's identifiers anywhere in
// the bytes. The first failure is returned.
func AuditPayload(b []byte, pol Policy) error {
	if err := pol.check(); err != nil {
		return err
	}
	s, err := ParsePayload(b)
	if err != nil {
		return err
	}
	if err := s.check(pol.Improvement); err != nil {
		return err
	}
	return findIdentifier(b, pol)
}

// AuditTopic checks that an MQTT topic or client id holds none of pol's
// identifiers.
func AuditTopic(topic string, pol Policy) error {
	return findIdentifier([]byte(topic), pol)
}

// TransportAudit is the check of the names a sample goes out under (its
// topic, the client id, the username, the client certificate): none may
// hold an identifier of c, as no payload may.
func TransportAudit(c *config.Conf) func(name string) error {
	pol := PolicyFor(c)
	return func(name string) error { return AuditTopic(name, pol) }
}

func (s *Sample) check(c config.Improvement) error {
	if s.Schema != SchemaVersion {
		return fmt.Errorf("schema %q is not %q", s.Schema, SchemaVersion)
	}
	if len(s.SampleID) != 32 || strings.Trim(s.SampleID, "0123456789abcdef") != "" {
		return fmt.Errorf("sample_id is not 32 lowercase hex digits")
	}
	if err := checkImage(s.ImageJPEG, c.MaxWidth); err != nil {
		return err
	}
	if want := int64(c.TimeBucket / time.Second); s.TimeBucketSeconds != want {
		return fmt.Errorf("time_bucket_seconds is %d, not the configured %d", s.TimeBucketSeconds, want)
	}
	start, err := time.Parse(time.RFC3339, s.TimeBucketStart)
	if err != nil || start.Format(time.RFC3339) != s.TimeBucketStart || start.Location() != time.UTC {
		return fmt.Errorf("time_bucket_start %q is not an RFC 3339 UTC time in whole seconds", s.TimeBucketStart)
	}
	if start.Unix()%s.TimeBucketSeconds != 0 {
		return fmt.Errorf("time_bucket_start %s is not a multiple of %d s", s.TimeBucketStart, s.TimeBucketSeconds)
	}
	if s.Geohash != "" && !validGeohash(s.Geohash, c.GeohashPrecision) {
		return fmt.Errorf("geohash %q is not 1..%d geohash characters", s.Geohash, c.GeohashPrecision)
	}
	if s.Read != nil {
		if !c.IncludeRead {
			return fmt.Errorf("read is present but improvement.include_read is off")
		}
		return s.Read.check()
	}
	return nil
}

func checkImage(img []byte, maxWidth int) error {
	if err := AuditJPEG(img); err != nil {
		return fmt.Errorf("image_jpeg: %w", err)
	}
	m, err := jpeg.Decode(bytes.NewReader(img))
	if err != nil {
		return fmt.Errorf("image_jpeg does not decode: %w", err)
	}
	if w := m.Bounds().Dx(); w > maxWidth {
		return fmt.Errorf("image_jpeg is %d px wide, more than the configured %d", w, maxWidth)
	}
	return nil
}

// findIdentifier searches b for each of pol's identifiers of at least
// MinIdentifierLen bytes.
func findIdentifier(b []byte, pol Policy) error {
	check := func(kind, id string) error {
		if len(id) < MinIdentifierLen {
			return nil
		}
		if i := bytes.Index(b, []byte(id)); i >= 0 {
			return fmt.Errorf("%w: the %s id at offset %d", ErrIdentifier, kind, i)
		}
		return nil
	}
	if err := check("tenant", pol.Identity.TenantID); err != nil {
		return err
	}
	if err := check("device", pol.Identity.DeviceID); err != nil {
		return err
	}
	if err := check("vehicle", pol.Identity.VehicleID); err != nil {
		return err
	}
	for _, c := range pol.Cameras {
		if err := check("camera", c); err != nil {
			return err
		}
	}
	return nil
}
