package synth

import (
	"strings"
	"testing"
	"time"
)

func TestParseReads(t *testing.T) {
	start := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	jsonl := `{"id":1,"captured_at":"2025-06-02T08:00:02.5Z","plate":"ABC123","crop":"AAAA"}

{"id":2,"captured_at":"2025-06-02T08:00:11Z","plate":"JKL45"}
`
	got, err := ParseReads(strings.NewReader(jsonl), start)
	if err != nil {
		t.Fatal(err)
	}
	want := []StoredRead{{At: 2500 * time.Millisecond, Plate: "ABC123"}, {At: 11 * time.Second, Plate: "JKL45"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, c := range []struct{ in, want string }{
		{`{"plate":"ABC123"}`, "reads line 1: no captured_at"},
		{"\n" + `{"captured_at":"2025-06-02T08:00:11Z"}`, "reads line 2: no plate"},
		{`{"plate":`, "reads line 1: "},
	} {
		if _, err := ParseReads(strings.NewReader(c.in), start); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseReads(%q): %v, want %q", c.in, err, c.want)
		}
	}
}
