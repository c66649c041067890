package sdnotify

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// listen makes a notify socket as systemd does and names it in
// $NOTIFY_SOCKET for the test.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", sock)
	return conn
}

// RunWatchdog pings at every interval at which alive() holds, and sends
// nothing at those at which it does not.
func TestRunWatchdogPingsOnlyWhileAlive(t *testing.T) {
	conn := listen(t)
	t.Setenv("WATCHDOG_USEC", "20000") // a ping every 10 ms
	t.Setenv("WATCHDOG_PID", "")

	// alive answers from a script, one answer an interval, then false; it
	// reports each call. The ping of an interval, if any, is sent before
	// the next interval's call.
	answers := []bool{true, false, false, true}
	calls := make(chan struct{})
	i := 0
	alive := func() bool {
		select {
		case calls <- struct{}{}:
		case <-t.Context().Done():
		}
		i++
		return i <= len(answers) && answers[i-1]
	}
	go RunWatchdog(t.Context(), alive)
	for range len(answers) + 1 {
		<-calls
	}
	pings := 0
	// The pings are queued in the socket already; the deadline only ends
	// the read that follows the last one.
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		if string(buf[:n]) != daemon.SdNotifyWatchdog {
			t.Fatalf("got %q", buf[:n])
		}
		pings++
	}
	if pings != 2 {
		t.Errorf("%d pings for 2 intervals alive and 2 not", pings)
	}
}
