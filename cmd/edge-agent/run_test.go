package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayCmdErrors(t *testing.T) {
	video := filepath.Join(t.TempDir(), "v.mp4")
	if err := os.WriteFile(video, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "replay needs at least one VIDEO file"},
		{[]string{"--clock-start", "yesterday", video}, `--clock-start "yesterday": must be an RFC 3339 time`},
		{[]string{"--clock-start", "1970-01-01T00:00:00Z", video}, `--clock-start "1970-01-01T00:00:00Z": must be between 2000 and 2100`},
		{[]string{"--clock-start", "2100-01-01T00:00:00Z", video}, `--clock-start "2100-01-01T00:00:00Z": must be between 2000 and 2100`},
		{[]string{"--pace", "fast", video}, `--pace "fast": must be max or realtime`},
	} {
		err := replayCmd(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("replay %q: %v, want %q", tc.args, err, tc.want)
		}
	}
}
