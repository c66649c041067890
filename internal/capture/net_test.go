package capture

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// mjpegServer serves a looped test video as an HTTP MJPEG stream from an
// ffmpeg process on a loopback port, for one client at a time.
type mjpegServer struct {
	t     *testing.T
	video string
	addr  string
	cmd   *exec.Cmd
}

func newMJPEGServer(t *testing.T) *mjpegServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts ffmpeg")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := &mjpegServer{t: t, video: stillVideo(t, 25), addr: addr}
	t.Cleanup(s.kill)
	return s
}

func (s *mjpegServer) url() string { return fmt.Sprintf("http://%s/cam", s.addr) }

func (s *mjpegServer) start() {
	s.cmd = exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
		"-i", s.video, "-c", "copy", "-f", "mpjpeg", "-listen", "1", s.url())
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
}

// signal sends sig to the ffmpeg this server started.
func (s *mjpegServer) signal(sig syscall.Signal) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

func (s *mjpegServer) kill() {
	if s.cmd == nil {
		return
	}
	s.signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHTTPStreamReconnectsAfterTheServerRestarts(t *testing.T) {
	srv := newMJPEGServer(t)
	srv.start()
	cam := testCamera(srv.url())
	cam.StallTimeout = 3 * time.Second
	h := newHarness(t, cam, Options{})
	h.backoffMin, h.backoffMax = 50*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = h.Run(ctx) }()

	for range 10 {
		receive(<-h.Frames())
	}
	srv.kill()
	waitFor(t, "the camera to go down", func() bool { return !h.Health().Up })
	waitFor(t, "a failed reconnect", func() bool { return testutil.ToFloat64(h.m.reconnects) >= 1 })
	srv.start()
	for range 10 { // frames from the new connection
		receive(<-h.Frames())
	}
	if hl := h.Health(); !hl.Up {
		t.Errorf("health %+v after the server came back, want up", hl)
	}
	if h.logs.find("camera failed; reopening") == nil {
		t.Error("the lost stream was not reported")
	}
}

func TestHTTPStreamThatStallsIsAbandonedAndReopened(t *testing.T) {
	srv := newMJPEGServer(t)
	srv.start()
	cam := testCamera(srv.url())
	cam.StallTimeout = time.Second
	h := newHarness(t, cam, Options{})
	h.backoffMin, h.backoffMax = 50*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = h.Run(ctx) }()
	for range 5 {
		receive(<-h.Frames())
	}
	srv.signal(syscall.SIGSTOP) // the connection stays open; no data comes
	waitFor(t, "the watchdog", func() bool {
		err := h.Health().Err
		return err != nil && strings.HasPrefix(err.Error(), "stalled")
	})
	srv.kill() // the blocked read now returns, and its reader closes the source
	waitFor(t, "the blocked read to return", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.stuck == 0
	})
	srv.start()
	receive(<-h.Frames())
	if hl := h.Health(); !hl.Up {
		t.Errorf("health %+v after the server came back, want up", hl)
	}
}
