package bench

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Label is one annotated plate of an image.
type Label struct {
	Text string
	Box  image.Rectangle
}

// Manifest is a dataset's labels.
type Manifest struct {
	// Labels are the labelled plates by image file name; nil when the
	// folder has no manifest.
	Labels map[string][]Label
	// Crops: every image is one plate's crop (a manifest of image, state,
	// plate_text), whose box is the whole image.
	Crops bool
}

// minLabel is the least length of a label that names a plate: some crop
// sets mark unreadable plates with short strings ("0", "UNI").
const minLabel = 4

// ReadManifest reads a manifest.tsv: a header row, then either
// image<TAB>plate_text<TAB>x<TAB>y<TAB>w<TAB>h, one row per plate of a
// scene, or image<TAB>state<TAB>plate_text, one row per plate crop (labels
// under minLabel characters are left out). It returns no labels and no
// error when the file does not exist.
func ReadManifest(path string) (Manifest, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, nil
	}
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	m := Manifest{Labels: map[string][]Label{}}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if line == 1 {
			m.Crops = len(cols) == 3 && cols[1] == "state"
			continue
		}
		if m.Crops {
			if len(cols) != 3 {
				return Manifest{}, fmt.Errorf("%s:%d: %d columns, want 3 (image, state, plate_text)", path, line, len(cols))
			}
			if text := strings.ToUpper(cols[2]); len(text) >= minLabel {
				m.Labels[cols[0]] = append(m.Labels[cols[0]], Label{Text: text})
			}
			continue
		}
		if len(cols) != 6 {
			return Manifest{}, fmt.Errorf("%s:%d: %d columns, want 6 (image, plate_text, x, y, w, h)", path, line, len(cols))
		}
		var n [4]int
		for i, c := range cols[2:] {
			if n[i], err = strconv.Atoi(c); err != nil {
				return Manifest{}, fmt.Errorf("%s:%d: column %d: %q is not an integer", path, line, i+3, c)
			}
		}
		if n[2] <= 0 || n[3] <= 0 {
			return Manifest{}, fmt.Errorf("%s:%d: box size %dx%d is not positive", path, line, n[2], n[3])
		}
		m.Labels[cols[0]] = append(m.Labels[cols[0]], Label{
			Text: strings.ToUpper(cols[1]),
			Box:  image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3]),
		})
	}
	if err := sc.Err(); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
