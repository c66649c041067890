package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/edge-agent/edge-agent/internal/agent"
	"github.com/edge-agent/edge-agent/internal/capture"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/obs"
	"github.com/edge-agent/edge-agent/internal/sdnotify"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// runCmd runs the daemon until SIGTERM/SIGINT (or, when every camera is a
// video file without loop, until the files end). SIGHUP reloads the config.
func runCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	cfgPath := fs.String("config", "configs/edge-agent.yaml", "config file")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, sets)
	if err != nil {
		return err
	}
	log, level := newLogger(stderr, cfg.Log)
	uplink.SetPahoLogger(log)

	a, err := agent.New(cfg, agent.Options{Pace: capture.PaceLive}, log, obs.WithOpenMats(obs.NewRegistry()))
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// The reload and watchdog loops end, and are waited for, before
	// runCmd returns.
	loops, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopLoops(); wg.Wait() }()
	wg.Go(func() { reloadOnHUP(loops, hup, a, *cfgPath, sets, level, log) })
	// The watchdog ping means "the agent's own loops are alive" (Alive); a
	// camera offline degrades /healthz but never withholds it.
	wg.Go(func() {
		sdnotify.RunWatchdog(loops, func() bool {
			err := a.Alive()
			if err != nil {
				log.Error("watchdog ping withheld: loops of the agent are stuck; systemd will restart it", "error", err)
			}
			return err == nil
		})
	})
	a.OnReady(func() { _, _ = daemon.SdNotify(false, daemon.SdNotifyReady) })
	err = a.Run(ctx)
	_, _ = daemon.SdNotify(false, daemon.SdNotifyStopping)
	return err
}

// reloadOnHUP loads the config file again at each SIGHUP on hup and applies
// it to a, until ctx ends. A config that does not load or apply is logged,
// error by error, and the running one kept.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, a *agent.Agent, cfgPath string, sets []string,
	level *slog.LevelVar, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		_, _ = daemon.SdNotify(false, daemon.SdNotifyReloading)
		next, err := config.Load(cfgPath, sets)
		if err == nil {
			err = a.Reload(next)
		}
		if err != nil {
			var list config.Errors
			if errors.As(err, &list) {
				for _, e := range list {
					log.Error("config reload rejected; keeping the running config", "error", e.Error())
				}
			} else {
				log.Error("config reload rejected; keeping the running config", "error", err)
			}
		} else {
			level.Set(obs.ParseLevel(next.Log.Level))
			log.Info("config reloaded", "file", cfgPath)
		}
		_, _ = daemon.SdNotify(false, daemon.SdNotifyReady)
	}
}

// The years a replay's --clock-start may start in: [minClockYear, maxClockYear).
const (
	minClockYear = 2000
	maxClockYear = 2100
)

// replayCmd processes recorded video files as if they were cameras, stores the
// reads, prints a summary and exits.
func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", stderr)
	cfgPath := fs.String("config", "", "config file (default: the built-in defaults)")
	db := fs.String("db", "", "SQLite file for the reads (default: store.path of the config)")
	clock := fs.String("clock-start", "", "RFC 3339 time of the first frame (default: now)")
	pace := fs.String("pace", "max", "max: every frame, as fast as possible; realtime: the video's own rate, dropping what analysis cannot keep up with")
	annotate := fs.String("annotate", "", "write the video with boxes and reads drawn on it to this file (one VIDEO only)")
	drain := fs.Duration("drain-timeout", 30*time.Second, "before exiting, wait at most this long for the broker (and webhook) to acknowledge the queued samples, read events and alerts")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	videos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(videos) == 0 {
		return errors.New("replay needs at least one VIDEO file")
	}
	if *annotate != "" && len(videos) != 1 {
		return errors.New("--annotate takes exactly one VIDEO")
	}
	for _, v := range videos {
		if _, err := os.Stat(v); err != nil {
			return fmt.Errorf("video %q: %w", v, errors.Unwrap(err))
		}
	}
	if *db != "" {
		if err := checkDB(*db); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(*cfgPath, sets)
	if err != nil {
		return err
	}
	if *db != "" {
		cfg.Store.Path = *db
	}
	start := time.Now()
	if *clock != "" {
		if start, err = time.Parse(time.RFC3339, *clock); err != nil {
			return fmt.Errorf("--clock-start %q: must be an RFC 3339 time such as 2025-06-02T08:00:00Z", *clock)
		}
		// Reads are kept by age and samples released by time bucket: a
		// clock in 1970 or in the far future would have them all deleted
		// at once, or held for ever.
		if y := start.UTC().Year(); y < minClockYear || y >= maxClockYear {
			return fmt.Errorf("--clock-start %q: must be between %d and %d", *clock, minClockYear, maxClockYear)
		}
	}
	var p capture.Pace
	switch *pace {
	case "max":
		p = capture.PaceMax
	case "realtime":
		p = capture.PaceRealtime
	default:
		return fmt.Errorf("--pace %q: must be max or realtime", *pace)
	}
	log, _ := newLogger(stderr, cfg.Log)
	uplink.SetPahoLogger(log)

	a, err := agent.New(cfg, agent.Options{
		Replay:       videos,
		Pace:         p,
		ClockStart:   start,
		Annotate:     *annotate,
		DrainTimeout: *drain,
	}, log, obs.NewRegistry())
	if err != nil {
		return err
	}
	began := time.Now()
	err = a.Run(ctx)
	s := a.Summary()
	fmt.Fprintf(stdout, "replay: %d video(s), %d frames read, %d analysed, %d dropped, %d reads stored in %s, %.1fs (%.1f frames/s)\n",
		len(videos), s.FramesCaptured, s.FramesAnalysed, s.FramesDropped, s.ReadsStored, cfg.Store.Path,
		time.Since(began).Seconds(), float64(s.FramesCaptured)/time.Since(began).Seconds())
	if cfg.Uplink.Enabled {
		fmt.Fprintf(stdout, "uplink: %d sample(s) made, %d still queued\n", s.SamplesMade, s.OutboxDepth)
	}
	if cfg.Events.Enabled || cfg.Hotlist.File != "" {
		fmt.Fprintf(stdout, "events: %d read event(s) and alert(s) still queued\n", s.EventsQueued)
	}
	return err
}
