package uplink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

var pahoOnce sync.Once

// SetPahoLogger routes paho.mqtt.golang's package-level loggers (ERROR,
// CRITICAL, WARN, DEBUG) to log, with component=paho. They are globals of
// the paho package, so main calls this once, before any client exists;
// later calls do nothing. paho logs the MQTT username at DEBUG only.
func SetPahoLogger(log *slog.Logger) {
	pahoOnce.Do(func() {
		log = log.With("component", "paho")
		mqtt.CRITICAL = pahoLogger{log, slog.LevelError + 2}
		mqtt.ERROR = pahoLogger{log, slog.LevelError}
		mqtt.WARN = pahoLogger{log, slog.LevelWarn}
		mqtt.DEBUG = pahoLogger{log, slog.LevelDebug}
	})
}

// pahoLogger adapts slog to paho's Logger interface.
type pahoLogger struct {
	log   *slog.Logger
	level slog.Level
}

// Println logs paho's words as the "detail" attribute.
func (p pahoLogger) Println(v ...any) {
	if p.log.Enabled(context.Background(), p.level) {
		p.log.Log(context.Background(), p.level, "mqtt client", "detail", strings.TrimSpace(fmt.Sprintln(v...)))
	}
}

// Printf logs paho's words as the "detail" attribute.
func (p pahoLogger) Printf(format string, v ...any) {
	if p.log.Enabled(context.Background(), p.level) {
		p.log.Log(context.Background(), p.level, "mqtt client", "detail", strings.TrimSpace(fmt.Sprintf(format, v...)))
	}
}
