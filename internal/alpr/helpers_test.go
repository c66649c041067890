package alpr

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/cmalloc"
)

// TestMain sets the C allocator as the agent does, so that the tests and
// benchmarks run the search as the agent runs it: under the agent's
// settings a large buffer made for every frame costs far more than under
// glibc's defaults.
func TestMain(m *testing.M) {
	cmalloc.Tune()
	os.Exit(m.Run())
}

// modelsDir returns the repository's models folder, skipping the test when
// the models have not been installed.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "models")
	if _, _, err := modelPaths(dir); errors.Is(err, ErrModelsMissing) {
		t.Skipf("models not installed (%v); run 'make models'", err)
	}
	return dir
}

// openEngine opens an engine with opts, the repository's models and a
// private registry, closed when the test ends.
func openEngine(t testing.TB, opts Options) (*Engine, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.ModelsDir, opts.Metrics = modelsDir(t), reg
	if opts.Region == "" {
		opts.Region = "us"
	}
	e, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e, reg
}
