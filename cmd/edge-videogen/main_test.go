package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesTheThreeFiles(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"synthetic", "--out", dir, "--height", "360", "--passes", "1", "--seed", "3"}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, name := range []string{"synthetic-360p.mp4", "synthetic-360p.truth.json", "synthetic-360p.nmea"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(stderr.String(), "video written") || strings.Contains(stderr.String(), "plate") {
		t.Errorf("log should report the files and never a plate:\n%s", stderr.String())
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"synthetic"}, "synthetic: --out DIR is required and no other arguments are taken"},
		{[]string{"synthetic", "--out", t.TempDir(), "--height", "1079"}, "'height' must be an even number in 360–2160, got 1079"},
		{[]string{"photos", "--out", "x.mp4"}, "photos: --dataset DIR and --out FILE.mp4 are required and no other arguments are taken"},
		{[]string{"photos", "--dataset", t.TempDir(), "--out", "x.mp4"}, "manifest.tsv: no such file or directory"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
}
