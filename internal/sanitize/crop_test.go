package sanitize

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"
)

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecropSize(t *testing.T) {
	box := image.Rect(50, 40, 150, 60) // 100×20
	crop := cropJPEG(t, 200, 100, box, 90)
	for _, c := range []struct {
		name         string
		box          image.Rectangle
		margin       float64
		maxWidth     int
		wantW, wantH int
	}{
		{"margin 10%", box, 0.1, 320, 120, 24},
		{"no margin", box, 0, 320, 100, 20},
		{"margin 5%", box, 0.05, 320, 110, 22},
		{"scaled down", box, 0.1, 60, 60, 12},
		{"clamped at the left edge", image.Rect(0, 40, 100, 60), 0.1, 320, 110, 24},
		{"box larger than the crop", image.Rect(-10, -10, 500, 500), 0.1, 400, 200, 100},
		{"clamped then scaled", image.Rect(0, 0, 200, 100), 0.1, 50, 50, 25},
	} {
		out, err := Recrop(crop, c.box, c.margin, c.maxWidth)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if b := decodeJPEG(t, out).Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH {
			t.Errorf("%s: %dx%d; want %dx%d", c.name, b.Dx(), b.Dy(), c.wantW, c.wantH)
		}
		if err := AuditJPEG(out); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestRecropKeepsOnlyThePlate checks that no pixel from outside the plate box
// and its margin reaches the sample: the crop around the plate is black, the
// plate bright, so any background in the sample darkens its border.
func TestRecropKeepsOnlyThePlate(t *testing.T) {
	box := image.Rect(60, 30, 180, 60)
	crop := cropJPEG(t, 240, 90, box, 0)
	out, err := Recrop(crop, box, 0, 320)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJPEG(t, out)
	if m.Bounds().Dx() != box.Dx() || m.Bounds().Dy() != box.Dy() {
		t.Fatalf("size %v; want %v", m.Bounds().Size(), box.Size())
	}
	// The plate's first row and last column are bright in the input (the bars
	// start at x%7<2); a row of background would be black.
	dark := 0
	for x := 2; x < m.Bounds().Dx(); x++ {
		if (x % 7) < 2 {
			continue
		}
		if r, _, _, _ := m.At(x, 0).RGBA(); r>>8 < 128 {
			dark++
		}
	}
	if dark > 0 {
		t.Errorf("%d dark pixels in the top row: background came along", dark)
	}
}

// TestRecropDropsMetadata cuts a sample out of crops that carry EXIF, an ICC
// profile and comments holding an id: none of it comes out.
func TestRecropDropsMetadata(t *testing.T) {
	ffmpeg, err := os.ReadFile("testdata/ffmpeg-testsrc.jpg")
	if err != nil {
		t.Fatal(err)
	}
	crops := map[string][]byte{"ffmpeg": ffmpeg}
	plain := cropJPEG(t, 160, 48, image.Rect(20, 10, 140, 38), 90)
	crops["exif"] = insertSegment(plain, 0xE1, []byte("Exif\x00\x00MM\x00*dev-9fKz3RtW GPS 37.77,-122.41"))
	crops["icc"] = insertSegment(plain, 0xE2, []byte("ICC_PROFILE\x00\x01\x01dev-9fKz3RtW"))
	crops["comment"] = insertSegment(plain, 0xFE, []byte("dev-9fKz3RtW"))
	for name, crop := range crops {
		if AuditJPEG(crop) == nil {
			t.Fatalf("%s: input should carry a forbidden segment", name)
		}
		out, err := Recrop(crop, image.Rect(20, 10, 140, 38), 0.1, 320)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := AuditJPEG(out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, s := range []string{"dev-9fKz3RtW", "Exif", "ICC_PROFILE", "Lavc"} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: output holds %q", name, s)
			}
		}
	}
}

func TestRecropErrors(t *testing.T) {
	crop := cropJPEG(t, 100, 50, image.Rect(10, 10, 90, 40), 90)
	for _, c := range []struct {
		name     string
		crop     []byte
		box      image.Rectangle
		margin   float64
		maxWidth int
		want     string
	}{
		{"empty box", crop, image.Rectangle{}, 0.1, 320, "plate box (0,0)-(0,0) is empty or outside the crop (0,0)-(100,50)"},
		{"box outside", crop, image.Rect(200, 200, 300, 300), 0.1, 320, "is empty or outside the crop"},
		{"not a jpeg", []byte("GIF89a"), image.Rect(0, 0, 1, 1), 0.1, 320, "crop is not a JPEG"},
		{"margin too large", crop, image.Rect(10, 10, 90, 40), 0.2, 320, "margin 0.2 is outside 0..0.1"},
		{"zero width", crop, image.Rect(10, 10, 90, 40), 0.1, 0, "max width 0 is not positive"},
	} {
		_, err := Recrop(c.crop, c.box, c.margin, c.maxWidth)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v; want %q", c.name, err, c.want)
		}
	}
}

func BenchmarkRecrop(b *testing.B) {
	box := image.Rect(40, 30, 440, 130)
	crop := cropJPEG(b, 480, 160, box, 90)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Recrop(crop, box, 0.1, 320); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMake(b *testing.B) {
	pol := testPolicy()
	rec := testRecord(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Make(rec, pol); err != nil {
			b.Fatal(err)
		}
	}
}
