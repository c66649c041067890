package bench

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// TestSmallScalesThePlates: the synthetic photos' 300 px plates are read at
// 150 px on a 1920×1080 frame, and the labels move with them (a plate read
// is detected only when its box lies on the scaled label).
func TestSmallScalesThePlates(t *testing.T) {
	e := openEngine(t, "us")
	dir := syntheticDataset(t)
	s, err := Small(context.Background(), e, dir, SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: 150})
	if err != nil {
		t.Fatal(err)
	}
	if s.Images != 2 || s.Detected != 2 || s.Folded != 2 || s.Exact != 1 || s.Name != "150px" {
		t.Errorf("score %+v; want 2 images, both detected and folded-right, 1 exact (b.png's label has O for 0)", s)
	}
	// On the synthetic street, with its shop and street signs, the plates
	// are still the reads.
	street, err := synth.Street(1280, 720, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err = Small(context.Background(), e, dir, SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: 150, Background: street})
	if err != nil {
		t.Fatal(err)
	}
	if s.Images != 2 || s.Detected != 2 || s.Folded != 2 {
		t.Errorf("on a street: score %+v; want 2 images, both detected and folded-right", s)
	}
	_, err = Small(context.Background(), e, dir, SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: 1000})
	if err == nil || !strings.Contains(err.Error(), "a plate width in 8..frame/2, got (1920,1080) and 1000") {
		t.Errorf("plate wider than half the frame: %v", err)
	}
	_, err = Small(context.Background(), e, t.TempDir(), SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: 60})
	if err == nil || !strings.Contains(err.Error(), "has no manifest.tsv") {
		t.Errorf("folder without labels: %v", err)
	}
}

// BenchmarkSmallPlates reads the EU photos with their plates scaled to
// 50–75 px wide in a 1080p frame (a quarter of the plates of a US vendor
// test are that small) and reports the share of plates found where the
// label is (detected), read exactly and read with O/0 folded, on a plain
// grey frame and on the synthetic street (shop and street signs: text that
// is not a plate). One
// iteration reads the whole set: run with -benchtime 1x.
func BenchmarkSmallPlates(b *testing.B) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "datasets", "openalpr-eu")
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		b.Skipf("dataset not available (%v): it lives in ../shared/datasets beside the repository", err)
	}
	e := openEngine(b, "eu")
	street, err := synth.Street(1920, 1080, 1, "")
	if err != nil {
		b.Fatal(err)
	}
	for _, bg := range []struct {
		name string
		img  image.Image
	}{{"grey", nil}, {"street", street}} {
		for _, w := range []int{50, 62, 75, 100, 150} {
			b.Run(fmt.Sprintf("%s/%dpx", bg.name, w), func(b *testing.B) {
				var s Score
				for b.Loop() {
					var err error
					opts := SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: w, Background: bg.img}
					if s, err = Small(context.Background(), e, dir, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(pct(s.Detected, s.Images), "%detected")
				b.ReportMetric(pct(s.Exact, s.Images), "%exact")
				b.ReportMetric(pct(s.Folded, s.Images), "%folded")
				b.ReportMetric(float64(s.Median.Milliseconds()), "median-ms")
			})
		}
	}
}
