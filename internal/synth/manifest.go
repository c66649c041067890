package synth

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Photo is one row of a dataset manifest: an image and the plate in it.
type Photo struct {
	Image string          // file name inside the dataset folder
	Plate string          // plate text
	Box   image.Rectangle // plate box in the image, pixels
}

// ReadManifest reads dir/manifest.tsv: a header row naming the columns image,
// plate_text, x, y, w and h (in any order; other columns are ignored), then
// one row per plate, tab-separated.
func ReadManifest(dir string) ([]Photo, error) {
	path := filepath.Join(dir, "manifest.tsv")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := []string{"image", "plate_text", "x", "y", "w", "h"}
	col := map[string]int{}
	var out []Photo
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if line == 1 {
			for i, name := range fields {
				col[strings.TrimSpace(name)] = i
			}
			for _, w := range want {
				if _, ok := col[w]; !ok {
					return nil, fmt.Errorf("%s: the header has no %q column (want %s)", path, w, strings.Join(want, ", "))
				}
			}
			continue
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		p, err := manifestRow(fields, col)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return out, nil
}

func manifestRow(fields []string, col map[string]int) (Photo, error) {
	get := func(name string) (string, error) {
		i := col[name]
		if i >= len(fields) {
			return "", fmt.Errorf("'%s' is missing", name)
		}
		return strings.TrimSpace(fields[i]), nil
	}
	var p Photo
	var err error
	if p.Image, err = get("image"); err != nil {
		return p, err
	}
	if p.Plate, err = get("plate_text"); err != nil {
		return p, err
	}
	if p.Image == "" || p.Plate == "" || strings.ContainsAny(p.Image, `/\`) {
		return p, fmt.Errorf("'image' must be a file name and 'plate_text' non-empty, got %q and %q", p.Image, p.Plate)
	}
	var v [4]int
	for i, name := range []string{"x", "y", "w", "h"} {
		s, err := get(name)
		if err != nil {
			return p, err
		}
		// x and y may be negative: labellers drew some boxes a pixel past
		// the image's edge (openalpr-br's PJT2905); the box is clipped to
		// the image when the photo is read.
		if v[i], err = strconv.Atoi(s); err != nil || (i >= 2 && v[i] <= 0) {
			return p, fmt.Errorf("'%s' must be an integer (w and h positive), got %q", name, s)
		}
	}
	p.Box = image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])
	return p, nil
}
