package alpr

import (
	"image"
	"testing"

	"github.com/edge-agent/edge-agent/internal/alpr/alprtest"
	"github.com/edge-agent/edge-agent/internal/alpr/platereader"
)

// BenchmarkRecognize times the search of one frame (detector over the whole
// frame, reader on each box) at the two sizes fleet cameras record, with a
// plate and the street's signs in it.
func BenchmarkRecognize(b *testing.B) {
	e, _ := openEngine(b, Options{Workers: 1})
	for _, c := range []struct {
		name string
		w, h int
		box  image.Rectangle
	}{
		{"1280x720", 1280, 720, image.Rect(560, 480, 680, 540)},
		{"1920x1080", 1920, 1080, image.Rect(900, 760, 1020, 820)},
	} {
		img := alprtest.Street(b, c.w, c.h)
		alprtest.PastePlate(b, &img, "ABC1234", 0, c.box)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Recognize(img, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The detector alone: the rest of a search is reading the boxes.
		b.Run(c.name+"/detect", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Detect(img); err != nil {
					b.Fatal(err)
				}
			}
		})
		img.Close()
	}
}

// BenchmarkReadBatches reads crops in batches of one size, and of sizes
// that change from call to call, as a search's two reading batches do: the
// difference is what OpenCV's DNN module spends re-allocating the
// network's layers for a new input shape.
func BenchmarkReadBatches(b *testing.B) {
	e, _ := openEngine(b, Options{Workers: 1})
	img := alprtest.Street(b, 1280, 720)
	defer img.Close()
	box := image.Rect(560, 480, 680, 540)
	alprtest.PastePlate(b, &img, "ABC1234", 0, box)
	area := platereader.Trained.Area(box, image.Rect(0, 0, img.Cols(), img.Rows()))
	six := []image.Rectangle{area, area, area, area, area, area}
	for _, c := range []struct {
		name  string
		sizes []int
	}{{"same/3+3", []int{3, 3}}, {"changing/3+6", []int{3, 6}}, {"same/6+6", []int{6, 6}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for _, n := range c.sizes {
					if _, err := e.reader.Read(img, six[:n]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
