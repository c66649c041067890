package alpr

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Model file names inside the models folder (written by scripts/models.sh).
const (
	DetFile  = "det.onnx"
	RecFile  = "rec.onnx"
	KeysFile = "keys.txt"
	// ManifestFile records the source, the patch and the hashes; its
	// first line ends with "rec_width N", the recogniser's input width.
	ManifestFile = "MANIFEST"
	// defaultRecWidth is the recogniser width when no manifest says.
	defaultRecWidth = 320
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

// recWidth reads the recogniser's input width from the manifest in dir:
// the number after "rec_width" on its first line; defaultRecWidth when the
// manifest is absent.
func recWidth(dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return defaultRecWidth, nil
	}
	if err != nil {
		return 0, fmt.Errorf("alpr.models_dir %q: %w", dir, err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(first)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "rec_width" {
			w, err := strconv.Atoi(f[i+1])
			if err != nil || w < 64 || w%8 != 0 {
				return 0, fmt.Errorf("alpr.models_dir %q: %s: bad rec_width %q; run 'make models'", dir, ManifestFile, f[i+1])
			}
			return w, nil
		}
	}
	return 0, fmt.Errorf("alpr.models_dir %q: %s has no rec_width; run 'make models'", dir, ManifestFile)
}
