package sanitize

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"
)

func goJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 24, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuditJPEGAcceptsGoEncoder(t *testing.T) {
	jpg := goJPEG(t)
	if err := AuditJPEG(jpg); err != nil {
		t.Fatalf("image/jpeg output rejected: %v", err)
	}
	// A plain JFIF header (what libjpeg writes first) is allowed.
	jfif := []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")
	if err := AuditJPEG(insertSegment(jpg, 0xE0, jfif)); err != nil {
		t.Fatalf("JFIF APP0 rejected: %v", err)
	}
	// Stuffed bytes (FF00) and restart markers (FFD0–FFD7) belong to the scan.
	scan := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 1, 0xFF, 0x00, 2, 0xFF, 0xD0, 3, 0xFF, 0xD7, 4, 0xFF, 0xFF, 0xD9}
	if err := AuditJPEG(scan); err != nil {
		t.Fatalf("scan with RST and stuffing rejected: %v", err)
	}
	scan[11] = 0xE1 // an APP1 marker amid the scan data
	if err := AuditJPEG(scan); err == nil || !strings.Contains(err.Error(), "APP1 (EXIF/XMP) segment (marker 0xFFE1) at offset 10") {
		t.Fatalf("APP1 after a scan: %v", err)
	}
}

func TestAuditJPEGRejects(t *testing.T) {
	jpg := goJPEG(t)
	ffmpeg, err := os.ReadFile("testdata/ffmpeg-testsrc.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"exif", insertSegment(jpg, 0xE1, []byte("Exif\x00\x00MM\x00*")), "JPEG has a forbidden APP1 (EXIF/XMP) segment (marker 0xFFE1) at offset 2"},
		{"xmp", insertSegment(jpg, 0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")), "APP1 (EXIF/XMP)"},
		{"icc", insertSegment(jpg, 0xE2, []byte("ICC_PROFILE\x00\x01\x01")), "APP2 (ICC profile)"},
		{"adobe", insertSegment(jpg, 0xEE, []byte("Adobe\x00d")), "APP14"},
		{"comment", insertSegment(jpg, 0xFE, []byte("tenant-Qm7vX2pL")), "COM (comment)"},
		{"ffmpeg comment", ffmpeg, "JPEG has a forbidden COM (comment) segment (marker 0xFFFE) at offset 20"},
		{"jfxx thumbnail", insertSegment(jpg, 0xE0, []byte("JFXX\x00\x10abc")), "not a plain JFIF header"},
		{"jfif thumbnail", insertSegment(jpg, 0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x01\x01\x00\x00\x00")), "not a plain JFIF header"},
		{"trailer", append(bytes.Clone(jpg), "tenant-Qm7vX2pL"...), "JPEG has 15 bytes after its EOI marker"},
		{"second image", append(bytes.Clone(jpg), jpg...), "bytes after its EOI marker"},
		{"truncated", jpg[:len(jpg)-2], "JPEG is truncated in its scan data: no EOI marker"},
		{"not jpeg", []byte("\x89PNG\r\n"), "image is not a JPEG: it does not start with an SOI marker"},
		{"empty", nil, "image is not a JPEG"},
		{"bad length", []byte{0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x01}, "JPEG DQT segment at offset 2 has a bad length 1"},
		{"arithmetic", insertSegment(jpg, 0xCC, []byte{0, 0}), "SOF12"},
	} {
		err := AuditJPEG(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v; want it to contain %q", c.name, err, c.want)
		}
	}
}

// FuzzAuditJPEG checks that no input makes the audit panic and that an
// accepted input is one SOI…EOI image without APPn or COM before its scan.
func FuzzAuditJPEG(f *testing.F) {
	jpg := goJPEG(f)
	f.Add(jpg)
	f.Add(insertSegment(jpg, 0xE1, []byte("Exif\x00\x00")))
	f.Add(insertSegment(jpg, 0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")))
	f.Fuzz(func(t *testing.T, b []byte) {
		if AuditJPEG(b) != nil {
			return
		}
		for _, m := range headerMarkers(t, b) {
			if m > 0xE0 && m <= 0xEF || m == 0xFE {
				t.Fatalf("accepted a JPEG with marker FF%02X", m)
			}
		}
	})
}
