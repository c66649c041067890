package store

import (
	"bytes"
	"encoding/json"
	"image"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

func TestWriteJSONL(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 120000000, time.FixedZone("CET", 3600))
	rec := sampleRecord(at, 300)
	rec.ID = 42
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, rec, true); err != nil {
		t.Fatal(err)
	}
	rec.Fix, rec.Crop, rec.Frame, rec.CharConfs, rec.Candidates = nil, nil, nil, nil, nil
	rec.ID = 43
	if err := WriteJSONL(&buf, rec, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": 42.0, "captured_at": "2025-03-04T04:06:07.12Z", "camera": "front", "plate": "ABC1234",
		"confidence": 0.93, "char_confidences": []any{0.9, 0.95, 0.99, 0.8, 0.97, 0.96, 0.91},
		"box": map[string]any{"x": 100.0, "y": 200.0, "w": 160.0, "h": 50.0}, "region": "us",
		"lat": 52.520008, "lon": -13.404954, "fix_time": "2025-03-04T04:06:06.82Z", "frames": 7.0,
		"candidates": []any{
			map[string]any{"text": "ABC1234", "confidence": 0.93},
			map[string]any{"text": "A8C1234", "confidence": 0.41},
		},
		"has_crop": true, "crop_bytes": 300.0, "has_frame": true, "final": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	// Without a fix, lat, lon and fix_time are null and lists are empty.
	if !strings.Contains(lines[1], `"lat":null,"lon":null,"fix_time":null`) ||
		!strings.Contains(lines[1], `"char_confidences":[]`) || !strings.Contains(lines[1], `"has_crop":false`) ||
		!strings.Contains(lines[1], `"final":false`) {
		t.Fatalf("read without fix exported as %s", lines[1])
	}
}

func TestWriteTSV(t *testing.T) {
	rec := read.Record{
		ID: 7, CapturedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Camera: "gate\tnorth",
		Plate: "XY12", Confidence: 0.5061, CharConfs: []float64{0.5, 0.25}, Box: image.Rect(1, 2, 11, 22),
		Candidates: []read.Candidate{{Text: "XY12", Confidence: 0.5}, {Text: "XV12", Confidence: 0.125}},
		Frames:     2,
	}
	var buf bytes.Buffer
	if err := WriteTSVHeader(&buf); err != nil {
		t.Fatal(err)
	}
	if err := WriteTSV(&buf, rec, true); err != nil {
		t.Fatal(err)
	}
	rec.Fix = &read.Fix{Position: read.Position{Lat: -33.5, Lon: 151.25}, Time: rec.CapturedAt}
	if err := WriteTSV(&buf, rec, false); err != nil {
		t.Fatal(err)
	}
	want := "id\tcaptured_at\tcamera\tplate\tconfidence\tregion\tlat\tlon\tfix_time\tframes\thas_crop\tfinal\n" +
		"7\t2025-01-02T03:04:05Z\tgate\\tnorth\tXY12\t0.51\t\t\t\t\t2\tfalse\ttrue\n" +
		"7\t2025-01-02T03:04:05Z\tgate\\tnorth\tXY12\t0.51\t\t-33.5\t151.25\t2025-01-02T03:04:05Z\t2\tfalse\tfalse\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
}
