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

// ReadManifest reads a manifest.tsv: a header row, then
// image<TAB>plate_text<TAB>x<TAB>y<TAB>w<TAB>h, one row per plate. It returns
// the labels by image file name, or nil and no error when the file does
// not exist.
func ReadManifest(path string) (map[string][]Label, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	labels := map[string][]Label{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 6 {
			return nil, fmt.Errorf("%s:%d: %d columns, want 6 (image, plate_text, x, y, w, h)", path, line, len(cols))
		}
		var n [4]int
		for i, c := range cols[2:] {
			if n[i], err = strconv.Atoi(c); err != nil {
				return nil, fmt.Errorf("%s:%d: column %d: %q is not an integer", path, line, i+3, c)
			}
		}
		if n[2] <= 0 || n[3] <= 0 {
			return nil, fmt.Errorf("%s:%d: box size %dx%d is not positive", path, line, n[2], n[3])
		}
		labels[cols[0]] = append(labels[cols[0]], Label{
			Text: strings.ToUpper(cols[1]),
			Box:  image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3]),
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, nil
}
