//go:build cgo

package synth

import (
	"context"
	"testing"

	"gocv.io/x/gocv"
)

// BenchmarkDrawFrame1080p measures rendering alone, without encoding.
func BenchmarkDrawFrame1080p(b *testing.B) {
	tf, err := loadTypeface(DefaultFont)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := makePlan(1920, 1080, 30, 15, 1)
	r, err := newRenderer(&p, tf, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	m := gocv.NewMatWithSize(1080, 1920, gocv.MatTypeCV8UC3)
	defer m.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.draw(i%p.Frames, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSynthetic1080p measures a whole 1080p video of 3 passes (about
// 13 s), encoding included.
func BenchmarkSynthetic1080p(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res, err := Synthetic(context.Background(), b.TempDir(), SyntheticOptions{Passes: 3, Seed: 1}, testLogger(nil))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Truth.Frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	}
}
