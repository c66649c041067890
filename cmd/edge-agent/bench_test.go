package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGuessRegion(t *testing.T) {
	for dir, want := range map[string]string{
		"../shared/datasets/openalpr-br": "br",
		"/data/openalpr-eu/":             "eu",
		"eu_photos":                      "eu",
		"/tmp/library":                   "us", // "br" inside a word does not count
		"/srv/photos-us-1080p":           "us",
		"/srv/BR":                        "br",
	} {
		if got := guessRegion(dir, "us"); got != want {
			t.Errorf("guessRegion(%q) = %q, want %q", dir, got, want)
		}
	}
}

func TestBenchCmdErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "bench: --dataset DIR is required"},
		{[]string{"--dataset", "x", "extra"}, `bench: unexpected argument "extra"`},
		{[]string{"--dataset", t.TempDir(), "--set", "alpr.models_dir=" + t.TempDir()}, "plate-detector.onnx not found; run 'make models'"},
	} {
		err := benchCmd(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %q: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestBenchCmdOnDataset runs the command on the first photos of the shared
// BR set: TSV lines of the plates read in --out (at least one per photo,
// the first photo's first), the scores on stdout.
func TestBenchCmdOnDataset(t *testing.T) {
	models, _ := filepath.Abs(filepath.Join("..", "..", "models"))
	if _, err := os.Stat(filepath.Join(models, "plate-reader.onnx")); err != nil {
		t.Skipf("models not installed (%v); run 'make models'", err)
	}
	dataset := filepath.Join("..", "..", "..", "shared", "datasets", "openalpr-br")
	if _, err := os.Stat(filepath.Join(dataset, "manifest.tsv")); err != nil {
		t.Skipf("dataset not available (%v): it lives in ../shared/datasets beside the repository", err)
	}
	out := filepath.Join(t.TempDir(), "br.tsv")
	var stdout, stderr bytes.Buffer
	err := benchCmd(context.Background(), []string{"--dataset", dataset, "--out", out, "--limit", "4",
		"--set", "alpr.models_dir=" + models}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	photos := map[string]bool{}
	for _, l := range lines {
		if f := strings.Split(l, "\t"); len(f) == 8 {
			photos[f[0]] = true
		} else {
			t.Errorf("line %q: %d columns, want 8", l, len(f))
		}
	}
	if len(photos) != 4 || !strings.HasPrefix(lines[0], "AYO9034.jpg\t") {
		t.Errorf("TSV of %d photos, want 4 starting with AYO9034.jpg:\n%s", len(photos), data)
	}
	for _, want := range []string{"region br", "all      images 4", "holdout  images 1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestBenchOptionsAreTheAgents: the bench searches a photo with the
// settings the agent searches and keeps reads with, from the config and its
// --set overrides.
func TestBenchOptionsAreTheAgents(t *testing.T) {
	conf, err := loadConfig("", []string{"alpr.min_confidence=0.85", "alpr.min_chars=5", "alpr.detect_width=1280",
		"alpr.require_layout=false", "alpr.top_n=3", "alpr.workers=1", "alpr.models_dir=/m"})
	if err != nil {
		t.Fatal(err)
	}
	o := benchOptions(conf, "br", nil)
	if o.MinConfidence != 0.85 || o.MinChars != 5 || o.Tuning.DetectWidth != 1280 || !o.AllowFreeText ||
		o.TopN != 3 || o.Workers != 1 || o.ModelsDir != "/m" || o.Region != "br" {
		t.Errorf("bench options %+v do not carry the config's alpr settings", o)
	}
}
