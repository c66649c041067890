// Package sdnotify tells systemd about the agent's state (Type=notify):
// readiness, reloads, shutdown and watchdog keep-alives, over the datagram
// socket named by $NOTIFY_SOCKET. Outside systemd every call does nothing.
package sdnotify

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// Messages understood by systemd.
const (
	Ready     = "READY=1"
	Reloading = "RELOADING=1"
	Stopping  = "STOPPING=1"
	Watchdog  = "WATCHDOG=1"
)

// Notify sends one state string. It reports whether a socket was there.
func Notify(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' { // abstract namespace
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err == nil, err
}

// WatchdogInterval returns half the interval systemd expects keep-alives at
// ($WATCHDOG_USEC), or 0 when no watchdog is configured for this process.
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// RunWatchdog pings the watchdog at every interval at which alive() holds,
// until ctx ends. alive should say whether the daemon's own loops work,
// not whether everything it talks to does: while it returns false no ping
// goes, and systemd restarts the daemon once WatchdogSec passes without one.
func RunWatchdog(ctx context.Context, alive func() bool) {
	every := WatchdogInterval()
	if every == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive() {
				_, _ = Notify(Watchdog)
			}
		}
	}
}
