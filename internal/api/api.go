// Package api serves the agent's local HTTP API and the installer view: the
// stored reads (paged, newest first), their crops, the cameras' state and
// their latest annotated frame, and one page at / that shows them. It is
// off when api.listen is empty; on any address but loopback it needs a
// bearer token (api.token_file), and refuses to start without one.
package api

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/secret"
	"github.com/edge-agent/edge-agent/internal/store"
)

// Timeouts of every connection: a client that stalls (a half-open link on
// a vehicle's Wi-Fi) holds no goroutine for long.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	// queryTimeout bounds one request's work on the store.
	queryTimeout = 10 * time.Second
	// maxHeaderBytes: the API takes no large headers.
	maxHeaderBytes = 16 << 10
)

//go:embed ui/index.html
var ui embed.FS

// ErrNoCamera is returned by Agent.Frame for a name that is no camera.
var ErrNoCamera = errors.New("no such camera")

// Reads is the read store, as the API reads it.
type Reads interface {
	List(ctx context.Context, f store.Filter) ([]store.Summary, error)
	Get(ctx context.Context, id int64) (read.Record, error)
	Crop(ctx context.Context, id int64) ([]byte, error)
}

// Camera is one camera's state.
type Camera struct {
	Name      string    `json:"name"`
	Up        bool      `json:"up"`
	Error     string    `json:"error,omitempty"`
	FPS       float64   `json:"fps"`
	LastFrame time.Time `json:"last_frame"`
}

// Status is which ways out are on, for the installer.
type Status struct {
	Improvement    bool  `json:"improvement"`
	Uplink         bool  `json:"uplink"`
	Events         bool  `json:"events"`
	HotlistEntries int   `json:"hotlist_entries"`
	EventsQueued   int64 `json:"events_queued"`
}

// Agent is what the API asks the running agent.
type Agent interface {
	Cameras() []Camera
	// Frame returns the camera's latest analysed frame, annotated, as
	// JPEG; ErrNoCamera for an unknown name.
	Frame(name string) ([]byte, error)
	Status() Status
}

// Server is the API's HTTP server. Make it with New, then Start it; Close
// stops it and waits for it.
type Server struct {
	addr  string
	token []byte // nil: no token required (loopback only)
	reads Reads
	agent Agent
	log   *slog.Logger

	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// New checks cfg and reads the token file; it does not listen yet.
func New(cfg config.API, reads Reads, agent Agent, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("'api.listen' must be host:port, got %q", cfg.Listen)
	}
	s := &Server{addr: cfg.Listen, reads: reads, agent: agent, log: log.With("component", "api")}
	if cfg.TokenFile != "" {
		b, err := secret.ReadFile("api.token_file", cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 || strings.ContainsAny(tok, " \t\r\n") {
			return nil, fmt.Errorf("'api.token_file' %s must hold one token of 16 characters or more", cfg.TokenFile)
		}
		s.token = []byte(tok)
	}
	if s.token == nil && !config.IsLoopback(host) {
		return nil, fmt.Errorf("'api.listen' is %q, not a loopback address: set 'api.token_file' so that requests need a token", cfg.Listen)
	}
	return s, nil
}

// Handler is the API's routes with authentication, for Start and tests.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /api/v1/reads", s.listReads)
	mux.HandleFunc("GET /api/v1/reads/{id}", s.getRead)
	mux.HandleFunc("GET /api/v1/reads/{id}/crop.jpg", s.getCrop)
	mux.HandleFunc("GET /api/v1/cameras", s.cameras)
	mux.HandleFunc("GET /api/v1/cameras/{name}/frame.jpg", s.frame)
	mux.HandleFunc("GET /api/v1/status", s.status)
	return s.authenticate(mux)
}

// authenticate requires the bearer token, when one is set, on every path
// but the page itself (static, no data: it asks for the token and sends
// it with each of its requests).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.token != nil && r.URL.Path != "/" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), s.token) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="edge-agent"`)
				httpError(w, http.StatusUnauthorized, "a valid bearer token is required")
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Start listens on api.listen and serves in a goroutine.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("api.listen %q: %w", s.addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("api server stopped", "error", err)
		}
	}()
	s.log.Info("serving the local API and installer view", "address", ln.Addr().String(), "token", s.token != nil)
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for it.
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	b, err := ui.ReadFile("ui/index.html")
	if err != nil {
		httpError(w, http.StatusInternalServerError, "page missing from the build")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	_, _ = w.Write(b)
}
