package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
	"github.com/edge-agent/edge-agent/internal/synth"
)

// replaySetup generates a 720p synthetic video of passes and returns it with
// a config whose files all live in a temporary folder. Without the plate
// models it fails the test when need is true, and skips it otherwise.
func replaySetup(t *testing.T, passes int, seed int64, need bool, log *slog.Logger) (*synth.Result, *config.Conf) {
	t.Helper()
	models, _ := filepath.Abs("../../models")
	if _, err := os.Stat(filepath.Join(models, "MANIFEST")); err != nil {
		if need {
			t.Fatalf("no plate models in %s: run `make models` first (%v)", models, err)
		}
		t.Skipf("no plate models in %s: run `make models`", models)
	}
	dir := t.TempDir()
	v, err := synth.Synthetic(context.Background(), dir, synth.SyntheticOptions{Height: 720, Passes: passes, Seed: seed}, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.ALPR.ModelsDir = models
	cfg.Metrics.Listen = ""
	cfg.API.Listen = "127.0.0.1:0" // a free port: test binaries run side by side
	cfg.Store.Path = filepath.Join(dir, "reads.db")
	cfg.Improvement.QueuePath = filepath.Join(dir, "improvement.db")
	cfg.Improvement.AuditPath = filepath.Join(dir, "audit.log")
	cfg.Uplink.OutboxPath = filepath.Join(dir, "outbox.db")
	return v, cfg
}

// storedTexts lists the plate texts of the reads in the store at path.
func storedTexts(t *testing.T, path string, log *slog.Logger) []string {
	t.Helper()
	st, err := store.OpenReadOnly(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var texts []string
	if err := st.Query(context.Background(), time.Time{}, func(r read.Record) error {
		texts = append(texts, string(r.Plate))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return texts
}
