package main

import (
	"io"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// StoredRead is the part of a read (edge-agent reads --format jsonl) that
// scoring needs.
type StoredRead = synth.ReadLine

// parseReadsJSONL reads the output of edge-agent reads --format jsonl.
func parseReadsJSONL(r io.Reader) ([]StoredRead, error) { return synth.ParseReads(r) }

// PassScore counts the passes of a video read right by a replay.
type PassScore struct {
	Passes int // passes in the truth
	Right  int // passes read right
	Reads  int // reads stored
	Other  int // reads that are no pass read right: misreads, signs, split passes' extra records
}

// Percent is the share of passes read right, in percent.
func (s PassScore) Percent() float64 {
	if s.Passes == 0 {
		return 0
	}
	return 100 * float64(s.Right) / float64(s.Passes)
}

// scorePasses scores the reads of a replay started at truth.Start: a pass is
// read right when a read's text equals its plate and the read's capture time
// lies within [start_s, end_s + trackTimeout] of the video's start (a pass's
// record carries the time of its best frame, inside the pass; the timeout
// is slack for a pass whose plate is read as it leaves).
func scorePasses(t *synth.Truth, reads []StoredRead, trackTimeout time.Duration) PassScore {
	s := PassScore{Passes: len(t.Passes), Reads: len(reads)}
	used := make([]bool, len(reads))
	for _, p := range t.Passes {
		from := t.Start.Add(seconds(p.StartS))
		to := t.Start.Add(seconds(p.EndS) + trackTimeout)
		right := false
		for i, r := range reads {
			if r.Plate == p.Plate && !r.CapturedAt.Before(from) && !r.CapturedAt.After(to) {
				right, used[i] = true, true
			}
		}
		if right {
			s.Right++
		}
	}
	for _, u := range used {
		if !u {
			s.Other++
		}
	}
	return s
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
