package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

func TestRunWritesTheThreeFiles(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"synthetic", "--out", dir, "--height", "360", "--passes", "1", "--seed", "3"}, &bytes.Buffer{}, &stderr); err != nil {
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
		{[]string{"stills", "--out", t.TempDir()}, "stills: --truth FILE and --out DIR are required and no other arguments are taken"},
		{[]string{"stills", "--truth", "missing.truth.json", "--out", t.TempDir()}, "missing.truth.json"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
}

func TestScoreCommand(t *testing.T) {
	dir := t.TempDir()
	truth := &synth.Truth{Version: synth.TruthVersion, Generator: "photos", Video: "v.mp4", Width: 640, Height: 360,
		FPS: 10, Frames: 60, Start: synth.DefaultStart, Passes: []synth.Pass{
			{Index: 0, Plate: "RKO99AN", Source: "a.jpg", Motion: synth.MotionPhoto, FirstFrame: 5, LastFrame: 24},
			{Index: 1, Plate: "AB123CD", Source: "b.jpg", Motion: synth.MotionPhoto, FirstFrame: 30, LastFrame: 49},
		}}
	truthPath := filepath.Join(dir, "v.truth.json")
	if err := truth.WriteFile(truthPath); err != nil {
		t.Fatal(err)
	}
	errata := filepath.Join(dir, "ERRATA.tsv")
	must(t, os.WriteFile(errata, []byte("image\tupstream\tcorrect\nz.jpg\tX\tY\na.jpg\tRKO99AN\tRK099AN\n"), 0o644))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	line := func(frame int, plate string) string {
		return fmt.Sprintf(`{"id":1,"captured_at":%q,"plate":%q}`+"\n", clock.Add(time.Duration(frame)*100*time.Millisecond).Format(time.RFC3339Nano), plate)
	}
	reads := filepath.Join(dir, "reads.jsonl")
	must(t, os.WriteFile(reads, []byte(line(10, "RK099AN")+line(27, "SALE50")+line(40, "AB123CO")), 0o644))

	var out bytes.Buffer
	args := []string{"score", "--truth", truthPath, "--reads", reads, "--holdout", "2", "--errata", errata, "--clock-start", clock.Format(time.RFC3339), "--details"}
	if err := run(context.Background(), args, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want := "passes 2  exact 1 (50.0%)  folded 1 (50.0%)  wrong 1  missed 0  split 0  clean 1 (50.0%)  extra 1  others 0  reads 3  labels fixed by errata 1\n" +
		"tuning   passes 1  exact 0 (0.0%)  folded 0 (0.0%)\n" +
		"holdout  passes 1  exact 1 (100.0%)  folded 1 (100.0%)\n" +
		"pass 1\tb.jpg\tAB123CD\twrong\twidth 0 px\treads AB123CO\n" +
		"extra\tframe 27\tSALE50\ton gap\n"
	if out.String() != want {
		t.Errorf("score output:\n%s\nwant:\n%s", out.String(), want)
	}
	// Without --clock-start the truth's start is frame 0: every read is
	// then far outside the video and extra.
	out.Reset()
	if err := run(context.Background(), args[:len(args)-3], &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "passes 2  exact 0 (0.0%)  folded 0 (0.0%)  wrong 0  missed 2  split 0  clean 0 (0.0%)  extra 3") {
		t.Errorf("score against the truth's own clock: %s", out.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"score", "--truth", truthPath}, "score: --truth FILE and --reads FILE are required"},
		{[]string{"score", "--truth", truthPath, "--reads", filepath.Join(dir, "none.jsonl")}, "score: --reads: open"},
		{[]string{"score", "--truth", truthPath, "--reads", reads, "--errata", filepath.Join(dir, "none.tsv")}, "score: --errata: stat"},
		{[]string{"score", "--truth", truthPath, "--reads", reads, "--clock-start", "yesterday"}, `score: --clock-start "yesterday": must be an RFC 3339 time`},
		{[]string{"score", "--truth", truthPath, "--reads", errata}, "line 1: invalid character"},
	} {
		err := run(context.Background(), c.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args[1:], err, c.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
