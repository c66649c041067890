// Package dataset reads the labels of the plate photo sets: the shared
// datasets (../shared/datasets, see its README) and the sets the
// repository's tools make (edge-videogen stills, the synthetic US street
// set). Each folder has a manifest.tsv with one row per plate.
package dataset

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Row is one labelled plate.
type Row struct {
	Image string // the image's path inside the set's folder
	// Text is the plate's text, upper case; empty where the set boxes a
	// plate without reading it (dashcam-ro).
	Text string
	Box  image.Rectangle // the plate in the image, pixels; empty in a crop set
	Line int             // the row's line in the manifest, for errors
}

// Manifest is a set's labels.
type Manifest struct {
	Rows []Row // in the file's order
	// Crops: every image is one plate's crop (columns image, state,
	// plate_text), whose box is the whole image.
	Crops bool
}

// The columns of the two forms of manifest.
var (
	sceneColumns = []string{"image", "plate_text", "x", "y", "w", "h"}
	cropColumns  = []string{"image", "state", "plate_text"}
)

// Read reads a manifest.tsv: a header row naming the columns, tab-separated,
// in any order (others are ignored), then one row per plate. A scene set
// names image, plate_text, x, y, w and h (the plate's box; x and y may be
// a pixel past the image's edge, as some labellers drew them); a crop set
// names image, state and plate_text. An image is a path inside the set's
// folder. An error names the file, the line and the column at fault. A
// missing file is an error that errors.Is fs.ErrNotExist.
func Read(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	var m Manifest
	col := map[string]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		fields := strings.Split(text, "\t")
		if line == 1 {
			for i, name := range fields {
				col[strings.TrimSpace(name)] = i
			}
			if m.Crops, err = form(col); err != nil {
				return Manifest{}, fmt.Errorf("%s: %w", path, err)
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		r, err := row(fields, col, m.Crops)
		r.Line = line
		if err != nil {
			return Manifest{}, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		m.Rows = append(m.Rows, r)
	}
	if err := sc.Err(); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Rows) == 0 {
		return Manifest{}, fmt.Errorf("%s: no rows", path)
	}
	return m, nil
}

// form tells the form of manifest the header's columns make: a crop set or
// a scene set.
func form(col map[string]int) (crops bool, err error) {
	has := func(names []string) bool {
		return !slices.ContainsFunc(names, func(n string) bool { _, ok := col[n]; return !ok })
	}
	switch {
	case has(sceneColumns):
		return false, nil
	case has(cropColumns):
		return true, nil
	}
	return false, fmt.Errorf("the header names neither %s (a scene set) nor %s (a crop set)",
		strings.Join(sceneColumns, ", "), strings.Join(cropColumns, ", "))
}

// row reads one row's plate.
func row(fields []string, col map[string]int, crops bool) (Row, error) {
	get := func(name string) (string, error) {
		i := col[name]
		if i >= len(fields) {
			return "", fmt.Errorf("'%s' is missing", name)
		}
		return strings.TrimSpace(fields[i]), nil
	}
	var r Row
	var err error
	if r.Image, err = get("image"); err != nil {
		return r, err
	}
	if r.Text, err = get("plate_text"); err != nil {
		return r, err
	}
	r.Text = strings.ToUpper(r.Text)
	if !filepath.IsLocal(r.Image) || strings.Contains(r.Image, `\`) {
		return r, fmt.Errorf("'image' must be a path inside the set's folder, got %q", r.Image)
	}
	if crops {
		return r, nil
	}
	var v [4]int
	for i, name := range sceneColumns[2:] {
		s, err := get(name)
		if err != nil {
			return r, err
		}
		if v[i], err = strconv.Atoi(s); err != nil || (i >= 2 && v[i] <= 0) {
			return r, fmt.Errorf("'%s' must be an integer (w and h positive), got %q", name, s)
		}
	}
	r.Box = image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])
	return r, nil
}
