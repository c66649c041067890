package capture

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/capture/internal/mattest"
	"github.com/edge-agent/edge-agent/internal/config"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in    string
		kind  sourceKind
		index int
		shown string
	}{
		{"/dev/video2", kindDevice, 2, "/dev/video2"},
		{"/dev/v4l/by-id/usb-cam-video-index0", kindDevice, -1, "/dev/v4l/by-id/usb-cam-video-index0"},
		{"1", kindDevice, 1, "1"},
		{"rtsp://admin:hunter2@10.0.0.5:554/stream1", kindNetwork, -1, "rtsp://admin:xxxxx@10.0.0.5:554/stream1"},
		{"https://cam.local/mjpg", kindNetwork, -1, "https://cam.local/mjpg"},
		{"file:///var/lib/videos/a.mp4", kindFile, -1, "/var/lib/videos/a.mp4"},
		{"videos/a b.mp4", kindFile, -1, "videos/a b.mp4"},
		{"C:clip.avi", kindFile, -1, "C:clip.avi"},
	} {
		src, err := parseSource(tc.in)
		if err != nil || src.kind != tc.kind || src.index != tc.index || src.shown != tc.shown {
			t.Errorf("parseSource(%q) = %+v, %v; want kind %d index %d shown %q", tc.in, src, err, tc.kind, tc.index, tc.shown)
		}
	}
}

func TestNewRejectsBadCameras(t *testing.T) {
	ok := testCamera("clip.avi")
	for _, tc := range []struct {
		mutate func(*config.Camera, *Options)
		want   string
	}{
		{func(c *config.Camera, _ *Options) { c.Name = "" }, `camera: 'name' is empty`},
		{func(c *config.Camera, _ *Options) { c.Source = " " }, `camera "front": 'source' is empty: give /dev/videoN, a device index, a stream URL or a video file`},
		{func(c *config.Camera, _ *Options) { c.Source = "-1" }, `camera "front": 'source' "-1": a device index must be 0 or more`},
		{func(c *config.Camera, _ *Options) { c.Source = "ftp://u:pw@host/x.avi" },
			`camera "front": 'source' "ftp://u:xxxxx@host/x.avi": unknown scheme "ftp" (use rtsp, rtsps, rtmp, http, https, udp, tcp, srt or a file path)`},
		{func(c *config.Camera, o *Options) { c.Source, o.Pace = "rtsp://u:pw@cam/1", PaceMax },
			`camera "front": pace max replays video files; rtsp://u:xxxxx@cam/1 is not one`},
		{func(_ *config.Camera, o *Options) { o.Pace = 7 }, `camera "front": unknown pace 7`},
		{func(c *config.Camera, _ *Options) { c.Queue = 0 }, `camera "front": 'queue' must be at least 1, got 0`},
		{func(c *config.Camera, _ *Options) { c.StallTimeout = 0 }, `camera "front": 'stall_timeout' must be positive, got 0s`},
		{func(c *config.Camera, _ *Options) { c.FPS = -1 }, `camera "front": 'fps' must be 0 or more, got -1`},
		{func(c *config.Camera, _ *Options) { c.Motion.Enabled, c.Motion.Width = true, 2 }, `camera "front": motion: 'width' must be at least 8 px, got 2`},
	} {
		cam, opts := ok, Options{}
		tc.mutate(&cam, &opts)
		_, err := New(cam, opts, slog.New(&logs{t: t}), prometheus.NewRegistry())
		if err == nil || err.Error() != tc.want {
			t.Errorf("New: %v\nwant %s", err, tc.want)
		}
	}
	mattest.Check(t)
}

func TestCamerasShareMetricFamiliesAndLeaveNoGaugeBehind(t *testing.T) {
	reg := prometheus.NewRegistry()
	log := slog.New(&logs{t: t})
	a, err := New(testCamera(stillVideo(t, 5)), Options{Pace: PaceMax}, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	b := testCamera("/dev/video3")
	b.Name = "rear"
	rear, err := New(b, Options{}, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	dup := b
	if _, err := New(dup, Options{}, log, reg); err == nil || !strings.Contains(err.Error(), `metrics of camera "rear"`) {
		t.Errorf("a second camera named rear: %v, want a clear error", err)
	}
	if _, err := runAll(t, a); err != nil {
		t.Fatal(err)
	}
	if err := rear.Close(); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP edge_frames_captured_total Frames read from the camera.
# TYPE edge_frames_captured_total counter
edge_frames_captured_total{camera="front"} 5
edge_frames_captured_total{camera="rear"} 0
# HELP edge_frames_skipped_total Frames left out of the analysis on purpose: reason=still (no motion), fps (over the camera's fps limit).
# TYPE edge_frames_skipped_total counter
edge_frames_skipped_total{camera="front",reason="fps"} 0
edge_frames_skipped_total{camera="front",reason="still"} 0
edge_frames_skipped_total{camera="rear",reason="fps"} 0
edge_frames_skipped_total{camera="rear",reason="still"} 0
# HELP edge_camera_up 1 while the camera delivers frames, 0 while it is opening, offline or ended.
# TYPE edge_camera_up gauge
edge_camera_up{camera="front"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"edge_frames_captured_total", "edge_frames_skipped_total", "edge_camera_up"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "edge_camera_last_frame_age_seconds"); err != nil || n != 1 {
		t.Errorf("%d age series (%v), want only front's after rear closed", n, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mattest.Check(t)
}

func TestCloseReleasesFramesNobodyTook(t *testing.T) {
	cam := testCamera(stillVideo(t, 20))
	cam.Queue = 8
	h := newHarness(t, cam, Options{Pace: PaceMax})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = h.Run(ctx) }()
	held := <-h.Frames() // the receiver still holds one when the camera closes
	deadline := time.Now().Add(10 * time.Second)
	for len(h.Frames()) < cam.Queue && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-h.Frames(); ok {
		t.Error("Frames is not closed after Close")
	}
	if held.Mat.Empty() || held.Mat.Cols() != vidW {
		t.Error("a frame the receiver holds was freed by Close")
	}
	held.Close()
	held.Close() // twice is harmless
	if err := h.Run(ctx); err == nil || err.Error() != `camera "front": Run after Close` {
		t.Errorf("Run after Close = %v", err)
	}
}

func TestCloseWithoutRunClosesFrames(t *testing.T) {
	h := newHarness(t, testCamera("/dev/video0"), Options{})
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-h.Frames(); ok {
		t.Error("Frames is not closed")
	}
}
