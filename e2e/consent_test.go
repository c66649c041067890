package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
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

// TestWithdrawMidRun runs the daemon for an opted-in tenant on a looping
// camera, with samples released earlier still queued in the outbox (the
// broker is unreachable), until new samples are held; then it withdraws by
// command while the agent runs. The command purges the held samples and
// audits the withdrawal; the running agent follows it and purges its
// outbox (audited too); reads go on without making samples; and once the
// broker is back, nothing reaches it.
func TestWithdrawMidRun(t *testing.T) {
	needIntegration(t)
	v := short(t)
	s := newSetup(t, "")
	src, camera := linkVideo(t, s.Dir, v)
	s.Conf.Cameras[0].Source, s.Conf.Cameras[0].Loop = src, true
	b := brokertest.New(t, brokertest.Options{Verbose: true}) // not started until the end
	s.optIn(b.URL())
	s.write()
	const queued = 5
	ob, err := uplink.OpenOutbox(s.Conf.Uplink.OutboxPath, uplink.OutboxOptionsFrom(s.Conf.Uplink))
	if err != nil {
		t.Fatal(err)
	}
	for i := range queued {
		if err := ob.Enqueue(fmt.Appendf(nil, `{"sample_id":"%032x"}`, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	ob.Close()

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
