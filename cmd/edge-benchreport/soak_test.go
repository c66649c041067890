package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The test binary doubles as a fake agent for the soak's process plumbing:
// with FAKE_AGENT set it serves /metrics, logs its address as the agent
// does, holds some memory and exits on SIGTERM (or at once, with
// FAKE_AGENT=crash).
func TestMain(m *testing.M) {
	switch os.Getenv("FAKE_AGENT") {
	case "serve":
		fakeAgent()
		return
	case "crash":
		fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"no OCR models"}`)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var ballast []byte

func fakeAgent() {
	ballast = make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	reg := prometheus.NewRegistry()
	f := promauto.With(reg)
	f.NewGauge(prometheus.GaugeOpts{Name: "edge_gocv_open_mats", Help: "g"}).Set(17)
	f.NewHistogram(prometheus.HistogramOpts{Name: "edge_pass_end_to_read_seconds", Help: "h"}).Observe(0.2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	go func() { _ = http.Serve(ln, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) }()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Fprintf(os.Stderr, `{"level":"INFO","msg":"serving metrics","address":%q}`+"\n", ln.Addr().String())
	<-term
	fmt.Fprintln(os.Stderr, `{"level":"INFO","msg":"agent stopped"}`, len(ballast))
	os.Exit(0)
}

func TestSoakSamplesAndStopsTheAgent(t *testing.T) {
	t.Setenv("FAKE_AGENT", "serve")
	logPath := filepath.Join(t.TempDir(), "soak.log")
	var seen int
	res, err := soak(context.Background(), os.Args[0], "cfg.yaml", logPath, 600*time.Millisecond, 100*time.Millisecond, func(Sample) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) < 3 || seen != len(res.Samples) {
		t.Fatalf("%d samples (%d reported), want about 6", len(res.Samples), seen)
	}
	for i, s := range res.Samples {
		if s.OpenMats != 17 || s.RSSBytes < 64<<20 || (i > 0 && s.At <= res.Samples[i-1].At) {
			t.Errorf("sample %d: %+v, want 17 open Mats, RSS ≥ 64 MiB, after the previous", i, s)
		}
	}
	if res.MaxRSS < 64<<20 {
		t.Errorf("peak RSS %d, want ≥ 64 MiB", res.MaxRSS)
	}
	if h, ok := res.Final.Histogram("edge_pass_end_to_read_seconds"); !ok || h.Count != 1 {
		t.Errorf("final scrape: %+v %v", h, ok)
	}
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "run --config cfg.yaml") || !strings.Contains(string(log), "agent stopped") {
		t.Errorf("log lacks the command or the agent's stop (SIGTERM not delivered?):\n%s", log)
	}
}

func TestSoakReportsAnAgentThatDies(t *testing.T) {
	t.Setenv("FAKE_AGENT", "crash")
	_, err := soak(context.Background(), os.Args[0], "cfg.yaml", filepath.Join(t.TempDir(), "soak.log"), time.Minute, time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "exited before serving metrics") {
		t.Errorf("error %v, want the agent's early exit", err)
	}
}

func TestRunLoggedReportsFailures(t *testing.T) {
	t.Setenv("FAKE_AGENT", "crash")
	logPath := filepath.Join(t.TempDir(), "x.log")
	_, err := runLogged(context.Background(), logPath, os.Args[0], "replay")
	if err == nil || !strings.Contains(err.Error(), "no OCR models") {
		t.Errorf("error %v, want one quoting the log", err)
	}
}
