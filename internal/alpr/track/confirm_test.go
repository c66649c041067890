package track

import (
	"fmt"
	"image"
	"slices"
	"testing"
	"time"
)

// observe feeds o and returns the pass it confirmed, if any.
func observe(t *testing.T, tr *Tracker, o Observation) *Pass {
	t.Helper()
	p, err := tr.Observe(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfirmedOnceAtTheKeepRules: car A is read in ten frames, weakly in
// the first two; with MinFrames 3 and MinConfidence 0.6 its track is
// confirmed at the third frame only if the vote is strong enough by then,
// else at the first frame that makes it so; the provisional record is
// handed out exactly once, and the final record at the pass's end carries
// the same key, the first frame's time, and every frame. Car B, on the same
// frames, is a pass of its own with another key; a one-frame ghost and a
// weak track are never confirmed and end without a record.
func TestConfirmedOnceAtTheKeepRules(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second, MinFrames: 3, MinConfidence: 0.6})
	confirmed := map[uint64][]string{} // key → where it was confirmed
	provisional := map[uint64]Pass{}
	see := func(label string, o Observation) {
		t.Helper()
		if p := observe(t, tr, o); p != nil {
			confirmed[p.Key] = append(confirmed[p.Key], label)
			provisional[p.Key] = *p
		}
	}
	confs := []float64{0.3, 0.4, 0.5, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}
	for f, c := range confs {
		ms := 1000 + f*100
		see(fmt.Sprintf("A%d", f), direct(ms, "front", "RK105AB", c, box(100+20*f, 400, 120)))
		if f >= 2 {
			see(fmt.Sprintf("B%d", f), direct(ms, "front", "BA302OZ", 0.9, box(900-20*f, 420, 110)))
		}
		if f == 4 {
			see("ghost", direct(ms, "front", "XY999ZZ", 0.95, box(500, 100, 60)))
		}
		if f >= 5 {
			see(fmt.Sprintf("weak%d", f), direct(ms, "front", "PD722BF", 0.45, box(100, 900, 100)))
		}
	}
	// A's vote is the best confidence of each winning character: 0.5 at
	// its third frame (below 0.6), 0.8 at its fourth. B is strong from its
	// first frame, so its third one confirms it.
	if len(confirmed) != 2 {
		t.Fatalf("confirmed passes %v, want A and B once each", confirmed)
	}
	var a, b Pass
	for key, where := range confirmed {
		if len(where) != 1 {
			t.Errorf("pass %d confirmed %d times: %v", key, len(where), where)
		}
		switch where[0] {
		case "A3":
			a = provisional[key]
		case "B4":
			b = provisional[key]
		default:
			t.Errorf("pass %d confirmed at %s, want A at A3 and B at B4", key, where[0])
		}
	}
	if a.Key == 0 || b.Key == 0 || a.Key == b.Key {
		t.Fatalf("keys A %d, B %d: want two distinct non-zero keys", a.Key, b.Key)
	}
	if a.Final || a.Record.Plate != "RK105AB" || a.Record.Frames != 4 || !a.First.Equal(at(1000)) || a.Record.Confidence < 0.6 {
		t.Errorf("A's provisional record: final %v %s/%d first %v confidence %v; want RK105AB/4 from %v",
			a.Final, a.Record.Plate, a.Record.Frames, a.First, a.Record.Confidence, at(1000))
	}
	if !b.First.Equal(at(1200)) || b.Record.Frames != 3 {
		t.Errorf("B's provisional record: first %v, %d frames; want %v and 3", b.First, b.Record.Frames, at(1200))
	}

	ended := tr.Tick(at(1900 + 1000))
	if got := texts(records(ended)); got != "RK105AB/10 BA302OZ/8" {
		t.Fatalf("ended %q, want A and B (the ghost and the weak track without a record)", got)
	}
	for i, want := range []Pass{a, b} {
		p := ended[i]
		if p.Key != want.Key || !p.Final || !p.Confirmed || !p.First.Equal(want.First) {
			t.Errorf("final record %d: key %d final %v confirmed %v first %v; want key %d, final, confirmed, first %v",
				i, p.Key, p.Final, p.Confirmed, p.First, want.Key, want.First)
		}
	}
	if tr.Dropped() != 2 || tr.Open() != 0 {
		t.Errorf("dropped %d, open %d; want the ghost and the weak track dropped, none open", tr.Dropped(), tr.Open())
	}

	// A again: a new pass, a new key.
	var again *Pass
	for f := range 3 {
		if p := observe(t, tr, direct(10000+f*100, "front", "RK105AB", 0.9, box(100, 400, 120))); p != nil {
			again = p
		}
	}
	if again == nil || again.Key == a.Key || again.Key == b.Key {
		t.Fatalf("A's second pass: %+v, want confirmed with a new key", again)
	}
}

// TestConfirmedPassKeepsItsRecord: a pass confirmed before the minimum
// confidence was raised still ends with its record (its provisional one was
// handed out), while a pass never confirmed is judged at its end by the
// settings then: dropped under the raised minimum, kept, unconfirmed, under
// a lowered one.
func TestConfirmedPassKeepsItsRecord(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second, MinFrames: 2, MinConfidence: 0.6})
	for f := range 2 {
		if p := observe(t, tr, direct(f*100, "c", "AAA111", 0.7, box(100, 100, 100))); (p != nil) != (f == 1) {
			t.Fatalf("frame %d: confirmed %v", f, p != nil)
		}
	}
	tr.SetMinConfidence(0.9)
	if p := observe(t, tr, direct(0, "c", "BBB222", 0.8, box(600, 600, 100))); p != nil {
		t.Fatal("a one-frame track was confirmed")
	}
	if p := observe(t, tr, direct(100, "c", "BBB222", 0.8, box(610, 600, 100))); p != nil {
		t.Fatal("a track below the raised minimum was confirmed")
	}
	got := tr.Flush()
	if len(got) != 1 || got[0].Record.Plate != "AAA111" || !got[0].Confirmed {
		t.Fatalf("Flush: %s; want only the confirmed AAA111", texts(records(got)))
	}

	for f := range 2 {
		observe(t, tr, direct(5000+f*100, "c", "CCC333", 0.5, box(100, 100, 100)))
	}
	tr.SetMinConfidence(0.4)
	got = tr.Flush()
	if len(got) != 1 || got[0].Record.Plate != "CCC333" || got[0].Confirmed || !got[0].Final {
		t.Fatalf("Flush after lowering the minimum: %+v; want CCC333, final and not confirmed", got)
	}
}

// TestConfirmedPassWithdrawn: a pass confirmed by its first, sure frame,
// whose later frames each read another character at one place, ends with
// its record withdrawn: the vote over all its frames no longer meets the
// keep rules (that character's share of the votes is a quarter). A pass
// whose later frames agree ends kept; and one confirmed before the minimum
// confidence was raised is judged by the minimum it was confirmed under.
func TestConfirmedPassWithdrawn(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second, MinConfidence: 0.8, MinCharConfidence: 0.5})
	if p := observe(t, tr, direct(0, "c", "AB123CD", 0.95, box(100, 100, 120))); p == nil {
		t.Fatal("a sure first frame did not confirm its pass")
	}
	observe(t, tr, direct(0, "c", "XY789ZW", 0.95, box(700, 100, 120)))
	for f, text := range []string{"AB128CD", "AB12BCD", "AB126CD"} {
		ms := 100 * (f + 1)
		observe(t, tr, direct(ms, "c", text, 0.9, box(100+5*f, 100, 120)))
		observe(t, tr, direct(ms, "c", "XY789ZW", 0.9, box(700+5*f, 100, 120)))
	}
	got := tr.Flush()
	if len(got) != 2 {
		t.Fatalf("Flush: %s; want both passes' final records", texts(records(got)))
	}
	if p := got[0]; !p.Final || !p.Confirmed || !p.Withdrawn {
		t.Errorf("AB123CD's pass: final %v confirmed %v withdrawn %v (%s %.2f %v); want withdrawn",
			p.Final, p.Confirmed, p.Withdrawn, p.Record.Plate, p.Record.Confidence, p.Record.CharConfs)
	}
	if p := got[1]; p.Withdrawn || p.Record.Plate != "XY789ZW" {
		t.Errorf("XY789ZW's pass: %s withdrawn %v; want kept", p.Record.Plate, p.Withdrawn)
	}

	observe(t, tr, direct(5000, "c", "CCC333", 0.85, box(100, 100, 100)))
	tr.SetMinConfidence(0.9)
	got = tr.Flush()
	if len(got) != 1 || got[0].Withdrawn {
		t.Fatalf("Flush after raising the minimum: %+v; want CCC333 kept", got)
	}
}

// TestExpect: a plate read once is expected where it should be next, its
// last box moved on at its speed, MaxLooks times after each observation,
// until its pass is confirmed or its track times out; the most recently seen
// plate comes first. A reading that fits only a catch-all format (a sign,
// or a vanity plate), or one below ExpectConf, is not expected.
func TestExpect(t *testing.T) {
	tr := newTracker(t, Options{Timeout: time.Second, MinFrames: 3})
	if got := tr.Expect(at(0), 3); len(got) != 0 {
		t.Fatalf("no track: expected %v", got)
	}
	sign := direct(0, "c", "SALE50", 0.95, box(600, 100, 100))
	sign.Candidates[0].Layout = false
	observe(t, tr, sign)
	observe(t, tr, direct(0, "c", "OO1017", 0.85, box(600, 300, 100)))
	if got := tr.Expect(at(50), 3); len(got) != 0 {
		t.Errorf("a catch-all or weak reading is expected at %v", got)
	}
	observe(t, tr, direct(0, "c", "RK105AB", 0.9, box(100, 400, 120)))
	for i := range MaxLooks {
		if got := tr.Expect(at(100+10*i), 3); len(got) != 1 || got[0] != box(100, 400, 120) {
			t.Errorf("look %d after one frame: expected %v, want the box where it was (no speed yet)", i, got)
		}
	}
	if got := tr.Expect(at(150), 3); len(got) != 0 {
		t.Errorf("after %d looks: expected %v, want none until it is read again", MaxLooks, got)
	}
	// 50 px right per 100 ms: 500 px/s.
	observe(t, tr, direct(100, "c", "RK105AB", 0.9, box(150, 400, 120)))
	observe(t, tr, direct(150, "c", "PD722BF", 0.9, box(900, 600, 100)))
	if got, want := tr.Expect(at(300), 3), []image.Rectangle{box(900, 600, 100), box(250, 400, 120)}; !slices.Equal(got, want) {
		t.Errorf("expected %v, want %v (latest seen first, moved on at its speed)", got, want)
	}
	if got := tr.Expect(at(300), 1); len(got) != 1 || got[0] != box(900, 600, 100) {
		t.Errorf("at most one: expected %v, want the latest seen", got)
	}
	if p := observe(t, tr, direct(200, "c", "RK105AB", 0.9, box(200, 400, 120))); p == nil {
		t.Fatal("third frame did not confirm the pass")
	}
	observe(t, tr, direct(250, "c", "PD722BF", 0.9, box(900, 600, 100)))
	if got := tr.Expect(at(300), 3); len(got) != 1 || got[0] != box(900, 600, 100) {
		t.Errorf("after RK105AB's confirmation: expected %v, want PD722BF's box only", got)
	}
	if got := tr.Expect(at(1250), 3); len(got) != 0 {
		t.Errorf("after the timeout: expected %v", got)
	}
}
