package e2e

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOnSIGHUP: a config that does not validate is rejected on SIGHUP,
// with the error naming the key, and the agent keeps running on the old
// one; a valid config is applied (here: opting out, which withdraws).
func TestReloadOnSIGHUP(t *testing.T) {
	needIntegration(t)
	s, _ := newLoopingSetup(t, short(t))
	s.Conf.Improvement.Enabled = true
	s.write()

	p := startAgent(t, "run", "--config", s.CfgPath)
	p.waitFor("agent running", 2*time.Minute, func(ls []logLine) bool {
		return slices.ContainsFunc(ls, func(l logLine) bool { return l.msg() == "agent running" })
	})
	good, err := os.ReadFile(s.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "alpr:\n", "alpr:\n  regoin: eu\n", 1)
	if err := os.WriteFile(s.CfgPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the reload rejected by key", time.Minute, func(ls []logLine) bool {
		return slices.ContainsFunc(ls, func(l logLine) bool {
			e, _ := l["error"].(string)
			return strings.HasPrefix(l.msg(), "config reload rejected") && strings.Contains(e, "unknown key 'alpr.regoin'")
		})
	})
	if err := os.WriteFile(s.CfgPath, good, 0o600); err != nil { // for the status command below
		t.Fatal(err)
	}
	n := len(p.stored())
	p.waitStored(n+1, 3*time.Minute) // still reading on the old config
	if !p.running() {
		t.Fatal("the agent exited after an invalid reload")
	}
	if _, consent := improvementStatus(t, s); strings.HasPrefix(consent, "withdrawn") {
		t.Fatalf("consent %q after a rejected reload", consent)
	}

	s.reloadOptedOut(p)
	eventually(t, "edge_improvement_consent{state=\"opted_out\"} = 1", 30*time.Second, func() bool {
		return metric(scrape(t, s), "edge_improvement_consent", `state="opted_out"`) == 1
	})
	held, _ := improvementStatus(t, s)
	if held != 0 {
		t.Errorf("%d samples still held after opting out by reload", held)
	}
	p.stop()
}
