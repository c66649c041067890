// Package sdnotify keeps the systemd watchdog fed (Type=notify,
// WatchdogSec) while the daemon's own loops are alive. The messages go
// through github.com/coreos/go-systemd/v22/daemon; outside systemd nothing
// is sent.
package sdnotify

import (
	"context"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// RunWatchdog pings the watchdog at every half of its interval
// ($WATCHDOG_USEC, for this process) at which alive() holds, until ctx
// ends; without a watchdog it returns at once. alive should say whether the
// daemon's own loops work, not whether everything it talks to does: while
// it returns false no ping goes, and systemd restarts the daemon once
// WatchdogSec passes without one.
func RunWatchdog(ctx context.Context, alive func() bool) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive() {
				_, _ = daemon.SdNotify(false, daemon.SdNotifyWatchdog)
			}
		}
	}
}
