package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// mjpegCamera is an HTTP MJPEG camera on a loopback port: ffmpeg serving a
// looped video to one client, which the test can freeze (SIGSTOP) to make
// the stream stall, and restart.
type mjpegCamera struct {
	t     *testing.T
	video string
	URL   string
	cmd   *exec.Cmd
}

func newMJPEGCamera(t *testing.T, video string) *mjpegCamera {
	t.Helper()
	c := &mjpegCamera{t: t, video: video, URL: fmt.Sprintf("http://127.0.0.1:%d/cam", brokertest.FreePort(t))}
	t.Cleanup(c.kill)
	c.start()
	return c
}

func (c *mjpegCamera) start() {
	c.t.Helper()
	c.cmd = exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1",
		"-i", c.video, "-an", "-vf", "scale=1280:720", "-c:v", "mjpeg", "-q:v", "4",
		"-f", "mpjpeg", "-listen", "1", c.URL)
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("ffmpeg (apt-get install ffmpeg): %v", err)
	}
}

func (c *mjpegCamera) signal(sig syscall.Signal) { _ = c.cmd.Process.Signal(sig) }

func (c *mjpegCamera) kill() {
	if c.cmd == nil {
		return
	}
	c.signal(syscall.SIGCONT)
	c.signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
	c.cmd = nil
}

// TestRunCameraStall runs the daemon on an HTTP MJPEG camera whose stream
// stalls mid-run (the server freezes with the connection open): the
// watchdog notices within stall_timeout, /healthz reports the camera down,
// and once the camera serves again the agent reconnects and reads resume.
func TestRunCameraStall(t *testing.T) {
	needIntegration(t)
	v := short(t)
	cam := newMJPEGCamera(t, v.Path)
	s := newSetup(t, cam.URL)
	s.Conf.Cameras[0].StallTimeout = 2 * time.Second
	s.write()

	p := startAgent(t, "run", "--config", s.CfgPath)
	p.waitStored(1, 3*time.Minute)
	eventually(t, "healthy /healthz", time.Minute, func() bool { code, _, _ := health(s); return code == 200 })

	cam.signal(syscall.SIGSTOP)
	eventually(t, "the stall reported on /healthz", time.Minute, func() bool {
		code, body, _ := health(s)
		return code == 503 && strings.Contains(body, s.Conf.Cameras[0].Name)
	})
	p.waitFor("the stall logged", 30*time.Second, func(ls []logLine) bool {
		for _, l := range ls {
			if e, _ := l["error"].(string); l.msg() == "camera failed; reopening" && strings.Contains(e, "stalled") {
				return true
			}
		}
		return false
	})
	// The frozen server holds the abandoned connection; a new one serves.
	cam.kill()
	cam.start()
	before := len(p.stored())
	eventually(t, "camera back up on /healthz", 2*time.Minute, func() bool { code, _, _ := health(s); return code == 200 })
	p.waitStored(before+1, 3*time.Minute)
	if n := metric(scrape(t, s), "edge_camera_reconnects_total"); n == 0 {
		t.Error("edge_camera_reconnects_total = 0 after the stall")
	}
	p.stop()
}
