package hotlist

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/read"
)

// maxLoggedLines is how many skipped lines one load logs one by one; the
// rest are counted in one line, so a file of garbage cannot flood the log.
const maxLoggedLines = 20

// Watcher keeps the hotlist of a file current: it loads it when asked
// (start, SIGHUP) and when the file changes (checked every
// check_interval). A file that cannot be read or parsed keeps the list
// loaded before; a bad line is skipped and logged by its number, never its
// text. Match is safe for concurrent use.
type Watcher struct {
	log   *slog.Logger
	list  atomic.Pointer[List]
	kick  chan struct{}
	heart *live.Heart

	mu    sync.Mutex
	cfg   config.Hotlist
	stamp stamp // of the file last loaded

	entries  prometheus.Gauge
	badLines prometheus.Gauge
	loads    *prometheus.CounterVec
}

// stamp tells whether a file changed since it was loaded.
type stamp struct {
	mod  time.Time
	size int64
	ino  uint64
}

// NewWatcher makes a watcher of cfg.File. Nothing is read until Load or Run.
func NewWatcher(cfg config.Hotlist, log *slog.Logger, reg prometheus.Registerer) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &Watcher{
		log: log.With("component", "hotlist"), cfg: cfg, kick: make(chan struct{}, 1),
		entries: f.NewGauge(prometheus.GaugeOpts{Name: "edge_hotlist_entries", Help: "Plates on the hotlist in use."}),
		badLines: f.NewGauge(prometheus.GaugeOpts{Name: "edge_hotlist_skipped_lines",
			Help: "Lines of the hotlist file skipped at its last load (bad plate, priority or CSV)."}),
		loads: f.NewCounterVec(prometheus.CounterOpts{Name: "edge_hotlist_loads_total",
			Help: "Loads of the hotlist file by result: ok, or error (unreadable; the previous list stays)."}, []string{"result"}),
	}
}

// SetHeart makes Run beat h at every check. Call it before Run.
func (w *Watcher) SetHeart(h *live.Heart) { w.heart = h }

// Match matches plate against the list in use.
func (w *Watcher) Match(plate read.Plate) (Match, bool) {
	return w.list.Load().Match(plate)
}

// Len is the number of entries in use; 0 for a nil watcher (no hotlist).
func (w *Watcher) Len() int {
	if w == nil {
		return 0
	}
	return w.list.Load().Len()
}

// Load reads the file now and puts its list in use. On error the list in
// use stays.
func (w *Watcher) Load() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.load()
}

// load is Load with w.mu held.
func (w *Watcher) load() error {
	if w.cfg.File == "" {
		w.list.Store(nil)
		w.entries.Set(0)
		return nil
	}
	f, err := os.Open(w.cfg.File)
	if err != nil {
		w.loads.WithLabelValues("error").Inc()
		return fmt.Errorf("hotlist.file: %w", err)
	}
	defer f.Close()
	st, err := stampOf(f)
	if err != nil {
		w.loads.WithLabelValues("error").Inc()
		return fmt.Errorf("hotlist.file: %w", err)
	}
	entries, skipped, err := Parse(f)
	if err != nil {
		w.loads.WithLabelValues("error").Inc()
		return fmt.Errorf("hotlist.file %s: %w", w.cfg.File, err)
	}
	for i, s := range skipped {
		if i == maxLoggedLines {
			w.log.Warn("hotlist: more lines skipped", "file", w.cfg.File, "count", len(skipped)-i)
			break
		}
		w.log.Warn("hotlist: line skipped", "file", w.cfg.File, "line", s.Line, "reason", s.Msg)
	}
	w.list.Store(New(entries, w.cfg.MaxEdits))
	w.stamp = st
	w.entries.Set(float64(len(entries)))
	w.badLines.Set(float64(len(skipped)))
	w.loads.WithLabelValues("ok").Inc()
	w.log.Info("hotlist loaded", "file", w.cfg.File, "entries", len(entries), "skipped_lines", len(skipped))
	return nil
}

// Apply takes a new configuration (a reload) and loads its file at once.
func (w *Watcher) Apply(cfg config.Hotlist) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg = cfg
	w.stamp = stamp{}
	return w.load()
}

// Reload asks Run to load the file at once (SIGHUP); it does not wait.
func (w *Watcher) Reload() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run checks the file every check_interval and loads it when it changed,
// or at once after Reload, until ctx ends. Errors are logged; the list in
// use stays.
func (w *Watcher) Run(ctx context.Context) error {
	for {
		w.mu.Lock()
		every := w.cfg.CheckInterval
		w.mu.Unlock()
		w.heart.BeatIn(every)
		t := time.NewTimer(every)
		forced := false
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.kick:
			forced = true
		case <-t.C:
		}
		t.Stop()
		if err := w.check(forced); err != nil {
			w.log.Error("hotlist not reloaded; the list in use stays", "error", err)
		}
	}
}

// check loads the file when forced or when it changed since the last load.
func (w *Watcher) check(forced bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cfg.File == "" {
		return nil
	}
	if !forced {
		fi, err := os.Stat(w.cfg.File)
		if err != nil {
			if w.stamp == (stamp{}) {
				return nil // missing before too: said at the load that failed
			}
			w.stamp = stamp{}
			w.loads.WithLabelValues("error").Inc()
			return fmt.Errorf("hotlist.file: %w", err)
		}
		if stampOfInfo(fi) == w.stamp {
			return nil
		}
	}
	return w.load()
}

func stampOf(f *os.File) (stamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return stamp{}, err
	}
	return stampOfInfo(fi), nil
}
