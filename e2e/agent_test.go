package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/config"
)

// randomID returns prefix and 12 random hex digits: an identifier that
// cannot occur in a message by chance.
func randomID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// setup is one agent installation in a temporary folder: its config (every
// path inside the folder, distinctive random identity and camera name), the
// config file written from it, and the ids a message must never carry.
type setup struct {
	t       *testing.T
	Dir     string
	Conf    *config.Conf
	CfgPath string
}

// newSetup returns the defaults with every file in t.TempDir(), JSON logs,
// the metrics server on a free loopback port, random ids, and one camera
// named with a random id reading src.
func newSetup(t *testing.T, src string) *setup {
	t.Helper()
	dir := t.TempDir()
	c := config.Defaults()
	c.Identity = config.Identity{TenantID: randomID("tenant"), DeviceID: randomID("device"), VehicleID: randomID("vehicle")}
	c.Log.Format = "json"
	c.Cameras[0].Name = randomID("cam")
	c.Cameras[0].Source = src
	c.ALPR.ModelsDir = modelsDir(t)
	c.Store.Path = filepath.Join(dir, "reads.db")
	c.Metrics.Listen = fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))
	c.API.Listen = fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))
	c.Improvement.QueuePath = filepath.Join(dir, "improvement.db")
	c.Improvement.AuditPath = filepath.Join(dir, "improvement-audit.log")
	c.Uplink.OutboxPath = filepath.Join(dir, "outbox.db")
	return &setup{t: t, Dir: dir, Conf: c, CfgPath: filepath.Join(dir, "edge-agent.yaml")}
}

// newLoopingSetup is newSetup with its camera reading v, under a random
// file name, in a loop (a camera that never ends); it returns the setup and
// the camera name a replay would give that file.
func newLoopingSetup(t *testing.T, v video) (*setup, string) {
	t.Helper()
	s := newSetup(t, "")
	src, camera := linkVideo(t, s.Dir, v)
	s.Conf.Cameras[0].Source, s.Conf.Cameras[0].Loop = src, true
	return s, camera
}

// optIn turns the improvement programme and the uplink on with rules whose
// outcome the tests can compute from the stored reads: every cell is large
// enough (min_per_cell 1), one sample per plate and bucket, no release delay.
func (s *setup) optIn(broker string) {
	i := &s.Conf.Improvement
	i.Enabled, i.MinPerCell, i.MaxPerPlate, i.ReleaseJitter = true, 1, 1, 0
	u := &s.Conf.Uplink
	u.Enabled, u.Broker = true, broker
	u.BackoffMin, u.BackoffMax, u.ConnectTimeout = 50*time.Millisecond, time.Second, 5*time.Second
}

// write writes the config file and checks it with validate-config.
func (s *setup) write() {
	s.t.Helper()
	var b bytes.Buffer
	if err := config.Write(&b, s.Conf); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.CfgPath, b.Bytes(), 0o600); err != nil {
		s.t.Fatal(err)
	}
	if out, err := exec.Command(edgeAgent(s.t), "validate-config", s.CfgPath).CombinedOutput(); err != nil {
		s.t.Fatalf("validate-config %s: %v\n%s", s.CfgPath, err, out)
	}
}

// secrets are the identifiers no message, topic or broker log may hold:
// tenant, device, the configured camera and its source file name, and
// extra (the names of replay cameras, made from their files).
func (s *setup) secrets(extra ...string) []string {
	c := s.Conf
	out := []string{c.Identity.TenantID, c.Identity.DeviceID, c.Identity.VehicleID}
	for _, cam := range c.Cameras {
		out = append(out, cam.Name, filepath.Base(cam.Source))
	}
	return append(out, extra...)
}

// metricsURL is the base URL of the agent's /metrics and /healthz.
func (s *setup) metricsURL() string { return "http://" + s.Conf.Metrics.Listen }

// cli runs a short edge-agent command (status, withdraw, reads) and returns
// its stdout, failing the test on a non-zero exit.
func (s *setup) cli(args ...string) string {
	s.t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(edgeAgent(s.t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("edge-agent %s: %v\n%s%s", strings.Join(args, " "), err, out.Bytes(), errb.Bytes())
	}
	return out.String()
}

// logLine is one JSON log line of the agent.
type logLine map[string]any

func (l logLine) msg() string   { s, _ := l["msg"].(string); return s }
func (l logLine) level() string { s, _ := l["level"].(string); return s }

// agentProc is an edge-agent process whose JSON log lines (stderr) the test
// follows as they come.
type agentProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout bytes.Buffer

	mu      sync.Mutex
	lines   []logLine
	raw     []string // lines that are not JSON (the final error)
	changed chan struct{}
	exited  chan struct{}
	err     error // of Wait, valid once exited is closed
}

// startAgent starts edge-agent with args. The process is SIGKILLed at the
// end of the test if still running, and its log is printed when the test
// failed.
func startAgent(t *testing.T, args ...string) *agentProc {
	t.Helper()
	return startAgentEnv(t, nil, args...)
}

// startAgentEnv is startAgent with env (NAME=value) added to the
// environment the agent inherits.
func startAgentEnv(t *testing.T, env []string, args ...string) *agentProc {
	t.Helper()
	p := &agentProc{t: t, name: args[0], changed: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(edgeAgent(t), args...)
	p.cmd.Dir = t.TempDir()
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout = &p.stdout
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan struct{})
	go func() { defer close(readDone); p.follow(stderr) }()
	go func() {
		<-readDone
		err := p.cmd.Wait()
		p.mu.Lock()
		p.err = err
		close(p.exited)
		p.notify()
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("edge-agent %s log:\n%s", p.name, p.logText())
		}
	})
	return p
}

func (p *agentProc) follow(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l logLine
		p.mu.Lock()
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			p.lines = append(p.lines, l)
		} else {
			p.raw = append(p.raw, sc.Text())
		}
		p.notify()
		p.mu.Unlock()
	}
}

// notify wakes the waiters; p.mu is held.
func (p *agentProc) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// waitFor waits until cond holds over the log lines so far, or fails the
// test after timeout or when the process exits without it holding.
func (p *agentProc) waitFor(what string, timeout time.Duration, cond func([]logLine) bool) {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		ok, ch := cond(p.lines), p.changed
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-p.exited:
			p.mu.Lock()
			ok = cond(p.lines)
			p.mu.Unlock()
			if !ok {
				p.t.Fatalf("edge-agent %s exited (%v) before %s", p.name, p.err, what)
			}
			return
		case <-deadline.C:
			p.t.Fatalf("edge-agent %s: no %s within %s", p.name, what, timeout)
		}
	}
}

// stored returns the ids of the reads the log reported stored.
func (p *agentProc) stored() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return storedIDs(p.lines)
}

func storedIDs(lines []logLine) []int64 {
	var ids []int64
	for _, l := range lines {
		if l.msg() == "read stored" && l.level() == "INFO" {
			if id, ok := l["id"].(float64); ok {
				ids = append(ids, int64(id))
			}
		}
	}
	return ids
}

// waitStored waits until the log reported at least n reads stored in all.
func (p *agentProc) waitStored(n int, timeout time.Duration) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%d reads stored", n), timeout, func(ls []logLine) bool { return len(storedIDs(ls)) >= n })
}

// wait waits for the process to exit and returns its error (nil: exit 0).
func (p *agentProc) wait(timeout time.Duration) error {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("edge-agent %s still running after %s", p.name, timeout)
	}
	return p.err
}

// stop sends SIGTERM and waits for a clean exit.
func (p *agentProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(60 * time.Second); err != nil {
		p.t.Fatalf("edge-agent %s exited with %v after SIGTERM", p.name, err)
	}
}

// kill sends SIGKILL and waits for the process to die.
func (p *agentProc) kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	_ = p.wait(30 * time.Second)
}

// running reports whether the process has not exited.
func (p *agentProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// logText is the whole log as the agent wrote it.
func (p *agentProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	for _, r := range p.raw {
		b.WriteString(r)
		b.WriteByte('\n')
	}
	return b.String()
}

// errorText is what the process wrote outside its JSON log (the final
// error of a failed command).
func (p *agentProc) errorText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.raw, "\n")
}

// linesAt returns the log lines at level or above (INFO, WARN, ERROR).
func (p *agentProc) linesAt(levels ...string) []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []logLine
	for _, l := range p.lines {
		for _, lv := range levels {
			if l.level() == lv {
				out = append(out, l)
			}
		}
	}
	return out
}
