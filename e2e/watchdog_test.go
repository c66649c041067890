package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notifySocket stands in for systemd's side of a Type=notify service: it
// receives what the agent sends to $NOTIFY_SOCKET, each datagram with the
// time it arrived.
type notifySocket struct {
	path string
	msgs chan notifyMsg
}

type notifyMsg struct {
	state string
	at    time.Time
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify.sock"), msgs: make(chan notifyMsg, 1024)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			n.msgs <- notifyMsg{string(buf[:k]), time.Now()}
		}
	}()
	return n
}

// TestWatchdogCameraOffline runs the daemon as systemd would with
// WatchdogSec (WATCHDOG_USEC) on two cameras, one of which never opens (its
// file does not exist). The test plays systemd: from READY=1 on, every
// WATCHDOG=1 must come within WatchdogSec of the previous one, or systemd
// would restart the whole agent. The pings keep coming through more than
// three watchdog intervals and until the other camera has stored two more
// reads; /healthz reports the agent degraded, naming the offline camera and
// why, and edge_camera_up is 0 for it and 1 for the other.
func TestWatchdogCameraOffline(t *testing.T) {
	needIntegration(t)
	s, _ := newLoopingSetup(t, short(t))
	off := s.Conf.Cameras[0]
	off.Name, off.Source = randomID("cam"), filepath.Join(s.Dir, "never-there.mp4")
	s.Conf.Cameras = append(s.Conf.Cameras, off)
	s.write()
	sd := newNotifySocket(t)
	const watchdog = 6 * time.Second // WatchdogSec; the agent pings every half of it
	p := startAgentEnv(t, []string{"NOTIFY_SOCKET=" + sd.path, fmt.Sprintf("WATCHDOG_USEC=%d", watchdog.Microseconds())},
		"run", "--config", s.CfgPath)

	var ready time.Time
	for ready.IsZero() {
		select {
		case m := <-sd.msgs:
			if m.state == "READY=1" {
				ready = m.at
			}
		case <-time.After(3 * time.Minute):
			t.Fatal("no READY=1 within 3m")
		}
	}
	stored := len(p.stored())
	last, pings := ready, 0
	for time.Since(ready) <= 3*watchdog || len(p.stored()) < stored+2 {
		if time.Since(ready) > 5*time.Minute {
			t.Fatalf("the camera that works stored %d reads in 5m with the other offline, want 2", len(p.stored())-stored)
		}
		select {
		case m, ok := <-sd.msgs:
			if !ok {
				t.Fatal("notify socket closed")
			}
			if m.state == "WATCHDOG=1" {
				last = m.at
				pings++
			}
		case <-time.After(time.Until(last.Add(watchdog))):
			t.Fatalf("no WATCHDOG=1 within %s of the last ping or READY=1 (%d pings in %s): systemd would restart the agent",
				watchdog, pings, time.Since(ready).Round(time.Second))
		}
		if !p.running() {
			t.Fatalf("the agent exited: %s", p.errorText())
		}
	}
	t.Logf("%d pings in %s after READY=1, %d reads stored meanwhile", pings, time.Since(ready).Round(time.Second), len(p.stored())-stored)

	code, body, err := health(s)
	if err != nil || code != 503 || !strings.Contains(body, `"status":"degraded"`) ||
		!strings.Contains(body, off.Name) || !strings.Contains(body, "does not exist") {
		t.Errorf("/healthz = %d %s (%v); want 503, degraded, naming camera %s and why it is offline", code, body, err, off.Name)
	}
	m := scrape(t, s)
	if up := metric(m, "edge_camera_up", fmt.Sprintf("camera=%q", off.Name)); up != 0 {
		t.Errorf("edge_camera_up of the offline camera = %v", up)
	}
	if up := metric(m, "edge_camera_up", fmt.Sprintf("camera=%q", s.Conf.Cameras[0].Name)); up != 1 {
		t.Errorf("edge_camera_up of the camera that works = %v", up)
	}
	p.stop()
}
