package main

import (
	"math"
	"testing"
	"time"
)

func samples(mb func(min float64) float64, n int, every time.Duration) []Sample {
	var out []Sample
	for i := 1; i <= n; i++ {
		at := time.Duration(i) * every
		out = append(out, Sample{At: at, RSSBytes: int64(mb(at.Minutes()) * (1 << 20)), OpenMats: math.NaN()})
	}
	return out
}

func TestRSSTrend(t *testing.T) {
	// Warm-up climbs from 100 to 250 MB in the first minute, then RSS holds
	// with ±3 MB of noise: flat.
	flat := samples(func(m float64) float64 {
		if m < 1 {
			return 100 + 150*m
		}
		return 250 + 3*math.Sin(m*7)
	}, 60, 10*time.Second)
	tr := rssTrend(flat, time.Minute)
	if !tr.Flat || tr.Samples != 55 || math.Abs(tr.MeanMB-250) > 1 || math.Abs(tr.DriftMB) > 5 {
		t.Errorf("flat soak: %+v", tr)
	}
	// A leak of 3 MB a minute over 10 minutes is 27 MB on ~265: not flat.
	leak := samples(func(m float64) float64 { return 250 + 3*m }, 60, 10*time.Second)
	tr = rssTrend(leak, time.Minute)
	if tr.Flat || math.Abs(tr.SlopeMBMin-3) > 0.01 || math.Abs(tr.DriftMB-27) > 0.1 {
		t.Errorf("leaking soak: %+v", tr)
	}
	if tr := rssTrend(leak[:1], 0); tr.Flat || tr.Samples != 1 {
		t.Errorf("one sample: %+v", tr)
	}
	if w := warmup(2 * time.Minute); w != 30*time.Second {
		t.Errorf("warm-up of a 2 min soak: %v", w)
	}
}

func TestMatsRange(t *testing.T) {
	s := []Sample{{OpenMats: math.NaN()}, {OpenMats: 12}, {OpenMats: 9}, {OpenMats: 15}, {OpenMats: 11}}
	lo, hi, last, ok := matsRange(s)
	if !ok || lo != 9 || hi != 15 || last != 11 {
		t.Errorf("got %v %v %v %v", lo, hi, last, ok)
	}
	if _, _, _, ok := matsRange(s[:1]); ok {
		t.Error("no counts: ok")
	}
}
