package agent

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/obs"
)

// A stage that cannot start is an error naming its config key; the stages
// opened before it are closed (this used to panic on the nil result).
func TestNewReportsMissingModels(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.ALPR.ModelsDir = filepath.Join(dir, "no-models")
	cfg.Store.Path = filepath.Join(dir, "reads.db")
	cfg.Improvement.QueuePath = filepath.Join(dir, "improvement.db")
	cfg.Improvement.AuditPath = filepath.Join(dir, "audit.log")
	cfg.Uplink.OutboxPath = filepath.Join(dir, "outbox.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := New(cfg, Options{Pace: capture.PaceLive}, log, obs.NewRegistry())
	if err == nil || !strings.Contains(err.Error(), `alpr.models_dir "`+cfg.ALPR.ModelsDir+`": plate-detector.onnx not found; run 'make models'`) {
		t.Fatalf("New with no models: %v", err)
	}
	// The stages it had opened were closed: a second New gets as far as the
	// models again (an outbox left open would refuse it as in use).
	if _, err := New(cfg, Options{Pace: capture.PaceLive}, log, obs.NewRegistry()); err == nil || !strings.Contains(err.Error(), "plate-detector.onnx not found") {
		t.Fatalf("second New: %v", err)
	}
}
