package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// SoakResult is what a soak measured.
type SoakResult struct {
	Duration time.Duration
	Every    time.Duration // sampling interval
	Samples  []Sample
	MaxRSS   int64   // peak RSS (wait4), bytes
	Final    Metrics // the last scrape before SIGTERM
}

// metricsAddress returns the address of an agent's JSON log line
// "serving metrics", or "".
func metricsAddress(line string) string {
	if !strings.Contains(line, "serving metrics") {
		return ""
	}
	var l struct {
		Msg     string `json:"msg"`
		Address string `json:"address"`
	}
	if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "serving metrics" {
		return ""
	}
	return l.Address
}

// soak runs `bin run --config cfg` for d, sampling its RSS (/proc) and open
// Mats (/metrics) every interval, then scrapes /metrics a last time and
// stops it with SIGTERM.
func soak(ctx context.Context, bin, cfg, logPath string, d, interval time.Duration, progress func(Sample)) (SoakResult, error) {
	dm, err := startDaemon(logPath, bin, "run", "--config", cfg)
	if err != nil {
		return SoakResult{}, err
	}
	res := SoakResult{Duration: d, Every: interval}
	stop := func(err error) (SoakResult, error) {
		rss, serr := dm.Stop(2 * time.Minute)
		res.MaxRSS = rss
		if err == nil && serr != nil {
			err = fmt.Errorf("agent exit: %w", serr)
		}
		return res, err
	}
	addr, err := dm.MetricsAddr(2 * time.Minute)
	if err != nil {
		return stop(err)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			return stop(ctx.Err())
		case <-dm.Exited():
			return stop(fmt.Errorf("the agent exited during the soak (log: %s)\n%s", logPath, tail(readTail(logPath), 15)))
		case <-end:
			m, err := scrape(ctx, addr)
			if err != nil {
				return stop(err)
			}
			res.Final = m
			return stop(nil)
		case <-tick.C:
			s := Sample{At: time.Since(dm.started), OpenMats: math.NaN()}
			if s.RSSBytes, err = vmRSS(dm.PID()); err != nil {
				return stop(err)
			}
			if m, err := scrape(ctx, addr); err == nil {
				if v, ok := m.Sum("edge_gocv_open_mats"); ok {
					s.OpenMats = v
				}
			}
			res.Samples = append(res.Samples, s)
			if progress != nil {
				progress(s)
			}
		}
	}
}
