package hotlist

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/edge-agent/edge-agent/internal/read"
)

// Plate lengths a listed plate may have once normalised: shorter text
// matches too much, longer is no plate of any region.
const (
	minPlateLen = 2
	maxPlateLen = 12
)

// LineError is one line of a hotlist file that was skipped, and why. It
// never holds the line's text: that is plate text.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// maxLine bounds one line of a hotlist file.
const maxLine = 64 << 10

// Parse reads a hotlist CSV: plate,label,priority per line, label and
// priority optional, an optional header line (plate,label,priority), lines
// starting with # are comments. Each line is parsed alone, so that a bad
// one (an unclosed quote included) is skipped and reported in skipped and
// the others are returned. err is set only when the input cannot be read.
func Parse(r io.Reader) (entries []Entry, skipped []LineError, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	seen := map[read.Plate]int{}
	line := 0
	first := true
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cr := csv.NewReader(strings.NewReader(text))
		cr.FieldsPerRecord = -1
		cr.TrimLeadingSpace = true
		rec, err := cr.Read()
		if err != nil {
			var pe *csv.ParseError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			skipped = append(skipped, LineError{line, "not CSV: " + msg})
			continue
		}
		if first {
			first = false
			if strings.EqualFold(strings.TrimSpace(rec[0]), "plate") {
				continue // the header
			}
		}
		e, msg := entry(rec, line)
		if msg != "" {
			skipped = append(skipped, LineError{line, msg})
			continue
		}
		if prev, ok := seen[e.Plate]; ok {
			skipped = append(skipped, LineError{line, fmt.Sprintf("repeats the plate of line %d", prev)})
			continue
		}
		seen[e.Plate] = line
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return entries, skipped, nil
}

// entry makes the entry of one record, or says what is wrong with it.
func entry(rec []string, line int) (Entry, string) {
	if len(rec) > 3 {
		return Entry{}, fmt.Sprintf("has %d fields, want plate,label,priority", len(rec))
	}
	plate := Normalize(rec[0])
	if n := len(plate); n < minPlateLen || n > maxPlateLen {
		return Entry{}, fmt.Sprintf("the plate has %d letters and digits, want %d to %d", n, minPlateLen, maxPlateLen)
	}
	e := Entry{Plate: read.Plate(plate), Priority: DefaultPriority, Line: line}
	if len(rec) > 1 {
		e.Label = strings.TrimSpace(rec[1])
	}
	if len(rec) > 2 {
		if p := strings.ToLower(strings.TrimSpace(rec[2])); p != "" {
			if !slices.Contains(Priorities, p) {
				return Entry{}, fmt.Sprintf("priority %q must be one of %s", p, strings.Join(Priorities, ", "))
			}
			e.Priority = p
		}
	}
	return e, ""
}
