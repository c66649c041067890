package sanitize

import (
	"bytes"
	"fmt"
)

// JPEG markers.
const (
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDHT  = 0xC4
	mDRI  = 0xDD
	mSOF0 = 0xC0 // baseline
	mSOF1 = 0xC1 // extended sequential
	mSOF2 = 0xC2 // progressive
	mAPP0 = 0xE0
	mCOM  = 0xFE
)

// jfifAPP0Len is the body length of a JFIF APP0 segment without a thumbnail:
// "JFIF\0", version (2), units (1), densities (2+2), thumbnail size (1+1).
const jfifAPP0Len = 14

// AuditJPEG checks that b is one JPEG image made only of the segments needed
// to decode it: SOI, DQT, DHT, DRI, SOF0–SOF2, SOS with its entropy-coded
// data, EOI, and at most a JFIF APP0 without thumbnail. EXIF and XMP (APP1),
// ICC profiles (APP2), any other APPn, comments (COM), other markers and any
// byte after EOI are errors naming the marker and its offset.
func AuditJPEG(b []byte) error {
	if len(b) < 2 || b[0] != 0xFF || b[1] != mSOI {
		return fmt.Errorf("image is not a JPEG: it does not start with an SOI marker")
	}
	i := 2
	for {
		if i >= len(b) {
			return fmt.Errorf("JPEG is truncated: no EOI marker")
		}
		if b[i] != 0xFF {
			return fmt.Errorf("JPEG has byte 0x%02X at offset %d where a marker must start", b[i], i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes may precede a marker
			i++
		}
		if i >= len(b) {
			return fmt.Errorf("JPEG is truncated: no EOI marker")
		}
		m, off := b[i], i-1
		i++
		if m == mEOI {
			if i != len(b) {
				return fmt.Errorf("JPEG has %d bytes after its EOI marker", len(b)-i)
			}
			return nil
		}
		switch m {
		case mDQT, mDHT, mDRI, mSOF0, mSOF1, mSOF2, mAPP0, mSOS:
		default:
			return fmt.Errorf("JPEG has a forbidden %s segment (marker 0xFF%02X) at offset %d", markerName(m), m, off)
		}
		if i+2 > len(b) {
			return fmt.Errorf("JPEG is truncated in the %s segment at offset %d", markerName(m), off)
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return fmt.Errorf("JPEG %s segment at offset %d has a bad length %d", markerName(m), off, n)
		}
		body := b[i+2 : i+n]
		switch m {
		case mAPP0:
			if len(body) != jfifAPP0Len || !bytes.HasPrefix(body, []byte("JFIF\x00")) || body[12] != 0 || body[13] != 0 {
				return fmt.Errorf("JPEG holds an APP0 segment at offset %d that is not a plain JFIF header", off)
			}
		case mSOS:
			end, err := skipEntropyData(b, i+n)
			if err != nil {
				return err
			}
			i = end
			continue
		}
		i += n
	}
}

// skipEntropyData returns the offset of the first marker after the
// entropy-coded data that starts at i, passing over stuffed bytes (FF00) and
// restart markers (FFD0–FFD7).
func skipEntropyData(b []byte, i int) (int, error) {
	for ; i < len(b); i++ {
		if b[i] != 0xFF {
			continue
		}
		if i+1 >= len(b) {
			break
		}
		if n := b[i+1]; n == 0x00 || (n >= 0xD0 && n <= 0xD7) {
			i++
			continue
		}
		return i, nil
	}
	return 0, fmt.Errorf("JPEG is truncated in its scan data: no EOI marker")
}

func markerName(m byte) string {
	switch {
	case m == 0xE1:
		return "APP1 (EXIF/XMP)"
	case m == 0xE2:
		return "APP2 (ICC profile)"
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m == mCOM:
		return "COM (comment)"
	case m == mSOS:
		return "SOS"
	case m == mDQT:
		return "DQT"
	case m == mDHT:
		return "DHT"
	case m == mDRI:
		return "DRI"
	case m >= 0xC0 && m <= 0xCF:
		return fmt.Sprintf("SOF%d", m-0xC0)
	case m >= 0xD0 && m <= 0xD7:
		return fmt.Sprintf("RST%d", m-0xD0)
	}
	return fmt.Sprintf("0x%02X", m)
}
