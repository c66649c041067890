package alpr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/edge-agent/edge-agent/internal/alpr/platedet"
	"github.com/edge-agent/edge-agent/internal/alpr/platereader"
)

// Files are the networks the engine loads from the models folder, which
// `make models` fills from assets/models.
var Files = []string{platedet.File, platereader.File}

// ErrModelsMissing is wrapped by the error of Open when a model file is absent.
var ErrModelsMissing = errors.New("model files missing")

// modelPaths checks that every model file is in dir and returns the
// detector's and the reader's paths.
func modelPaths(dir string) (det, reader string, err error) {
	paths := make([]string, len(Files))
	for i, name := range Files {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("alpr.models_dir %q: %s not found; run 'make models': %w", dir, name, ErrModelsMissing)
		case err != nil:
			return "", "", fmt.Errorf("alpr.models_dir %q: %w", dir, err)
		case st.IsDir() || st.Size() == 0:
			return "", "", fmt.Errorf("alpr.models_dir %q: %s is not a model file; run 'make models'", dir, name)
		}
		paths[i] = p
	}
	return paths[0], paths[1], nil
}
