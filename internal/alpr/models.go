package alpr

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Model file names inside the models folder (written by scripts/models.sh).
const (
	DetFile  = "det.onnx"
	RecFile  = "rec.onnx"
	KeysFile = "keys.txt"
)

// ErrModelsMissing is wrapped by the error of Open when a model file is absent.
var ErrModelsMissing = errors.New("model files missing")

// modelPaths checks that every model file is in dir and returns their paths.
func modelPaths(dir string) (det, rec, keys string, err error) {
	paths := make([]string, 3)
	for i, name := range []string{DetFile, RecFile, KeysFile} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", "", "", fmt.Errorf("alpr.models_dir %q: %s not found; run 'make models': %w", dir, name, ErrModelsMissing)
		case err != nil:
			return "", "", "", fmt.Errorf("alpr.models_dir %q: %w", dir, err)
		case st.IsDir() || st.Size() == 0:
			return "", "", "", fmt.Errorf("alpr.models_dir %q: %s is not a model file; run 'make models'", dir, name)
		}
		paths[i] = p
	}
	return paths[0], paths[1], paths[2], nil
}

// readKeys reads the recogniser's dictionary, one class per line.
func readKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		keys = append(keys, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// LoadAlphabet reads the key file in dir and maps it onto the plate alphabet.
func LoadAlphabet(dir string) (*Alphabet, error) {
	keys, err := readKeys(filepath.Join(dir, KeysFile))
	if err != nil {
		return nil, fmt.Errorf("alpr.models_dir %q: %w", dir, err)
	}
	return NewAlphabet(keys)
}
