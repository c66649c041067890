package synth

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// scoreTruth is a 10 fps video of three passes, 20 frames each, with gaps.
func scoreTruth() *Truth {
	return &Truth{FPS: 10, Frames: 100, Passes: []Pass{
		{Index: 0, Plate: "AB123CD", Source: "a.jpg", FirstFrame: 5, LastFrame: 24},
		{Index: 1, Plate: "RK099AN", Source: "b.jpg", FirstFrame: 30, LastFrame: 49},
		{Index: 2, Plate: "GWAGEN", Source: "c.jpg", FirstFrame: 55, LastFrame: 74},
	}}
}

func at(frame int) time.Duration { return time.Duration(frame) * 100 * time.Millisecond }

func TestScore(t *testing.T) {
	cases := []struct {
		name     string
		reads    []StoredRead
		verdicts []string
		exact, folded, wrong, missed, split, clean,
		extra int
	}{
		{
			name:     "every pass once, exact",
			reads:    []StoredRead{{at(10), "AB123CD"}, {at(40), "RK099AN"}, {at(60), "GWAGEN"}},
			verdicts: []string{VerdictExact, VerdictExact, VerdictExact},
			exact:    3, folded: 3, clean: 3,
		},
		{
			name: "O for 0 is folded, a near text wrong, nothing missed",
			reads: []StoredRead{{at(10), "AB123CO"}, {at(40), "RKO99AN"}, {at(60), "GWAGEN"},
				{at(61), "GWAGEN"}},
			verdicts: []string{VerdictWrong, VerdictFolded, VerdictExact},
			exact:    1, folded: 2, wrong: 1, split: 1,
		},
		{
			name: "street text on a pass and in a gap is extra, a pass without a read is missed",
			// frame 27 is in the gap; PIZZA24 on pass 0 is far from AB123CD
			reads:    []StoredRead{{at(7), "PIZZA24"}, {at(27), "AB123CD"}, {at(45), "RK099AN"}},
			verdicts: []string{VerdictMissed, VerdictExact, VerdictMissed},
			exact:    1, folded: 1, missed: 2, clean: 1, extra: 2,
		},
		{
			name: "a split pass with one right read is right, not clean",
			reads: []StoredRead{{at(22), "AB12CD"}, {at(6), "AB123CD"}, {at(40), "RK099AN"},
				{at(70), "GWAGEN"}},
			verdicts: []string{VerdictExact, VerdictExact, VerdictExact},
			exact:    3, folded: 3, split: 1, clean: 2,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := Score(scoreTruth(), c.reads)
			got := []int{sc.Passes, sc.Exact, sc.Folded, sc.Wrong, sc.Missed, sc.Split, sc.Clean, len(sc.Extra)}
			want := []int{3, c.exact, c.folded, c.wrong, c.missed, c.split, c.clean, c.extra}
			if !slices.Equal(got, want) {
				t.Errorf("passes exact folded wrong missed split clean extra = %v, want %v", got, want)
			}
			for i, r := range sc.Result {
				if r.Verdict != c.verdicts[i] {
					t.Errorf("pass %d: verdict %s (reads %v), want %s", i, r.Verdict, r.Reads, c.verdicts[i])
				}
			}
		})
	}
}

func TestScoreCountsAPhotosOtherPlateApart(t *testing.T) {
	tr := scoreTruth()
	tr.Passes[0].Others = []string{"B121PHD"}
	// B121PHD on pass 0 is the photo's other plate, and so is a misread of it
	// (B12PHD); on pass 1 it is extra, as is other text on pass 0.
	sc := Score(tr, []StoredRead{{at(8), "B121PHD"}, {at(10), "AB123CD"}, {at(12), "B12PHD"}, {at(14), "PIZZA24"}, {at(40), "B121PHD"}})
	if sc.Others != 2 || len(sc.Extra) != 2 || sc.Exact != 1 || sc.Split != 0 {
		t.Errorf("others %d, extra %v, exact %d, split %d; want 2 others, extra PIZZA24 and B121PHD on pass 1, 1 exact, 0 split",
			sc.Others, sc.Extra, sc.Exact, sc.Split)
	}
	if e := sc.Extra; len(e) == 2 && (e[0].Plate != "PIZZA24" || e[1].Plate != "B121PHD" || e[1].Pass != &tr.Passes[1]) {
		t.Errorf("extra reads %+v, want PIZZA24 on pass 0 and B121PHD on pass 1", e)
	}
}

func TestOtherPlates(t *testing.T) {
	photos := []Photo{{Image: "a.jpg", Plate: "AB123CD"}, {Image: "b.jpg", Plate: "RK099AN"}, {Image: "a.jpg", Plate: "B121PHD"}, {Image: "a.jpg", Plate: "CJ07XYZ"}}
	for i, want := range []string{"B121PHD,CJ07XYZ", "", "AB123CD,CJ07XYZ", "AB123CD,B121PHD"} {
		if got := strings.Join(otherPlates(photos, i), ","); got != want {
			t.Errorf("otherPlates of row %d = %q, want %q", i, got, want)
		}
	}
}

func TestScoreSplitKeepsReadsInTimeOrder(t *testing.T) {
	sc := Score(scoreTruth(), []StoredRead{{at(22), "AB12CD"}, {at(6), "AB123CD"}})
	if got := strings.Join(sc.Result[0].Reads, ","); got != "AB123CD,AB12CD" {
		t.Errorf("reads of pass 0: %s, want AB123CD,AB12CD", got)
	}
}

func TestApplyErrata(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ERRATA.tsv")
	text := "image\tplate_text_upstream\tlikely_correct\tflagged_by\tnote\n" +
		"b.jpg\tRKO99AN\tRK099AN\tissue\tO for 0\n" +
		"a.jpg\tXX000XX\tAB123CD\tissue\tlabel of another version of the file\n" +
		"d.jpg\tOUN4297\t?\tissue\tO or Q: unresolved\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := scoreTruth()
	tr.Passes[1].Plate = "RKO99AN"
	tr.Passes = append(tr.Passes, Pass{Index: 3, Source: "d.jpg", Plate: "OUN4297"})
	n, err := tr.ApplyErrata(path)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || tr.Passes[1].Plate != "RK099AN" || tr.Passes[0].Plate != "AB123CD" {
		t.Errorf("fixed %d, plates %s %s: want 1 fixed, RK099AN, and AB123CD untouched (its upstream label differs)",
			n, tr.Passes[1].Plate, tr.Passes[0].Plate)
	}
	if last := tr.Passes[len(tr.Passes)-1].Plate; last != "OUN4297" {
		t.Errorf("an unresolved label (?) made the pass's plate %q; want the upstream OUN4297 kept", last)
	}
	if n, err := tr.ApplyErrata(filepath.Join(dir, "none.tsv")); n != 0 || err != nil {
		t.Errorf("missing errata: %d, %v; want 0, nil", n, err)
	}
	if err := os.WriteFile(path, []byte("header\nb.jpg RKO99AN RK099AN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ApplyErrata(path); err == nil || !strings.Contains(err.Error(), "line 2: want image, upstream label and corrected label separated by tabs") {
		t.Errorf("errata without tabs: %v", err)
	}
}
