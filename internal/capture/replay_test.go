package capture

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

var clockStart = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

func TestReplayMaxDeliversEveryFrameInOrderWithVideoTimes(t *testing.T) {
	path := stillVideo(t, 50)
	cam := testCamera(path)
	cam.Queue = 1 // the consumer is slower than the decoder: capture must wait, not drop
	h := newHarness(t, cam, Options{Pace: PaceMax, ClockStart: clockStart})

	frames, err := runAll(t, h.Camera)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !slices.Equal(seqs(frames), span(0, 50)) {
		t.Fatalf("frames %v, want 0..49 in order", seqs(frames))
	}
	for i, f := range frames {
		pos := time.Duration(i) * frameDur
		if f.Pos != pos || f.Mono != pos || !f.Wall.Equal(clockStart.Add(pos)) {
			t.Fatalf("frame %d: pos %v mono %v wall %v, want pos=mono=%v wall %v", i, f.Pos, f.Mono, f.Wall, pos, clockStart.Add(pos))
		}
		if f.Size != (image2(vidW, vidH)) {
			t.Fatalf("frame %d is %v, want %dx%d", i, f.Size, vidW, vidH)
		}
	}
	want := `
# HELP edge_frames_captured_total Frames read from the camera.
# TYPE edge_frames_captured_total counter
edge_frames_captured_total{camera="front"} 50
# HELP edge_frames_dropped_total Frames dropped because the next stage was busy, by stage.
# TYPE edge_frames_dropped_total counter
edge_frames_dropped_total{camera="front",stage="capture"} 0
# HELP edge_camera_up 1 while the camera delivers frames, 0 while it is opening, offline or ended.
# TYPE edge_camera_up gauge
edge_camera_up{camera="front"} 0
# HELP edge_camera_reconnects_total Times the camera was reopened after a failure or a stall.
# TYPE edge_camera_reconnects_total counter
edge_camera_reconnects_total{camera="front"} 0
`
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(want),
		"edge_frames_captured_total", "edge_frames_dropped_total", "edge_camera_up", "edge_camera_reconnects_total"); err != nil {
		t.Error(err)
	}
	if got := h.logs.find("video ended"); len(got) != 1 {
		t.Errorf("%d 'video ended' logs, want 1", len(got))
	}
}

func TestReplayRealtimeKeepsTheVideoRate(t *testing.T) {
	path := stillVideo(t, 30)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testCamera(path), Options{Pace: PaceRealtime, ClockStart: clockStart})
		start := time.Now()
		frames, err := runAll(t, h.Camera)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !slices.Equal(seqs(frames), span(0, 30)) {
			t.Fatalf("frames %v, want 0..29", seqs(frames))
		}
		for i, f := range frames {
			if due := time.Duration(i) * frameDur; f.At.Sub(start) != due {
				t.Errorf("frame %d arrived at %v, want at its position %v", i, f.At.Sub(start), due)
			}
		}
	})
}

func TestReplayRealtimeDropsWhatTheAnalysisCannotTake(t *testing.T) {
	path := stillVideo(t, 30)
	synctest.Test(t, func(t *testing.T) {
		cam := testCamera(path)
		cam.Queue = 2
		h := newHarness(t, cam, Options{Pace: PaceRealtime, ClockStart: clockStart})
		start := time.Now()
		// The analysis is busy for the whole video: only the queue gets in.
		if err := h.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if took := time.Since(start); took != 29*frameDur {
			t.Errorf("the replay took %v, want the video's length %v", took, 29*frameDur)
		}
		var frames []got
		for f := range h.Frames() {
			frames = append(frames, receive(f))
		}
		if !slices.Equal(seqs(frames), []int64{0, 1}) {
			t.Errorf("received %v, want the first two frames", seqs(frames))
		}
		if n := testutil.ToFloat64(h.m.dropped); n != 28 {
			t.Errorf("edge_frames_dropped_total{stage=capture} = %v, want 28", n)
		}
		if n := testutil.ToFloat64(h.m.captured); n != 30 {
			t.Errorf("edge_frames_captured_total = %v, want 30", n)
		}
		// One warning at the first drop, the rest summed up at the end: the
		// 28 drops within 10 s do not make 28 log lines.
		warns := h.logs.find("analysis is not keeping up; frames dropped")
		var counts []int64
		for _, w := range warns {
			counts = append(counts, attr(w, "dropped").Int64())
		}
		if !slices.Equal(counts, []int64{1, 27}) {
			t.Errorf("drop warnings with counts %v, want [1 27]", counts)
		}
	})
}

func TestReplayFPSLimitSkipsFramesByVideoTime(t *testing.T) {
	cam := testCamera(stillVideo(t, 50))
	cam.FPS = 5 // every fifth frame of a 25 fps video
	h := newHarness(t, cam, Options{Pace: PaceMax, ClockStart: clockStart})
	frames, err := runAll(t, h.Camera)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}; !slices.Equal(seqs(frames), want) {
		t.Errorf("frames %v, want %v", seqs(frames), want)
	}
	if n := testutil.ToFloat64(h.m.skippedFPS); n != 40 {
		t.Errorf("edge_frames_skipped_total{reason=fps} = %v, want 40", n)
	}
	if n := testutil.ToFloat64(h.m.dropped); n != 0 {
		t.Errorf("frames over the fps limit counted as dropped: %v", n)
	}
}

func TestReplayTruncatedVideoKeepsEarlierFramesAndFails(t *testing.T) {
	dir := t.TempDir()
	full := writeVideo(t, filepath.Join(dir, "full.avi"), 60, nil)
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.avi")
	if err := os.WriteFile(cut, data[:len(data)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, testCamera(cut), Options{Pace: PaceMax, ClockStart: clockStart})
	frames, err := runAll(t, h.Camera)
	n := int64(len(frames))
	if n == 0 || n >= 60 {
		t.Fatalf("%d frames from a video cut at 60%%, want some but not all", n)
	}
	if !slices.Equal(seqs(frames), span(0, n)) {
		t.Errorf("frames %v, want 0..%d", seqs(frames), n-1)
	}
	want := `camera "front": video ended after ` + itoa(n) + ` of 60 frames: the file is truncated or corrupt`
	if err == nil || err.Error() != want {
		t.Errorf("Run = %v, want %q", err, want)
	}
}

func TestReplayCorruptVideoFailsClearly(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(writeVideo(t, filepath.Join(dir, "full.avi"), 60, nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data)/2+len(data)/10; i++ { // a tenth of the file, several frames
		data[i] = byte(i * 7)
	}
	bad := filepath.Join(dir, "bad.avi")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, testCamera(bad), Options{Pace: PaceMax})
	frames, err := runAll(t, h.Camera)
	if len(frames) < 25 {
		t.Errorf("only %d frames before the damage half-way, want the first half", len(frames))
	}
	if err == nil || !strings.Contains(err.Error(), "of 60 frames: the file is truncated or corrupt") {
		t.Errorf("Run = %v, want an error saying the file is corrupt", err)
	}
}

func TestReplayOfWhatIsNotAVideoFailsClearly(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "notes.avi")
	if err := os.WriteFile(junk, []byte("this is not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ source, want string }{
		{junk, `camera "front": cannot open video file ` + junk + ` with video-capture-ffmpeg: not a readable video or the backend failed`},
		{filepath.Join(dir, "missing.avi"), `camera "front": video file ` + filepath.Join(dir, "missing.avi") + ` does not exist`},
		{dir, `camera "front": video file ` + dir + ` is a directory`},
	} {
		h := newHarness(t, testCamera(tc.source), Options{Pace: PaceMax})
		frames, err := runAll(t, h.Camera)
		if len(frames) != 0 || err == nil || err.Error() != tc.want {
			t.Errorf("source %s: %d frames, error %v; want none and %q", tc.source, len(frames), err, tc.want)
		}
		if hl := h.Health(); hl.Up || hl.Err == nil {
			t.Errorf("source %s: health %+v, want down with the error", tc.source, hl)
		}
	}
}
