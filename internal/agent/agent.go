// Package agent wires the stages into the running agent: cameras (capture)
// → plate recognition (alpr) → one record per vehicle pass (track) → GPS fix
// → SQLite (store) → improvement samples (improvement, only when opted in)
// → MQTT outbox (uplink). Construction order and shutdown order live here
// and nowhere else.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/api"
	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/events"
	"github.com/edge-agent/edge-agent/internal/gps"
	"github.com/edge-agent/edge-agent/internal/hotlist"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/obs"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/store"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// Options are how the agent runs, beyond its config.
type Options struct {
	// Replay, when not empty, replaces the configured cameras with these
	// video files, one camera each, and makes Run return when they end.
	Replay []string
	// Pace of the cameras: capture.PaceLive for run; PaceMax or
	// PaceRealtime for replay.
	Pace capture.Pace
	// ClockStart is the capture time of a replay's first frame.
	ClockStart time.Time
	// Annotate, with one Replay video, writes it with boxes and reads drawn.
	Annotate string
	// DrainTimeout bounds the wait for the outbox to drain at the end of a
	// replay: the samples (uplink enabled), the read events and alerts.
	DrainTimeout time.Duration
}

// Summary counts what a run did.
type Summary struct {
	FramesCaptured, FramesAnalysed, FramesDropped int64
	ReadsStored                                   int64
	SamplesMade                                   int64 // released to the outbox at the end of a replay
	OutboxDepth                                   int64
	EventsQueued                                  int64 // read events and alerts not yet acknowledged
}

// Agent is the running pipeline. Make it with New, then Run it once.
type Agent struct {
	cfg  atomic.Pointer[config.Conf]
	opts Options
	log  *slog.Logger
	reg  *prometheus.Registry

	health  obs.Health
	loops   *live.Loops // the agent's own loops, for the watchdog
	store   *store.Store
	gps     gps.Source
	engine  *alpr.Engine
	cams    []*capture.Camera
	tracks  map[string]*cameraTracker
	prog    *improvement.Programme
	outbox  *uplink.Outbox
	pub     *uplink.Publisher
	hot     *hotlist.Watcher // nil without hotlist.file
	outlets *events.Outlets  // nil when no event nor alert is sent
	prod    *events.Producer
	view    *view
	api     *api.Server // nil when api.listen is empty
	annot   *annotator
	m       *metrics
	onReady func()
	limiter logLimiter
	closing sync.Once

	released atomic.Int64 // samples released to the outbox by the end of a replay
	videoNow atomic.Int64 // replay: the latest capture time analysed, in Unix ns

	sum struct {
		captured, analysed, dropped, stored atomic.Int64
	}
}

// New builds every stage from cfg. Nothing runs until Run.
func New(cfg *config.Conf, opts Options, log *slog.Logger, reg *prometheus.Registry) (_ *Agent, err error) {
	a := &Agent{opts: opts, log: log, reg: reg, tracks: map[string]*cameraTracker{}, loops: live.NewLoops(nil)}
	a.limiter.seen = map[string]*limitedWarn{}
	a.cfg.Store(cfg)
	a.m = newMetrics(reg)
	defer func() {
		if err != nil { // a, not the nil returned: close what was opened
			a.close()
		}
	}()

	cams := cfg.Cameras
	if len(opts.Replay) > 0 {
		cams = replayCameras(cfg, opts.Replay)
	}
	if len(cams) == 0 {
		return nil, errors.New("no camera: add one under 'cameras' in the config")
	}
	if a.store, err = store.Open(cfg.Store.Path, cfg.Store, log.With("stage", "store"), reg); err != nil {
		return nil, fmt.Errorf("store.path %q: %w", cfg.Store.Path, err)
	}
	a.health.Add("store", a.storeWritable)
	a.health.Add("loops", a.loops.Stuck)
	if len(opts.Replay) > 0 {
		// A replay lives on its video's clock: retention by age counts from
		// the latest frame analysed, not from today, so that replaying an old
		// recording keeps its reads.
		a.videoNow.Store(opts.ClockStart.UnixNano())
		a.store.Now = func() time.Time { return time.Unix(0, a.videoNow.Load()) }
	}
	if a.gps, err = openGPS(cfg, opts, log, reg); err != nil {
		return nil, err
	}
	if a.outbox, err = uplink.OpenOutbox(cfg.Uplink.OutboxPath, uplink.OutboxOptionsFrom(cfg.Uplink)); err != nil {
		return nil, fmt.Errorf("uplink.outbox_path %q: %w", cfg.Uplink.OutboxPath, err)
	}
	if a.prog, err = improvement.New(cfg.Improvement, cfg.Identity, a.outbox, log, reg, nil); err != nil {
		return nil, err
	}
	// Every read stored while opted in is owed a sample decision, across
	// kills and power cuts: the programme follows the store's final reads
	// in the order they became final (final_seq).
	if err = a.prog.Follow(context.Background(), a.store); err != nil {
		return nil, err
	}
	if cfg.Uplink.Enabled {
		if a.pub, err = uplink.New(cfg.Uplink, a.outbox, log.With("stage", "uplink"), reg, uplink.WithGate(a.prog.Consented),
			uplink.WithTransportAudit(sanitize.TransportAudit(cfg))); err != nil {
			return nil, err
		}
		if err = improvement.RecordTransport(cfg.Improvement, a.pub.Identity(), time.Now()); err != nil {
			return nil, err
		}
	}
	for _, r := range config.Retired(cfg) {
		log.Warn("config key ignored", "why", r)
	}
	if err = a.openEvents(cfg, log, reg); err != nil {
		return nil, err
	}
	a.engine, err = alpr.Open(alpr.Options{
		ModelsDir:     cfg.ALPR.ModelsDir,
		Region:        cfg.ALPR.Region,
		Workers:       cfg.ALPR.Workers,
		Tuning:        alpr.Tuning{DetectWidth: cfg.ALPR.DetectWidth},
		TopN:          cfg.ALPR.TopN,
		MinChars:      cfg.ALPR.MinChars,
		MinConfidence: 0, // per camera, in the tracker
		AllowFreeText: !cfg.ALPR.RequireLayout,
		Logger:        log.With("stage", "alpr"),
		Metrics:       reg,
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cams))
	for i, cam := range cams {
		names[i] = cam.Name
	}
	a.view = newView(names)
	for _, cam := range cams {
		c, err := capture.New(cam, capture.Options{Pace: opts.Pace, ClockStart: opts.ClockStart}, log, reg)
		if err != nil {
			return nil, err
		}
		a.cams = append(a.cams, c)
		a.health.AddInput("camera "+cam.Name, c.Check)
		if a.tracks[cam.Name], err = newCameraTracker(cam, cfg); err != nil {
			return nil, err
		}
	}
	if opts.Annotate != "" {
		a.annot = newAnnotator(opts.Annotate, opts.Replay[0])
	}
	if cfg.API.Listen != "" {
		if a.api, err = api.New(cfg.API, a.store, apiView{a}, log.With("stage", "api")); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// openEvents builds what sends the tenant's read events and hotlist
// alerts: the hotlist, the outlets (their queues in the outbox file and
// their senders) and the producer that follows the store. The producer
// runs also when nothing is sent, to keep its place at the store's end.
func (a *Agent) openEvents(cfg *config.Conf, log *slog.Logger, reg prometheus.Registerer) error {
	if cfg.Hotlist.File != "" {
		a.hot = hotlist.NewWatcher(cfg.Hotlist, log.With("stage", "hotlist"), reg)
		if err := a.hot.Load(); err != nil {
			// Never fatal: the agent keeps reading, the watcher retries.
			a.log.Error("hotlist not loaded; alerts start once the file can be read", "error", err)
		}
	}
	var dests []events.Destination
	if events.Wanted(cfg) {
		var err error
		if a.outlets, err = events.OpenOutlets(cfg.Events, a.outbox, log.With("stage", "events"), reg); err != nil {
			return err
		}
		dests = a.outlets.Dests
	}
	var m events.Matcher
	if a.hot != nil {
		m = a.hot
	}
	a.prod = events.New(a.store, a.outbox, dests, m, events.Options{
		Reads: cfg.Events.Enabled, IncludeCrop: cfg.Events.IncludeCrop, DeviceID: cfg.Identity.DeviceID,
	}, log.With("stage", "events"), reg)
	return a.prod.Prepare(context.Background())
}

// replayCameras makes one file camera per video, with the first configured
// camera's settings (or the defaults) and the file's base name as its name.
func replayCameras(cfg *config.Conf, videos []string) []config.Camera {
	base := config.Defaults().Cameras[0]
	if len(cfg.Cameras) > 0 {
		base = cfg.Cameras[0]
	}
	base.Motion, base.ALPR.Region, base.ALPR.MinConfidence = cfg.Motion, cfg.ALPR.Region, cfg.ALPR.MinConfidence
	if len(cfg.Cameras) > 0 {
		base.Motion, base.ALPR = cfg.Cameras[0].Motion, cfg.Cameras[0].ALPR
	}
	out := make([]config.Camera, len(videos))
	for i, v := range videos {
		c := base
		c.Name = cameraNameFor(v, i)
		c.Source = v
		c.Loop = false
		out[i] = c
	}
	return out
}

func openGPS(cfg *config.Conf, opts Options, log *slog.Logger, reg prometheus.Registerer) (gps.Source, error) {
	var o []gps.Option
	if len(opts.Replay) > 0 {
		// A recorded NMEA file in a replay is a track of that drive: gps
		// shifts it so that its first fix is at the replay's first frame.
		o = append(o, gps.WithRebase(opts.ClockStart))
	}
	return gps.Open(cfg.GPS.Source, cfg.GPS, log.With("stage", "gps"), reg, o...)
}

// advance moves a replay's clock to the capture time t.
func (a *Agent) advance(t time.Time) {
	if len(a.opts.Replay) == 0 {
		return
	}
	for {
		cur := a.videoNow.Load()
		if t.UnixNano() <= cur || a.videoNow.CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// OnReady sets a function Run calls once every stage has started.
func (a *Agent) OnReady(f func()) { a.onReady = f }

// stuckAfter is how long one of the agent's own loops may stay silent
// before it counts as stuck: far longer than one turn of any of them takes
// (a frame's analysis, a store write and its 30 s timeout, a publish), and
// short enough that systemd restarts a hung agent within a few minutes.
const stuckAfter = 2 * time.Minute

// Alive reports, for the systemd watchdog, whether the agent's own loops
// are alive: nil while each of them (the analysis workers, the sink, store
// retention, the live tracker clock, improvement release, the uplink) has
// beaten in time, working or waiting for work, or an error naming those
// that are stuck. The cameras are not part of it: a camera offline or
// stalled is reported (edge_camera_up, /healthz degraded, the log) and
// retried, but never makes systemd restart the agent and its other cameras.
func (a *Agent) Alive() error { return a.loops.Stuck() }

// Run runs the pipeline until ctx ends, or, when every camera is a video
// file without loop, until they end. Then it finishes the open vehicle
// passes, stores them, and (in a replay with the uplink on) waits for the
// outbox to drain. It closes every stage before it returns.
func (a *Agent) Run(ctx context.Context) error {
	defer a.close()
	cfg := a.cfg.Load()
	bg, stopBG := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	goBG := func(h *live.Heart, f func(context.Context) error) {
		bgWG.Add(1)
		go func() { defer bgWG.Done(); defer h.Stop(); _ = f(bg) }()
	}
	defer func() { stopBG(); bgWG.Wait() }()
	a.prog.Start() // Close, in close, joins it
	goBG(nil, a.gps.Run)

	if cfg.Metrics.Listen != "" {
		srv, err := obs.Listen(cfg.Metrics.Listen, a.reg, &a.health, cfg.Metrics.Pprof, a.log)
		if err != nil {
			return fmt.Errorf("metrics.listen %q: %w", cfg.Metrics.Listen, err)
		}
		defer srv.Close()
	}
	a.store.Heart = a.loops.Add("store retention", stuckAfter)
	goBG(a.store.Heart, a.store.Run)
	if len(a.opts.Replay) == 0 {
		// A replay releases its samples at its end (finishReplay). The
		// release loop runs on the wall clock: it would decide a replayed
		// past bucket while the replay still feeds it, and the rest of the
		// bucket's reads would be refused as late.
		h := a.loops.Add("improvement release", stuckAfter)
		a.prog.SetHeart(h)
		goBG(h, a.prog.Run)
	}
	if a.pub != nil {
		h := a.loops.Add("uplink", stuckAfter)
		a.pub.SetHeart(h)
		goBG(h, a.pub.Run)
	}
	a.runEvents(goBG)
	if a.api != nil {
		if err := a.api.Start(); err != nil {
			return err
		}
		defer a.api.Close()
	}
	records := make(chan recordOut, 64)
	sinkDone := make(chan struct{})
	sinkHeart := a.loops.Add("sink", stuckAfter)
	go func() { defer close(sinkDone); defer sinkHeart.Stop(); a.sink(records, sinkHeart) }()

	// Cameras feed one work queue; the workers share the engine.
	camCtx, stopCams := context.WithCancel(ctx)
	defer stopCams()
	work := make(chan *capture.Frame)
	var camWG, feedWG sync.WaitGroup
	camErrs := make([]error, len(a.cams))
	for i, c := range a.cams {
		camWG.Add(1)
		go func() { defer camWG.Done(); camErrs[i] = c.Run(camCtx) }()
		feedWG.Add(1)
		go func() {
			defer feedWG.Done()
			for f := range c.Frames() {
				a.sum.captured.Add(1)
				a.view.count(f.Camera, f.Wall)
				work <- f
			}
		}()
	}
	go func() { feedWG.Wait(); close(work) }()
	var workWG sync.WaitGroup
	for i := range cfg.ALPR.Workers {
		h := a.loops.Add(fmt.Sprintf("analysis worker %d", i+1), stuckAfter)
		workWG.Add(1)
		go func() {
			defer workWG.Done()
			defer h.Stop()
			live.Receive(h, work, func(f *capture.Frame) { a.analyse(f, records) })
		}()
	}
	// The live tracker clock sends on records too: it stops before records
	// is closed.
	tickCtx, stopTick := context.WithCancel(context.Background())
	defer stopTick()
	var tickWG sync.WaitGroup
	if a.opts.Pace == capture.PaceLive {
		h := a.loops.Add("live tracker clock", stuckAfter)
		tickWG.Add(1)
		go func() { defer tickWG.Done(); defer h.Stop(); a.tickLive(tickCtx, records, h) }()
	}
	a.log.Info("agent running", "cameras", len(a.cams), "workers", cfg.ALPR.Workers,
		"improvement", cfg.Improvement.Enabled, "uplink", cfg.Uplink.Enabled,
		"events", cfg.Events.Enabled, "hotlist_entries", a.hot.Len())
	if a.onReady != nil {
		a.onReady()
	}

	camWG.Wait()
	workWG.Wait()
	stopTick()
	tickWG.Wait()
	for _, t := range a.tracks {
		for _, r := range t.flush() {
			records <- r
		}
	}
	close(records)
	<-sinkDone
	if a.annot != nil {
		if err := a.annot.close(); err != nil {
			a.log.Error("annotated video", "file", a.opts.Annotate, "error", err)
		}
	}
	if len(a.opts.Replay) > 0 {
		a.finishReplay()
	}
	a.log.Info("agent stopped", "frames", a.sum.captured.Load(), "reads_stored", a.sum.stored.Load())
	return errors.Join(camErrs...)
}

// finishReplay releases the samples whose bucket has closed, decides the
// read events and alerts of the last reads, and waits for the outbox to
// drain, up to the drain timeout.
func (a *Agent) finishReplay() {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.DrainTimeout)
	defer cancel()
	a.finishEvents(ctx)
	cfg := a.cfg.Load()
	if !cfg.Improvement.Enabled {
		return
	}
	if n, err := a.prog.Flush(context.Background(), improvement.FlushOptions{SkipJitter: true}); err != nil {
		a.log.Error("releasing samples", "error", err)
	} else {
		a.released.Add(int64(n))
		a.log.Info("samples released at the end of the replay", "count", n)
	}
	if a.pub == nil {
		return
	}
	if err := a.pub.WaitDrained(ctx); err != nil {
		st, _ := a.outbox.Stats()
		a.log.Warn("outbox not drained before --drain-timeout; the rest stays queued", "queued", st.Depth, "timeout", a.opts.DrainTimeout)
	}
}

// Reload applies a new configuration to what can change while running:
// the improvement programme (turning it off withdraws), and each camera's
// minimum confidence. Other changes need a restart and are reported.
func (a *Agent) Reload(next *config.Conf) error {
	if err := a.prog.Apply(next.Improvement); err != nil {
		return err
	}
	if a.hot != nil {
		// A hotlist that cannot be read keeps the list in use: not a
		// reason to refuse the rest of the reload.
		if err := a.hot.Apply(next.Hotlist); err != nil {
			a.log.Error("hotlist not reloaded; the list in use stays", "error", err)
		}
	}
	for _, cam := range next.Cameras {
		if t, ok := a.tracks[cam.Name]; ok {
			t.setMinConfidence(cam.ALPR.MinConfidence)
		}
	}
	a.cfg.Store(next)
	return nil
}

// Summary counts what Run did so far.
func (a *Agent) Summary() Summary {
	s := Summary{
		FramesCaptured: a.sum.captured.Load(),
		FramesAnalysed: a.sum.analysed.Load(),
		FramesDropped:  a.m.droppedTotal(),
		ReadsStored:    a.sum.stored.Load(),
		SamplesMade:    a.released.Load(),
	}
	if st, err := a.outbox.Stats(); err == nil {
		s.OutboxDepth = st.Depth
	}
	if a.outlets != nil {
		s.EventsQueued = a.outlets.Depth()
	}
	return s
}

func (a *Agent) close() { a.closing.Do(a.closeStages) }

func (a *Agent) closeStages() {
	for _, c := range a.cams {
		_ = c.Close()
	}
	if a.engine != nil {
		_ = a.engine.Close()
	}
	if a.prog != nil {
		_ = a.prog.Close()
	}
	if a.outlets != nil {
		a.outlets.Close()
	}
	if a.view != nil {
		a.view.close()
	}
	if a.outbox != nil {
		_ = a.outbox.Close()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}
