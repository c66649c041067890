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
// the destination. paho logs the MQTT username at DEBUG only.
func SetPahoLogger(log *slog.Logger) {
	pahoLog.Store(log.With("component", "paho"))
	pahoOnce.Do(func() {
		mqtt.CRITICAL = pahoLogger{slog.LevelError + 2}
		mqtt.ERROR = pahoLogger{slog.LevelError}
		mqtt.WARN = pahoLogger{slog.LevelWarn}
		mqtt.DEBUG = pahoLogger{slog.LevelDebug}
	})
}

// pahoLogger adapts slog to paho's Logger interface at one level.
type pahoLogger struct{ level slog.Level }

func (p pahoLogger) log(detail func() string) {
	l := pahoLog.Load()
	if l.Enabled(context.Background(), p.level) {
		l.Log(context.Background(), p.level, "mqtt client", "detail", strings.TrimSpace(detail()))
	}
}

// Println logs paho's words as the "detail" attribute.
func (p pahoLogger) Println(v ...any) { p.log(func() string { return fmt.Sprintln(v...) }) }

// Printf logs paho's words as the "detail" attribute.
func (p pahoLogger) Printf(format string, v ...any) {
	p.log(func() string { return fmt.Sprintf(format, v...) })
}
