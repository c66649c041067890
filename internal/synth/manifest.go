package synth

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/edge-agent/edge-agent/internal/dataset"
)

// Photo is one row of a dataset manifest: an image and the plate in it.
type Photo struct {
	Image string          // path inside the dataset folder
	Plate string          // plate text
	Box   image.Rectangle // plate box in the image, pixels
}

// ReadManifest reads the photos of the scene set in dir (its manifest.tsv,
// see [dataset.Read]); every plate must have its text, which the video's
// truth gives.
func ReadManifest(dir string) ([]Photo, error) {
	path := filepath.Join(dir, "manifest.tsv")
	m, err := dataset.Read(path)
	if err != nil {
		return nil, err
	}
	if m.Crops {
		return nil, fmt.Errorf("%s: a set of plate crops, no scenes", path)
	}
	out := make([]Photo, 0, len(m.Rows))
	for _, r := range m.Rows {
		if r.Text == "" {
			return nil, fmt.Errorf("%s line %d: 'plate_text' is empty (a photo video's truth needs the plate's text)", path, r.Line)
		}
		out = append(out, Photo{Image: r.Image, Plate: r.Text, Box: r.Box})
	}
	return out, nil
}

// otherPlates are the plates of the manifest's other rows of photo i's
// image: a photo with two labelled plates is two passes, each zooming
// towards its own plate with the other in view.
func otherPlates(photos []Photo, i int) []string {
	var others []string
	for j, q := range photos {
		if j != i && q.Image == photos[i].Image {
			others = append(others, q.Plate)
		}
	}
	return others
}
