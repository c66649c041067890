// Package obs sets up what operators watch: the logger, and an HTTP server
// with /metrics (a private Prometheus registry) and /healthz.
package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/secret"
)

// NewLogger returns a logger writing to w in format "text" or "json", whose
// level can be changed at run time through level. Every message, string
// and error it writes has the credentials of its URLs redacted
// (secret.Redact): a camera URL with user:password or a token, a broker
// URL, a URL quoted by an error.
func NewLogger(w io.Writer, format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// redactAttr redacts a log attribute's text: strings, errors, and values
// that print themselves (a url.URL, a Stringer).
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		if r := secret.Redact(v.String()); r != v.String() {
			a.Value = slog.StringValue(r)
		}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(secret.Redact(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(secret.Redact(x.String()))
		}
	}
	return a
}

// ParseLevel maps a config log level to slog's.
func ParseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// NewRegistry returns a private registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Check is one health check: nil means healthy.
type Check func() error

// Health collects named checks for /healthz. A check added with Add is
// about the agent itself: while it fails, the agent is unhealthy. One added
// with AddInput is about one of the inputs the agent reads (a camera):
// while only such checks fail, the agent is degraded: it works on, without
// that input.
type Health struct {
	mu     sync.Mutex
	checks map[string]check
}

type check struct {
	run   Check
	input bool
}

// Statuses of a Report.
const (
	StatusOK        = "ok"
	StatusDegraded  = "degraded"
	StatusUnhealthy = "unhealthy"
)

// Report is the outcome of every check, as /healthz serves it.
type Report struct {
	Status  string            `json:"status"`
	Failing map[string]string `json:"failing,omitempty"` // why each failing check fails, by name
}

// Add registers a check of the agent itself under name.
func (h *Health) Add(name string, c Check) { h.add(name, check{run: c}) }

// AddInput registers a check of one input under name.
func (h *Health) AddInput(name string, c Check) { h.add(name, check{run: c, input: true}) }

func (h *Health) add(name string, c check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = map[string]check{}
	}
	h.checks[name] = c
}

// Run runs every check.
func (h *Health) Run() Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := Report{Status: StatusOK}
	for name, c := range h.checks {
		err := c.run()
		if err == nil {
			continue
		}
		if r.Failing == nil {
			r.Failing = map[string]string{}
		}
		r.Failing[name] = secret.Redact(err.Error())
		switch {
		case !c.input:
			r.Status = StatusUnhealthy
		case r.Status == StatusOK:
			r.Status = StatusDegraded
		}
	}
	return r
}

// serveHTTP answers 200 while every check passes, 503 otherwise, with the
// Report as JSON.
func (h *Health) serveHTTP(w http.ResponseWriter, _ *http.Request) {
	r := h.Run()
	w.Header().Set("Content-Type", "application/json")
	if r.Status != StatusOK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(r)
}

// Server serves /metrics and /healthz (and /debug/pprof when asked).
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Timeouts of the metrics server's connections: a client that stalls (or
// never sends) cannot hold a connection open. WriteTimeout leaves room for
// /debug/pprof/profile's default 30 s.
const (
	readTimeout  = 10 * time.Second
	writeTimeout = 60 * time.Second
	idleTimeout  = 2 * time.Minute
)

// Listen starts serving on addr. pprof is served only when withPprof is
// set and addr is a loopback address: a profile shows memory, and on any
// other address it is refused (config validation refuses it first).
func Listen(addr string, reg *prometheus.Registry, health *Health, withPprof bool, log *slog.Logger) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if withPprof && !config.IsLoopback(host) {
		return nil, fmt.Errorf("pprof is served on a loopback address only, not %q", addr)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: 4,
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
	}))
	mux.HandleFunc("/healthz", health.serveHTTP)
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: readTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: idleTimeout},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	log.Info("serving metrics", "address", ln.Addr().String())
	return s, nil
}

// addr is the address the server listens on.
func (s *Server) addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for it.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}
