package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTruthRoundTripAndLookups(t *testing.T) {
	p, err := makePlan(1280, 720, 30, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	tr := p.truth(3)
	tr.Video = "v.mp4"
	path := filepath.Join(t.TempDir(), "v.truth.json")
	if err := tr.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tr.Marshal()
	b, _ := got.Marshal()
	if string(a) != string(b) {
		t.Fatal("truth changed through a write and a load")
	}
	for _, ps := range got.Passes {
		mid := ps.MidFrame()
		if got.PassAt(mid) == nil || got.PassAt(mid).Plate != ps.Plate {
			t.Errorf("pass %d: PassAt(mid frame %d) does not find it", ps.Index, mid)
		}
		if _, ok := ps.BoxAt(mid); !ok {
			t.Errorf("pass %d: no box at its mid frame %d", ps.Index, mid)
		}
		if got.PassAt(ps.FirstFrame-1) != nil {
			t.Errorf("pass %d: frame %d before it is not a gap", ps.Index, ps.FirstFrame-1)
		}
	}
}

func TestLoadTruthRejectsBadFiles(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"version", `{"version":2,"width":1,"height":1,"fps":1,"frames":1}`, "'version' is 2, this reader knows 1"},
		{"unknown key", `{"version":1,"colour":1}`, `unknown field "colour"`},
		{"size", `{"version":1,"width":0,"height":1,"fps":1,"frames":1}`, "'width', 'height', 'fps' and 'frames' must be > 0"},
		{"overlap", `{"version":1,"width":1,"height":1,"fps":1,"frames":100,"passes":[{"first_frame":5,"last_frame":9},{"first_frame":9,"last_frame":12}]}`,
			"'passes[1]' spans frames 9–12, which overlap or leave the video"},
		{"beyond end", `{"version":1,"width":1,"height":1,"fps":1,"frames":10,"passes":[{"first_frame":5,"last_frame":10}]}`,
			"'passes[0]' spans frames 5–10, which overlap or leave the video"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.json")
			if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadTruth(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}
