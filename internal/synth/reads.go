package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// readLine is the part of a stored read that scoring needs, from one line
// of `edge-agent reads --format jsonl`.
type readLine struct {
	CapturedAt time.Time `json:"captured_at"`
	Plate      string    `json:"plate"`
}

// ParseReads reads the output of `edge-agent reads --format jsonl`, one
// read per line (blank lines skipped), as the reads Score takes: their
// capture times from start, the time of a replay's first frame. Every read
// must have a capture time and a plate; an error names the line.
func ParseReads(r io.Reader, start time.Time) ([]StoredRead, error) {
	var out []StoredRead
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a line carries the crop, and maybe the frame
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rd readLine
		if err := json.Unmarshal(sc.Bytes(), &rd); err != nil {
			return nil, fmt.Errorf("reads line %d: %w", n, err)
		}
		if rd.CapturedAt.IsZero() {
			return nil, fmt.Errorf("reads line %d: no captured_at", n)
		}
		if rd.Plate == "" {
			return nil, fmt.Errorf("reads line %d: no plate", n)
		}
		out = append(out, StoredRead{At: rd.CapturedAt.Sub(start), Plate: rd.Plate})
	}
	return out, sc.Err()
}
