package main

import (
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

func TestScorePasses(t *testing.T) {
	start := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	truth := &synth.Truth{Start: start, Passes: []synth.Pass{
		{Index: 0, Plate: "ABC123", StartS: 1, EndS: 3},
		{Index: 1, Plate: "XYZ789", StartS: 5, EndS: 7},
		{Index: 2, Plate: "JKL456", StartS: 10, EndS: 12},
		{Index: 3, Plate: "ABC123", StartS: 20, EndS: 22}, // the same car again
	}}
	at := func(s float64) time.Time { return start.Add(seconds(s)) }
	jsonl := strings.Join([]string{
		`{"id":1,"captured_at":"` + at(2).Format(time.RFC3339Nano) + `","plate":"ABC123","crop":"AAAA"}`,
		`{"id":2,"captured_at":"` + at(2.5).Format(time.RFC3339Nano) + `","plate":"ABC123"}`, // split pass: counts once
		`{"id":3,"captured_at":"` + at(8.4).Format(time.RFC3339Nano) + `","plate":"XYZ789"}`, // within end + 1.5 s
		`{"id":4,"captured_at":"` + at(11).Format(time.RFC3339Nano) + `","plate":"JKL45"}`,   // misread
		`{"id":5,"captured_at":"` + at(15).Format(time.RFC3339Nano) + `","plate":"BAKERY"}`,  // a sign
		`{"id":6,"captured_at":"` + at(24).Format(time.RFC3339Nano) + `","plate":"ABC123"}`,  // after end + timeout
		``,
	}, "\n")
	reads, err := parseReadsJSONL(strings.NewReader(jsonl))
	if err != nil {
		t.Fatal(err)
	}
	got := scorePasses(truth, reads, 1500*time.Millisecond)
	want := PassScore{Passes: 4, Right: 2, Reads: 6, Other: 3}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if p := got.Percent(); p != 50 {
		t.Errorf("percent %v", p)
	}
	if _, err := parseReadsJSONL(strings.NewReader(`{"plate":"ABC123"}`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a read without captured_at: %v", err)
	}
}
