package synth

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeManifest(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifest.tsv"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadManifest(t *testing.T) {
	dir := writeManifest(t, "image\tplate_text\tx\ty\tw\th\r\na.jpg\tAB123\t10\t20\t100\t25\r\n\r\nb.jpg\tXY9\t-1\t0\t5\t2\r\n")
	got, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Photo{{"a.jpg", "AB123", image.Rect(10, 20, 110, 45)}, {"b.jpg", "XY9", image.Rect(-1, 0, 4, 2)}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestReadManifestErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"image\tplate_text\tx\ty\tw\th\na.jpg\tAB1\t1\t2\t0\t4\n", "line 2: 'w' must be an integer (w and h positive), got \"0\""},
		{"image\tplate_text\tx\ty\tw\th\na.jpg\t\t1\t2\t3\t4\n", "line 2: 'plate_text' is empty"},
		{"image\tstate\tplate_text\na.png\tak\tAB123\n", "a set of plate crops, no scenes"},
	}
	for _, c := range cases {
		_, err := ReadManifest(writeManifest(t, c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("manifest %q: got %v, want %q", c.body, err, c.want)
		}
	}
}

func TestCameraKeepsThePlateInView(t *testing.T) {
	r := newRNG(1, 5)
	for i := 0; i < 200; i++ {
		iw, ih := 360+r.intn(1700), 240+r.intn(1300)
		bw := 40 + r.intn(iw/3)
		bh := max(8, bw/4)
		x, y := r.intn(iw-bw), r.intn(ih-bh)
		box := image.Rect(x, y, x+bw, y+bh)
		c := newCamera(r, 1280, 720, iw, ih, box)
		start, end := 0.0, 1.0
		if !c.ZoomIn {
			start, end = 1, 0
		}
		k0, _ := c.at(start)
		if k0 != c.fit() {
			t.Fatalf("case %d: the wide end does not show the whole image", i)
		}
		for _, tt := range []float64{0, 0.25, 0.5, 0.75, 1} {
			h := c.toFrame(tt)
			q := quad{h.apply(vec{float64(x), float64(y)}), h.apply(vec{float64(x + bw), float64(y)}),
				h.apply(vec{float64(x + bw), float64(y + bh)}), h.apply(vec{float64(x), float64(y + bh)})}
			if !q.inside(1280, 720) {
				t.Fatalf("case %d (%dx%d, box %v, camera %+v): plate leaves the frame at t=%.2f: %v", i, iw, ih, box, c, tt, q)
			}
		}
		if k1, _ := c.at(end); k1*float64(bw) > 0.4*1280+1 && c.ZoomMax > 1 {
			t.Fatalf("case %d: plate zoomed to %.0f px", i, k1*float64(bw))
		}
	}
}
