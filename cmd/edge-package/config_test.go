package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/config"
)

const (
	shippedConfig = "../../configs/edge-agent.yaml"
	packagedSets  = "../../packaging/deb/config.sets"
)

// readSets reads packaging/deb/config.sets as deb.sh does.
func readSets(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(packagedSets)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sets []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			sets = append(sets, line)
		}
	}
	return sets
}

func TestPackagedConfigHoldsThePackagePaths(t *testing.T) {
	out := filepath.Join(t.TempDir(), "edge-agent.yaml")
	args := []string{"config", "--in", shippedConfig, "--out", out}
	for _, s := range readSets(t) {
		args = append(args, "--set", s)
	}
	if err := run(t.Context(), args, &strings.Builder{}, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(out, nil)
	if err != nil {
		t.Fatalf("the packaged config does not load:\n%v", err)
	}
	if c.ALPR.ModelsDir != "/usr/share/edge-agent/models" || c.Store.Path != "/var/lib/edge-agent/edge-agent.db" ||
		c.Uplink.OutboxPath != "/var/lib/edge-agent/outbox.db" || c.Improvement.QueuePath != "/var/lib/edge-agent/improvement.db" ||
		c.Improvement.AuditPath != "/var/lib/edge-agent/improvement-audit.log" {
		t.Errorf("packaged paths not set: models %q store %q outbox %q queue %q audit %q", c.ALPR.ModelsDir,
			c.Store.Path, c.Uplink.OutboxPath, c.Improvement.QueuePath, c.Improvement.AuditPath)
	}
	// Everything else is the shipped file's: written again, the two differ
	// only in the overridden lines and the package's header.
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(shippedConfig)
	if !strings.HasPrefix(string(got), configHeader) {
		t.Errorf("the packaged config does not start with its header:\n%.300s", got)
	}
	gotLines := strings.Split(strings.TrimPrefix(string(got), configHeader), "\n")
	wantLines := strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d lines, the shipped file has %d", len(gotLines), len(wantLines))
	}
	changed := 0
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			changed++
		}
	}
	if sets := len(readSets(t)); changed != sets {
		t.Errorf("%d lines differ from the shipped file, want one per override (%d)", changed, sets)
	}
}

func TestPackagedConfigRefusesRelativePaths(t *testing.T) {
	var sets []string
	for _, s := range readSets(t) {
		if !strings.HasPrefix(s, "store.path=") {
			sets = append(sets, s)
		}
	}
	err := writePackagedConfig(&strings.Builder{}, shippedConfig, append(sets, "uplink.ca_file=certs/ca.pem"))
	if err == nil || !strings.Contains(err.Error(), "path=data/edge-agent.db, ca_file=certs/ca.pem") {
		t.Fatalf("got %v, want the relative store.path and uplink.ca_file named", err)
	}
}

func TestPackagedConfigReportsBadOverrides(t *testing.T) {
	err := writePackagedConfig(&strings.Builder{}, shippedConfig, []string{"alpr.regoin=eu"})
	if err == nil || !strings.Contains(err.Error(), "unknown key 'alpr.regoin'") {
		t.Fatalf("got %v, want the config error naming the key", err)
	}
}
