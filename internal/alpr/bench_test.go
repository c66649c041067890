package alpr

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// BenchmarkOCR is one recogniser forward pass and decoding.
func BenchmarkOCR(b *testing.B) {
	dir := modelsDir(b)
	a, err := LoadAlphabet(dir)
	if err != nil {
		b.Fatal(err)
	}
	width, err := recWidth(dir)
	if err != nil {
		b.Fatal(err)
	}
	o, err := NewOCR(dir+"/"+RecFile, a, width)
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	crop := gocv.NewMatWithSize(48, 200, gocv.MatTypeCV8UC3)
	defer crop.Close()
	drawPlate(&crop, image.Rect(0, 0, 200, 48), "ABC1234")
	for b.Loop() {
		if _, err := o.Read(crop, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect is one coarse detection pass over a 720p frame.
func BenchmarkDetect(b *testing.B) {
	d, err := NewDBDetector(modelsDir(b)+"/"+DetFile, 320)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	img := scene(1280, 720, image.Rect(500, 400, 800, 460), "ABC1234")
	defer img.Close()
	for b.Loop() {
		if _, err := d.Detect(img, image.Rect(0, 0, 1280, 720)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecognize is a whole frame: a 720p scene with one plate.
func BenchmarkRecognize(b *testing.B) {
	e, err := Open(Options{ModelsDir: modelsDir(b), Region: "us", Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	img := scene(1280, 720, image.Rect(500, 400, 800, 460), "ABC1234")
	defer img.Close()
	for b.Loop() {
		if _, err := e.Recognize(img, nil); err != nil {
			b.Fatal(err)
		}
	}
}
