package track

import (
	"image"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
)

// reading is a frame's reading with every character at conf.
func reading(text string, conf float64) []plate.Reading {
	cc := make([]float64, len(text))
	for i := range cc {
		cc[i] = conf
	}
	return []plate.Reading{{Text: text, Conf: conf, CharConfs: cc, Format: "sk", Region: "eu", Layout: true}}
}

func direct(ms int, camera, text string, conf float64, b image.Rectangle) Observation {
	return Observation{Time: at(ms), Camera: camera, Box: b, Candidates: reading(text, conf)}
}

// TestVotePerPosition: no single frame is right, but each position is right
// in most frames, so the voted text is.
func TestVotePerPosition(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	for i, text := range []string{"RK106AB", "RK105A8", "RX105AB", "RK105AB"[:6]} {
		if _, err := tr.Observe(direct(i*100, "c", text, 0.8, box(100+10*i, 100, 120))); err != nil {
			t.Fatal(err)
		}
	}
	recs := records(tr.Flush())
	if len(recs) != 1 || recs[0].Plate != "RK105AB" || recs[0].Frames != 4 {
		t.Fatalf("got %s, want RK105AB/4", texts(recs))
	}
	// Three 7-character frames voted; each position had one dissenter at
	// most: confidence 0.8 × 2/3 there, 0.8 elsewhere.
	r := recs[0]
	if r.CharConfs[0] != 0.8 || r.CharConfs[4] <= 0.53 || r.CharConfs[4] >= 0.54 || r.Confidence >= 0.8 {
		t.Errorf("char confs %v confidence %v", r.CharConfs, r.Confidence)
	}
}

// TestSeparateTracks: plates in one frame, or on two cameras, never merge,
// even with the same text.
func TestSeparateTracks(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	for _, o := range []Observation{
		direct(0, "front", "BA123AB", 0.9, box(100, 100, 120)),
		direct(0, "front", "BA123AB", 0.9, box(130, 100, 120)), // a duplicate in the same frame
		direct(0, "rear", "BA123AB", 0.9, box(100, 100, 120)),  // the same plate on another camera
		direct(0, "front", "BA128AB", 0.9, box(600, 100, 120)), // a similar plate elsewhere
		direct(100, "front", "BA123AB", 0.9, box(110, 100, 120)),
		direct(100, "front", "BA128AB", 0.9, box(610, 100, 120)),
	} {
		if _, err := tr.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts(records(tr.Flush())); got != "BA123AB/2 BA123AB/1 BA123AB/1 BA128AB/2" {
		t.Errorf("got %s", got)
	}
}

// TestJoinRules: near and similar joins; the same text joins from anywhere
// (dropped frames, a fast pass); a different plate does not join when near,
// nor a similar one when far; a track ends at the timeout, not before.
func TestJoinRules(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	steps := []struct {
		o    Observation
		open int
	}{
		{direct(0, "c", "PD722BF", 0.9, box(100, 300, 100)), 1},
		{direct(100, "c", "PD722BE", 0.9, box(120, 300, 100)), 1},   // near, one char off: joins
		{direct(200, "c", "PD722BF", 0.9, box(1400, 300, 100)), 1},  // far, same text: joins
		{direct(300, "c", "RK301AH", 0.9, box(1420, 300, 100)), 2},  // near, another plate
		{direct(400, "c", "PD722BE", 0.9, box(100, 900, 100)), 3},   // similar but far and not the same
		{direct(1300, "c", "RK301AH", 0.9, box(1420, 300, 100)), 4}, // 1 s after: a new pass
	}
	for i, st := range steps {
		if _, err := tr.Observe(st.o); err != nil {
			t.Fatal(err)
		}
		if got := tr.Open(); got != st.open {
			t.Fatalf("step %d: %d open tracks, want %d", i, got, st.open)
		}
	}
	if got := texts(records(tr.Tick(at(1399)))); got != "PD722BF/3 RK301AH/1" {
		t.Errorf("Tick at 1399 ms ended %q, want PD722BF/3 RK301AH/1 (last seen 200 and 300 ms)", got)
	}
	if got := texts(records(tr.Flush())); got != "PD722BE/1 RK301AH/1" {
		t.Errorf("Flush ended %q", got)
	}
}

// TestPartReadJoins: a reading of part of a track's plate (its edge
// characters missed), on the plate, joins the track, though it is unlike
// the whole text; the same part read a few plate widths away is another
// plate; a track begun by a part read takes the whole text when it comes.
func TestPartReadJoins(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	steps := []struct {
		o    Observation
		open int
	}{
		{direct(0, "c", "1B70440", 0.9, box(100, 300, 100)), 1},
		{direct(100, "c", "O440", 0.8, box(160, 302, 50)), 1},     // its last four, on it: joins
		{direct(200, "c", "1B70440", 0.9, box(110, 300, 100)), 1}, //
		{direct(300, "c", "O440", 0.8, box(500, 300, 50)), 2},     // the same four, four plate widths away
		{direct(400, "c", "PD72", 0.8, box(600, 700, 50)), 3},     // a part read first
		{direct(500, "c", "PD722BF", 0.9, box(590, 700, 100)), 3}, // then the whole plate
		{direct(600, "c", "PD722BF", 0.9, box(580, 700, 100)), 3},
	}
	for i, st := range steps {
		if _, err := tr.Observe(st.o); err != nil {
			t.Fatal(err)
		}
		if got := tr.Open(); got != st.open {
			t.Fatalf("step %d (%s): %d open tracks, want %d", i, st.o.Candidates[0].Text, got, st.open)
		}
	}
	if got := texts(records(tr.Flush())); got != "1B70440/3 O440/1 PD722BF/3" {
		t.Errorf("got %s, want 1B70440/3 O440/1 PD722BF/3", got)
	}
}

// TestVelocityPrediction: a plate crossing the frame fast (four plate widths
// per frame) stays one track while its text wobbles, because its position is
// predicted from its speed.
func TestVelocityPrediction(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	for i, text := range []string{"NO450AM", "NO450AM", "NO45OAN", "N0450AH", "NO450AM"} {
		if _, err := tr.Observe(direct(i*100, "c", text, 0.85, box(100+400*i, 300, 100))); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts(records(tr.Flush())); got != "NO450AM/5" {
		t.Errorf("got %s, want one pass NO450AM/5", got)
	}
}

// TestBestFrameKeepsCrop: a better frame whose snapshot failed does not
// displace a best frame with a crop, and frames that are not better are not
// snapshotted.
func TestBestFrameKeepsCrop(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	calls := 0
	snap := func(crop string) func() Snapshot {
		return func() Snapshot { calls++; return Snapshot{Crop: []byte(crop)} }
	}
	obs := []Observation{
		direct(0, "c", "BA123AB", 0.9, box(100, 100, 100)),
		direct(100, "c", "BA123AB", 0.9, box(110, 100, 100)), // same score: not better
		direct(200, "c", "BA123AB", 0.9, box(120, 100, 200)), // better, but no crop
	}
	obs[0].Snapshot, obs[1].Snapshot, obs[2].Snapshot = snap("first"), snap("second"), snap("")
	for _, o := range obs {
		if _, err := tr.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	r := records(tr.Flush())[0]
	if string(r.Crop) != "first" || r.CapturedAt != at(0) || calls != 2 {
		t.Errorf("crop %q at %v after %d snapshots; want first at 0 ms after 2", r.Crop, r.CapturedAt, calls)
	}
}

// TestMinimums: MinFrames and MinConfidence drop weak passes.
func TestMinimums(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second, MinFrames: 2, MinConfidence: 0.7})
	for _, o := range []Observation{
		direct(0, "c", "AAA111", 0.95, box(100, 100, 100)), // strong but alone
		direct(0, "c", "BBB222", 0.6, box(600, 100, 100)),  // two weak frames
		direct(100, "c", "BBB222", 0.6, box(600, 100, 100)),
		direct(0, "c", "CCC333", 0.9, box(100, 600, 100)), // two good frames
		direct(100, "c", "CCC333", 0.8, box(100, 600, 100)),
	} {
		if _, err := tr.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts(records(tr.Flush())); got != "CCC333/2" || tr.Dropped() != 2 {
		t.Errorf("kept %q, dropped %d; want CCC333/2 and 2", got, tr.Dropped())
	}
}

// TestMinCharConfidence: frames that read one character three ways leave
// a voted text whose mean confidence passes MinConfidence but whose weak
// character does not pass MinCharConfidence: the pass is neither confirmed
// nor kept at its end, while a pass read the same in every frame is; with
// MinCharConfidence 0 both are kept.
func TestMinCharConfidence(t *testing.T) {
	for _, tt := range []struct {
		min  float64
		want string
	}{{0.5, "CD5678/3"}, {0, "AB1234/3 CD5678/3"}} {
		tr := newTracker(t, Options{Timeout: time.Second, MinFrames: 2, MinConfidence: 0.6, MinCharConfidence: tt.min})
		confirmed := map[string]bool{}
		for f, text := range []string{"AB1234", "AB7234", "AB9234"} {
			for _, o := range []Observation{
				direct(f*100, "c", text, 0.9, box(100, 100, 100)),
				direct(f*100, "c", "CD5678", 0.9, box(600, 600, 100)),
			} {
				if p := observe(t, tr, o); p != nil {
					confirmed[string(p.Record.Plate)] = true
				}
			}
		}
		got := texts(records(tr.Flush()))
		if got != tt.want || confirmed["AB1234"] != (tt.min == 0) || !confirmed["CD5678"] {
			t.Errorf("MinCharConfidence %v: kept %q, confirmed %v; want %q", tt.min, got, confirmed, tt.want)
		}
	}
}

// TestLongTrackBounded: a plate in view for a long time with noisy OCR keeps
// a bounded number of candidate texts, and still its majority text.
func TestLongTrackBounded(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	for i := range 1000 {
		cands := reading("BA123AB", 0.9)
		cands = append(cands, plate.Reading{Text: "BA123" + string(rune('A'+i%26)) + string(rune('A'+i/26%26)), Conf: 0.5})
		if _, err := tr.Observe(Observation{Time: at(i * 40), Camera: "c", Box: box(100, 100, 100), Candidates: cands}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tr.tracks[0].texts); n > maxTexts {
		t.Errorf("%d candidate texts kept, want ≤ %d", n, maxTexts)
	}
	r := records(tr.Flush())[0]
	if r.Plate != "BA123AB" || r.Frames != 1000 || len(r.Candidates) != DefaultTopN {
		t.Errorf("got %s/%d with %d candidates", r.Plate, r.Frames, len(r.Candidates))
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{}, "track: timeout must be > 0, got 0s"},
		{Options{Timeout: time.Second, MinFrames: -1}, "track: min frames (-1) and top N (0) must be ≥ 0"},
		{Options{Timeout: time.Second, MinConfidence: 1.5}, "track: min confidence (1.5) and min similarity (0) must be in [0, 1]"},
		{Options{Timeout: time.Second, MaxMove: -2}, "track: max move must be ≥ 0, got -2"},
		{Options{Timeout: time.Second, MinCharConfidence: -0.1}, "track: min char confidence (-0.1) must be in [0, 1]"},
	}
	for _, tt := range tests {
		if _, err := New(tt.o); err == nil || err.Error() != tt.want {
			t.Errorf("New(%+v) error = %v, want %s", tt.o, err, tt.want)
		}
	}
}

func TestObserveErrors(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second})
	good := direct(0, "c", "BA123AB", 0.9, box(1, 1, 100))
	noTime, noText, noBox := good, good, good
	noTime.Time = time.Time{}
	noText.Candidates = nil
	noBox.Box = image.Rectangle{}
	for o, want := range map[*Observation]string{
		&noTime: "track: observation has no time",
		&noText: "track: observation has no reading",
		&noBox:  "track: observation has an empty box (0,0)-(0,0)",
	} {
		if _, err := tr.Observe(*o); err == nil || err.Error() != want {
			t.Errorf("error = %v, want %s", err, want)
		}
	}
	if tr.Open() != 0 {
		t.Errorf("bad observations opened %d tracks", tr.Open())
	}
}

// BenchmarkObserve is the per-plate, per-frame cost with two passes open.
func BenchmarkObserve(b *testing.B) {
	p, err := plate.Lookup("eu")
	if err != nil {
		b.Fatal(err)
	}
	ca := p.Candidates(ocr("RK105AB", 0.9), 5)
	cb := p.Candidates(ocr("BA302OZ", 0.9), 5)
	tr, err := New(Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		for k, c := range [][]plate.Reading{ca, cb} {
			o := Observation{Time: at(i * 40), Camera: "c", Box: box(100+i%50+600*k, 300, 120), Candidates: c}
			if _, err := tr.Observe(o); err != nil {
				b.Fatal(err)
			}
		}
		if i%500 == 0 {
			tr.Flush()
		}
	}
}
