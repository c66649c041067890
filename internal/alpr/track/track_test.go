package track

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/read"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus ms milliseconds.
func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// ocr makes the OCR positions of text: each character at p, its lookalike or
// a neighbour letter as a weak alternative, as the recogniser gives them.
func ocr(text string, p float64) []plate.Char {
	var out []plate.Char
	for _, r := range text {
		out = append(out, plate.Char{Alts: []plate.Alt{{R: r, P: p}, {R: 'X', P: (1 - p) / 2}}})
	}
	return out
}

// scene builds observations the way the engine does: OCR characters through
// the region's format pack.
type scene struct {
	t     *testing.T
	pack  *plate.Pack
	snaps map[string]int // Snapshot calls by label
}

func newScene(t *testing.T, region string) *scene {
	p, err := plate.Lookup(region)
	if err != nil {
		t.Fatal(err)
	}
	return &scene{t: t, pack: p, snaps: map[string]int{}}
}

// obs is a plate read as text at conf, in box, in the frame at ms, on camera
// "front"; its snapshot's crop is the label "text@ms".
func (s *scene) obs(ms int, text string, conf float64, box image.Rectangle, sharp float64) Observation {
	label := fmt.Sprintf("%s@%d", text, ms)
	return Observation{
		Time: at(ms), Camera: "front", Box: box, Sharpness: sharp,
		Candidates: s.pack.Candidates(ocr(text, conf), 5),
		Snapshot: func() Snapshot {
			s.snaps[label]++
			return Snapshot{Crop: []byte(label), CropBox: image.Rect(10, 10, 10+box.Dx(), 10+box.Dy())}
		},
	}
}

func (s *scene) observe(tr *Tracker, o Observation) {
	s.t.Helper()
	if _, err := tr.Observe(o); err != nil {
		s.t.Fatal(err)
	}
}

func box(x, y, w int) image.Rectangle { return image.Rect(x, y, x+w, y+w/4) }

func newTracker(t *testing.T, o Options) *Tracker {
	t.Helper()
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// records are the read records of passes.
func records(ps []Pass) []read.Record {
	out := make([]read.Record, len(ps))
	for i, p := range ps {
		out[i] = p.Record
	}
	return out
}

func texts(recs []read.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprintf("%s/%d", string(r.Plate), r.Frames))
	}
	return strings.Join(s, " ")
}

// TestTwoCarsAndASecondPass is the synthetic pass sequence: car A (RK105AB)
// drives right through frames 0–900 ms with one wrong character, one
// missing character and a 300 ms gap; car B (BA302OZ) drives left through
// 500–1400 ms, in the same frames as A for a while; a one-frame ghost read
// appears; A passes again 10 s later. Expect exactly A, B, A again, with the
// right texts, the crop of each pass's best frame, and each record at the
// first Tick at which its track has been unseen for the timeout.
func TestTwoCarsAndASecondPass(t *testing.T) {
	s := newScene(t, "eu")
	tr := newTracker(t, Options{Timeout: 1500 * time.Millisecond, MinFrames: 2, MinConfidence: 0.6})

	for f := range 10 {
		ms := f * 100
		if f == 6 || f == 7 {
			continue // A unseen for 300 ms
		}
		text, w, sharp := "RK105AB", 120+4*f, 50.0
		switch f {
		case 3:
			text = "RK106AB" // a wrong character
		case 5:
			text = "RK15AB" // a missing one
		case 8:
			sharp = 200 // the sharpest, and nearly the largest: the best crop
		}
		s.observe(tr, s.obs(ms, text, 0.9, box(100+25*f, 400, w), sharp))
	}
	for f := 5; f < 15; f++ {
		s.observe(tr, s.obs(f*100, "BA302OZ", 0.88, box(900-20*f, 420, 110), 80))
	}
	s.observe(tr, s.obs(1200, "XY999ZZ", 0.62, box(500, 100, 60), 10)) // ghost: one frame

	if got := tr.Open(); got != 3 {
		t.Fatalf("open tracks = %d, want 3 (A, B, ghost)", got)
	}
	if recs := records(tr.Tick(at(2399))); len(recs) != 0 {
		t.Fatalf("Tick 1 ms before A's timeout ended %s", texts(recs))
	}
	recsA := records(tr.Tick(at(2400))) // A last seen at 900 ms
	if got := texts(recsA); got != "RK105AB/8" {
		t.Fatalf("at A's timeout: %q, want RK105AB/8", got)
	}
	a := recsA[0]
	if string(a.Crop) != "RK105AB@800" || a.CapturedAt != at(800) || a.Box != box(300, 400, 152) {
		t.Errorf("A's best frame: crop %q at %v box %v, want the 800 ms frame", a.Crop, a.CapturedAt, a.Box)
	}
	if a.Camera != "front" || a.Region != "eu" || len(a.CharConfs) != 7 || a.Confidence < 0.8 {
		t.Errorf("A: camera %q region %q %d char confs, confidence %v", a.Camera, a.Region, len(a.CharConfs), a.Confidence)
	}
	if len(a.Candidates) == 0 || a.Candidates[0].Text != "RK105AB" || len(a.Candidates) > DefaultTopN {
		t.Errorf("A's candidates %v: want RK105AB first, at most %d", a.Candidates, DefaultTopN)
	}

	recs := records(tr.Tick(at(2900))) // B last seen at 1400 ms; the ghost at 1200 ms
	if got := texts(recs); got != "BA302OZ/10" {
		t.Fatalf("at B's timeout: %q, want BA302OZ/10 (and the one-frame ghost dropped)", got)
	}
	if tr.Dropped() != 1 || tr.Open() != 0 {
		t.Errorf("dropped %d open %d, want 1 and 0", tr.Dropped(), tr.Open())
	}

	for f := range 6 { // A again, 10 s later
		s.observe(tr, s.obs(10000+f*100, "RK105AB", 0.9, box(100+25*f, 400, 120), 50))
	}
	if recs := records(tr.Tick(at(11000))); len(recs) != 0 {
		t.Fatalf("second pass ended early: %s", texts(recs))
	}
	if got := texts(records(tr.Flush())); got != "RK105AB/6" {
		t.Fatalf("Flush: %q, want the second pass RK105AB/6", got)
	}

	// Snapshots are taken only when a frame becomes the best of its pass.
	total := 0
	for _, n := range s.snaps {
		total += n
	}
	if total >= 10+10+1+6 || s.snaps["RK105AB@800"] != 1 {
		t.Errorf("%d snapshots for 27 observations (800 ms: %d); want fewer, and one of the best frame", total, s.snaps["RK105AB@800"])
	}
}
