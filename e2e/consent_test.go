package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
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
// camera until samples are held, then withdraws by command while it runs:
// the held samples are purged, the withdrawal is audited, reads go on
// without making samples, and nothing ever reaches the broker.
func TestWithdrawMidRun(t *testing.T) {
	needIntegration(t)
	v := short(t)
	b, sub, s, camera := optedIn(t, v)
	s.Conf.Cameras[0].Loop = true
	s.write()

	p := startAgent(t, "run", "--config", s.CfgPath)
	var held int
	eventually(t, "a sample held", 4*time.Minute, func() bool {
		if !p.running() {
			t.Fatalf("agent exited: %s", p.errorText())
		}
		held, _ = improvementStatus(t, s)
		return held > 0
	})

	const reason = "e2e withdrawal"
	out := s.cli("improvement", "withdraw", "--config", s.CfgPath, "--reason", reason)
	if !strings.Contains(out, "withdrawn: purged") {
		t.Errorf("withdraw printed %q", out)
	}
	after, consent := improvementStatus(t, s)
	if after != 0 || !strings.HasPrefix(consent, "withdrawn since") {
		t.Errorf("after withdraw: %d held, consent %q; want 0 held, withdrawn", after, consent)
	}
	var found bool
	for _, e := range auditEntries(t, s.Conf.Improvement.AuditPath) {
		if e["event"] == "withdraw" && e["reason"] == reason {
			found = true
			if n, _ := e["purged_held"].(float64); n < 1 {
				t.Errorf("audit entry %v: purged_held %v, want at least 1 (%d were held)", e, n, held)
			}
		}
	}
	if !found {
		t.Errorf("no withdraw entry with reason %q in the audit log", reason)
	}

	// The running agent follows the withdrawal (it polls every 30 s) and
	// goes on reading without making samples.
	eventually(t, "the agent following the withdrawal", time.Minute, func() bool {
		return metric(scrape(t, s), "edge_improvement_consent", `state="withdrawn"`) == 1
	})
	p.waitStored(len(p.stored())+2, 3*time.Minute)
	if n, _ := improvementStatus(t, s); n != 0 {
		t.Errorf("%d samples held: reads after the withdrawal were made into samples", n)
	}
	p.stop()
	if n := outboxDepth(t, s); n != 0 {
		t.Errorf("outbox holds %d entries after the withdrawal", n)
	}
	time.Sleep(time.Second)
	if msgs := sub.messages(); len(msgs) != 0 {
		t.Errorf("subscriber got %d messages: held samples were published", len(msgs))
	}
	checkNoSecrets(t, "the broker log", b.Log.Bytes(), s.secrets(camera))
}
