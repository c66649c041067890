package sanitize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcloughlin/geohash"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

// defaultImprovement is config.Improvement with its documented defaults.
func defaultImprovement() config.Improvement {
	return config.Improvement{
		Enabled: true, MaxWidth: 320, Margin: 0.1, TimeBucket: time.Hour, GeohashPrecision: 4,
		ReleaseJitter: 10 * time.Minute, MinPerCell: 3, BelowThreshold: "generalize", MaxPerPlate: 1,
		SaltRotation: 24 * time.Hour, SampleRate: 1, DailyCap: 1000,
	}
}

// testPolicy has distinctive random-looking ids.
func testPolicy() Policy {
	return Policy{
		Improvement: defaultImprovement(),
		Identity:    config.Identity{TenantID: "tenant-Qm7vX2pL", DeviceID: "dev-9fKz3RtW"},
		Cameras:     []string{"cam-front-Hq4n"},
	}
}

// cropJPEG draws a w×h crop: a grey background (value bg) with the plate
// box filled white with black bars, as a plate would look, and encodes it.
func cropJPEG(t testing.TB, w, h int, box image.Rectangle, bg uint8) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{bg, bg, bg, 255}
			if (image.Point{x, y}).In(box) {
				c = color.RGBA{240, 240, 240, 255}
				if (x-box.Min.X)%7 < 2 {
					c = color.RGBA{10, 10, 10, 255}
				}
			}
			m.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testRecord is a complete read record with a fix.
func testRecord(t testing.TB) read.Record {
	box := image.Rect(40, 20, 200, 60)
	return read.Record{
		ID: 7, CapturedAt: time.Date(2025, 3, 14, 15, 9, 26, 535e6, time.UTC),
		Camera: "cam-front-Hq4n", Plate: "7ABC123", Confidence: 0.9137, Region: "us",
		CharConfs: []float64{.9, .9, .9, .9, .9, .9, .9},
		Box:       image.Rect(700, 400, 860, 440),
		Fix:       &read.Fix{Position: read.Position{Lat: 37.7749, Lon: -122.4194}, Time: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)},
		Frames:    5,
		Crop:      cropJPEG(t, 240, 80, box, 90), CropBox: box,
	}
}

// insertSegment returns a copy of jpg with a segment (marker, body) right
// after SOI, the way cameras and editors add EXIF, XMP, ICC or comments.
func insertSegment(jpg []byte, marker byte, body []byte) []byte {
	n := len(body) + 2
	seg := append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, body...)
	return slices.Concat(jpg[:2], seg, jpg[2:])
}

// cellRounding is how far outside its cell a position may be and still be
// held: the library scales a position to the cell grid as (x+r)/2r in
// float64, so a position within a rounding of a cell's edge (about 1e-14
// degrees; the fuzzer found lon 89.99999999999999, which 180+lon rounds to
// 270) may land in the neighbouring cell. Far below the smallest cell
// (1.7e-7 degrees).
const cellRounding = 1e-12

// cellHolds reports whether geohash h's cell holds lat, lon, up to
// cellRounding.
func cellHolds(h string, lat, lon float64) bool {
	b := geohash.BoundingBox(h)
	return lat >= b.MinLat-cellRounding && lat <= b.MaxLat+cellRounding &&
		lon >= b.MinLng-cellRounding && lon <= b.MaxLng+cellRounding
}

// checkContract checks a payload against the contract without AuditPayload,
// so that a bug there cannot hide one in Make.
func checkContract(t testing.TB, b []byte, pol Policy, rec read.Record) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload is not a JSON object: %v", err)
	}
	allowed := []string{"schema", "sample_id", "image_jpeg", "time_bucket_start", "time_bucket_seconds", "geohash", "read"}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("payload has key %q outside the allowlist", k)
		}
	}
	for _, id := range append([]string{pol.Identity.TenantID, pol.Identity.DeviceID, rec.Camera}, pol.Cameras...) {
		if len(id) >= MinIdentifierLen && bytes.Contains(b, []byte(id)) {
			t.Errorf("payload holds identifier %q", id)
		}
	}
	var s struct {
		Image   string `json:"image_jpeg"`
		Start   string `json:"time_bucket_start"`
		Seconds int64  `json:"time_bucket_seconds"`
		Geohash *string
		Read    *struct{ Text string }
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	img, err := base64.StdEncoding.DecodeString(s.Image)
	if err != nil {
		t.Fatalf("image_jpeg is not base64: %v", err)
	}
	for _, m := range headerMarkers(t, img) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("image_jpeg has an APPn or COM segment (FF%02X)", m)
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width > pol.Improvement.MaxWidth {
		t.Errorf("image_jpeg: %v, %d px wide (max %d)", err, cfg.Width, pol.Improvement.MaxWidth)
	}
	start, err := time.Parse(time.RFC3339, s.Start)
	if err != nil || !strings.HasSuffix(s.Start, "Z") {
		t.Fatalf("time_bucket_start %q is not RFC 3339 UTC", s.Start)
	}
	if s.Seconds != int64(pol.Improvement.TimeBucket/time.Second) || start.Unix()%s.Seconds != 0 {
		t.Errorf("bucket %s / %d s is not a multiple of %s", s.Start, s.Seconds, pol.Improvement.TimeBucket)
	}
	if c := rec.CapturedAt; c.Before(start) || !c.Before(start.Add(pol.Improvement.TimeBucket)) {
		t.Errorf("capture time %s is not in bucket %s", c, s.Start)
	}
	switch {
	case rec.Fix == nil && s.Geohash != nil:
		t.Errorf("geohash %q without a fix", *s.Geohash)
	case rec.Fix != nil && s.Geohash == nil:
		t.Errorf("no geohash with a fix")
	case s.Geohash != nil:
		if len(*s.Geohash) > pol.Improvement.GeohashPrecision {
			t.Errorf("geohash %q is longer than %d", *s.Geohash, pol.Improvement.GeohashPrecision)
		}
		if p := rec.Fix.Position; !cellHolds(*s.Geohash, p.Lat, p.Lon) {
			t.Errorf("geohash %q does not contain the fix", *s.Geohash)
		}
	}
	if (s.Read != nil) != pol.Improvement.IncludeRead {
		t.Errorf("read present = %v with include_read = %v", s.Read != nil, pol.Improvement.IncludeRead)
	}
	// Without read, the plate is nowhere outside the image. (Uppercase
	// letters other than T and Z occur in no other field.)
	if !pol.Improvement.IncludeRead && strings.ContainsFunc(string(rec.Plate), func(c rune) bool { return c >= 'A' && c <= 'Z' && c != 'T' && c != 'Z' }) &&
		bytes.Contains(bytes.Replace(b, []byte(s.Image), nil, 1), []byte(rec.Plate)) {
		t.Errorf("plate text appears in a payload without read")
	}
}

// randomID is a distinctive id of n letters and digits.
func randomID(r *rand.Rand, n int) string {
	const a = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[r.IntN(len(a))]
	}
	return string(b)
}

// headerMarkers lists the markers of the segments before the first scan, as
// a plain walk over the length-prefixed segments.
func headerMarkers(t testing.TB, img []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(img, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(img, []byte{0xFF, 0xD9}) {
		t.Fatalf("image is not SOI…EOI")
	}
	var ms []byte
	for i := 2; i+4 <= len(img) && img[i] == 0xFF; {
		ms = append(ms, img[i+1])
		if img[i+1] == 0xDA {
			break
		}
		i += 2 + (int(img[i+2])<<8 | int(img[i+3]))
	}
	return ms
}
