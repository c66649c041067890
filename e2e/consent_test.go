package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// auditEntries reads the improvement audit log (one JSON object a line).
func auditEntries(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// enqueue puts n test samples (ids 1 to n) in the outbox, as if released
// by an earlier run.
func (s *setup) enqueue(n int) {
	s.t.Helper()
	ob, err := uplink.OpenOutbox(s.Conf.Uplink.OutboxPath, uplink.OutboxOptionsFrom(s.Conf.Uplink))
	if err != nil {
		s.t.Fatal(err)
	}
	defer ob.Close()
	for i := range n {
		if err := ob.Enqueue(brokertest.Sample(i+1, 0)); err != nil {
			s.t.Fatal(err)
		}
	}
}

// reloadOptedOut rewrites the config with improvement.enabled false, sends
// p SIGHUP and waits until it has applied the reload.
func (s *setup) reloadOptedOut(p *agentProc) {
	s.t.Helper()
	s.Conf.Improvement.Enabled = false
	s.write()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		s.t.Fatal(err)
	}
	p.waitFor("the reload applied", time.Minute, func(ls []logLine) bool {
		return slices.ContainsFunc(ls, func(l logLine) bool { return l.msg() == "config reloaded" })
	})
}

// TestWithdrawMidRun runs the daemon for an opted-in tenant on a looping
// camera, with samples released earlier still queued in the outbox (the
// broker is unreachable), until new samples are held; then it withdraws by
// command while the agent runs. The command purges the held samples and
// audits the withdrawal; the running agent follows it and purges its
// outbox (audited too); reads go on without making samples; and once the
// broker is back, nothing reaches it.
func TestWithdrawMidRun(t *testing.T) {
	needIntegration(t)
	s, camera := newLoopingSetup(t, short(t))
	b := brokertest.New(t, brokertest.Options{Verbose: true}) // not started until the end
	s.optIn(b.URL())
	s.write()
	const queued = 5
	s.enqueue(queued)

	p := startAgent(t, "run", "--config", s.CfgPath)
	var held int
	eventually(t, "a sample held", 4*time.Minute, func() bool {
		if !p.running() {
			t.Fatalf("agent exited: %s", p.errorText())
		}
		held, _ = improvementStatus(t, s)
		return held > 0
	})
	if n := outboxDepth(t, s); n != queued {
		t.Fatalf("outbox holds %d entries before the withdrawal, want the %d queued", n, queued)
	}

	const reason = "e2e withdrawal"
	out := s.cli("improvement", "withdraw", "--config", s.CfgPath, "--reason", reason)
	if !strings.Contains(out, "withdrawn: purged") || !strings.Contains(out, "running agent purges it") {
		t.Errorf("withdraw printed %q; want the purge and a note that the running agent purges its outbox", out)
	}
	after, consent := improvementStatus(t, s)
	if after != 0 || !strings.HasPrefix(consent, "withdrawn since") {
		t.Errorf("after withdraw: %d held, consent %q; want 0 held, withdrawn", after, consent)
	}

	// The running agent follows the withdrawal (it polls every 30 s),
	// purges its outbox and goes on reading without making samples.
	eventually(t, "the outbox purged by the running agent", time.Minute, func() bool { return outboxDepth(t, s) == 0 })
	if m := scrape(t, s); metric(m, "edge_improvement_consent", `state="withdrawn"`) != 1 {
		t.Errorf("edge_improvement_consent{state=\"withdrawn\"} is not 1 after the withdrawal")
	}
	var byCommand, byAgent bool
	for _, e := range auditEntries(t, s.Conf.Improvement.AuditPath) {
		r, _ := e["reason"].(string)
		if e["event"] != "withdraw" || !strings.HasPrefix(r, reason) {
			continue
		}
		h, _ := e["purged_held"].(float64)
		o, _ := e["purged_outbox"].(float64)
		switch {
		case r == reason && h >= 1:
			byCommand = true
		case strings.Contains(r, "running agent") && o == queued:
			byAgent = true
		}
	}
	if !byCommand || !byAgent {
		t.Errorf("audit log: withdrawal by command purging the %d held samples found: %v; purge of the %d outbox entries by the running agent found: %v",
			held, byCommand, queued, byAgent)
	}
	p.waitStored(len(p.stored())+2, 3*time.Minute)
	if n, _ := improvementStatus(t, s); n != 0 {
		t.Errorf("%d samples held: reads after the withdrawal were made into samples", n)
	}

	b.Start()
	sub := brokertest.Subscribe(t, b.URL(), "#", nil)
	time.Sleep(3 * s.Conf.Uplink.BackoffMax) // the agent would have reconnected and sent by now
	p.stop()
	if n := outboxDepth(t, s); n != 0 {
		t.Errorf("outbox holds %d entries after the withdrawal", n)
	}
	if msgs := sub.Messages(); len(msgs) != 0 {
		t.Errorf("subscriber got %d messages after the withdrawal", len(msgs))
	}
	checkNoSecrets(t, "the broker log", b.Log(), s.secrets(camera))
}

// TestWithdrawalStopsQueuedSamples: samples queued in the running agent's
// outbox while the broker is unreachable are never published once consent
// is withdrawn, whether by `edge-agent improvement withdraw` from another
// process (which cannot purge the outbox the agent holds) or by a reload
// that turns the programme off. The broker comes back as soon as the
// withdrawal has returned, well before the agent's 30 s poll of the consent
// record. A subscriber with a persistent session, in place before the agent
// starts, is sent every message the broker accepts. Once the outbox is
// empty, a sentinel published after that arrives alone, the agent counts
// no PUBLISH, and the audit log has the running agent's purge of the five.
func TestWithdrawalStopsQueuedSamples(t *testing.T) {
	needIntegration(t)
	v := short(t)
	for _, tc := range []struct {
		name     string
		withdraw func(t *testing.T, s *setup, p *agentProc)
	}{
		{"command", func(t *testing.T, s *setup, _ *agentProc) {
			s.cli("improvement", "withdraw", "--config", s.CfgPath, "--reason", "e2e withdrawal")
		}},
		{"reload", func(t *testing.T, s *setup, p *agentProc) { s.reloadOptedOut(p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newLoopingSetup(t, v)
			b := brokertest.Start(t, brokertest.Options{Verbose: true})
			sub := brokertest.Subscribe(t, b.URL(), "#", nil) // persistent: it is sent what arrives while it reconnects
			b.Stop()
			s.optIn(b.URL())
			s.write()
			const queued = 5
			s.enqueue(queued)

			p := startAgent(t, "run", "--config", s.CfgPath)
			p.waitFor("a failed connection to the broker", 2*time.Minute, func(ls []logLine) bool {
				return slices.ContainsFunc(ls, func(l logLine) bool { return l.msg() == "uplink interrupted; will retry" })
			})
			tc.withdraw(t, s, p)
			b.Start()
			eventually(t, "an empty outbox", time.Minute, func() bool { return outboxDepth(t, s) == 0 })

			const sentinel = 1000
			brokertest.Publish(t, b.URL(), s.Conf.Uplink.Topic, brokertest.Sample(sentinel, 0))
			if missing := sub.WaitFor([]string{brokertest.SampleID(sentinel)}, time.Minute); missing != nil {
				t.Fatal("the sentinel did not reach the subscriber")
			}
			if msgs := sub.Messages(); len(msgs) != 1 {
				t.Errorf("the subscriber got %d messages, want only the sentinel: %d queued samples were published after the withdrawal",
					len(msgs), len(msgs)-1)
			}
			if n := metric(scrape(t, s), "edge_uplink_published_total"); n != 0 {
				t.Errorf("edge_uplink_published_total = %v after the withdrawal, want 0", n)
			}
			eventually(t, "the running agent's purge of the outbox in the audit log", 30*time.Second, func() bool {
				return slices.ContainsFunc(auditEntries(t, s.Conf.Improvement.AuditPath), func(e map[string]any) bool {
					return e["purged_outbox"] == float64(queued)
				})
			})
			p.stop()
		})
	}
}
