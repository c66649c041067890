package bench

import (
	"errors"
	"image"
	"io/fs"

	"github.com/edge-agent/edge-agent/internal/dataset"
)

// Label is one annotated plate of an image.
type Label struct {
	Text string
	Box  image.Rectangle
}

// Manifest is a dataset's labels.
type Manifest struct {
	// Labels are the labelled plates by image path; nil when the folder
	// has no manifest.
	Labels map[string][]Label
	// Crops: every image is one plate's crop, whose box is the whole image.
	Crops bool
}

// minLabel is the least length of a label that names a plate: some crop
// sets mark unreadable plates with short strings ("0", "UNI").
const minLabel = 4

// ReadManifest reads a set's manifest.tsv (see [dataset.Read]); the labels
// of a crop set under minLabel characters are left out. It returns no
// labels and no error when the file does not exist.
func ReadManifest(path string) (Manifest, error) {
	m, err := dataset.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, nil
	}
	if err != nil {
		return Manifest{}, err
	}
	out := Manifest{Labels: map[string][]Label{}, Crops: m.Crops}
	for _, r := range m.Rows {
		if m.Crops && len(r.Text) < minLabel {
			continue
		}
		out.Labels[r.Image] = append(out.Labels[r.Image], Label{Text: r.Text, Box: r.Box})
	}
	return out, nil
}
