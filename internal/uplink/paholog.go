package uplink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

var (
	pahoOnce sync.Once
	pahoLog  atomic.Pointer[slog.Logger]
)

// SetPahoLogger routes paho.mqtt.golang's package-level loggers (ERROR,
// CRITICAL, WARN, DEBUG) to log, with component=paho. Main calls it once,
// before any client exists: paho's globals are assigned on the first call
// only (so no client ever races with the assignment); a later call changes
// the destination. paho logs the MQTT username at DEBUG only. paho's routine
// warnings and errors (see routine) are logged at DEBUG.
func SetPahoLogger(log *slog.Logger) {
	pahoLog.Store(log.With("component", "paho"))
	pahoOnce.Do(func() {
		mqtt.CRITICAL = pahoLogger{slog.LevelError + 2}
		mqtt.ERROR = pahoLogger{slog.LevelError}
		mqtt.WARN = pahoLogger{slog.LevelWarn}
		mqtt.DEBUG = pahoLogger{slog.LevelDebug}
	})
}

// routine are the parts of paho's WARN and ERROR messages that are no news
// for this agent: the clean session wiping paho's in-memory store at every
// connect and the acks it then no longer finds; Disconnect on a connection
// already lost; and connection losses and failed dials, which the
// publisher reports itself, with the error and the next retry (paho calls
// one a "BUG" because the publisher, not paho, reconnects).
var routine = []string{
	"memorystore wiped", "OrderedMemoryStore wiped", "FileStore Reset",
	"memorystore del: message", "OrderedMemoryStore del: message",
	"status is already disconnected", "disconnection already in progress",
	"Disconnect packet not sent due to timeout",
	"dial tcp", "failed to connect to broker, trying next", "Failed to connect to a broker",
	"Connect comms goroutine - error triggered", "reconnection function is nil",
}

// pahoLogger adapts slog to paho's Logger interface at one level.
type pahoLogger struct{ level slog.Level }

func (p pahoLogger) log(detail func() string) {
	l, ctx := pahoLog.Load(), context.Background()
	if p.level <= slog.LevelDebug { // formatted only when wanted: paho's DEBUG is chatty
		if l.Enabled(ctx, p.level) {
			l.Log(ctx, p.level, "mqtt client", "detail", strings.TrimSpace(detail()))
		}
		return
	}
	d, level := strings.TrimSpace(detail()), p.level
	if level < slog.LevelError+2 && isRoutine(d) { // CRITICAL stays as it is
		level = slog.LevelDebug
	}
	if l.Enabled(ctx, level) {
		l.Log(ctx, level, "mqtt client", "detail", d)
	}
}

func isRoutine(detail string) bool {
	for _, r := range routine {
		if strings.Contains(detail, r) {
			return true
		}
	}
	return false
}

// Println logs paho's words as the "detail" attribute.
func (p pahoLogger) Println(v ...any) { p.log(func() string { return fmt.Sprintln(v...) }) }

// Printf logs paho's words as the "detail" attribute.
func (p pahoLogger) Printf(format string, v ...any) {
	p.log(func() string { return fmt.Sprintf(format, v...) })
}
