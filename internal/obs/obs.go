// Package obs sets up what operators watch: the logger, and an HTTP server
// with /metrics (a private Prometheus registry) and /healthz.
package obs

import (
	"context"
	"encoding/json"
	"errors"
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
)

// NewLogger returns a logger writing to w in format "text" or "json", whose
// level can be changed at run time through level.
func NewLogger(w io.Writer, format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

// Health collects named checks for /healthz.
type Health struct {
	mu     sync.Mutex
	checks map[string]Check
}

// Add registers a check under name.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = map[string]Check{}
	}
	h.checks[name] = c
}

// Run runs every check; it returns the failures by name.
func (h *Health) Run() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	fails := map[string]string{}
	for name, c := range h.checks {
		if err := c(); err != nil {
			fails[name] = err.Error()
		}
	}
	return fails
}

func (h *Health) serveHTTP(w http.ResponseWriter, _ *http.Request) {
	fails := h.Run()
	w.Header().Set("Content-Type", "application/json")
	status := map[string]any{"status": "ok"}
	if len(fails) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		status = map[string]any{"status": "unhealthy", "failing": fails}
	}
	_ = json.NewEncoder(w).Encode(status)
}

// Server serves /metrics and /healthz (and /debug/pprof when asked).
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Listen starts serving on addr.
func Listen(addr string, reg *prometheus.Registry, health *Health, withPprof bool, log *slog.Logger) (*Server, error) {
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
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
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

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for it.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}
