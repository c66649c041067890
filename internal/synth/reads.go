package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReadLine is the part of a stored read that scoring needs, from one line
// of `edge-agent reads --format jsonl`.
type ReadLine struct {
	CapturedAt time.Time `json:"captured_at"`
	Plate      string    `json:"plate"`
}

// ParseReads reads the output of `edge-agent reads --format jsonl`, one
// read per line (blank lines skipped). Every read must have a capture
// time; an error names the line.
func ParseReads(r io.Reader) ([]ReadLine, error) {
	var out []ReadLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a line carries the crop, and maybe the frame
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rd ReadLine
		if err := json.Unmarshal(sc.Bytes(), &rd); err != nil {
			return nil, fmt.Errorf("reads line %d: %w", n, err)
		}
		if rd.CapturedAt.IsZero() {
			return nil, fmt.Errorf("reads line %d: no captured_at", n)
		}
		out = append(out, rd)
	}
	return out, sc.Err()
}
