package improvement

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/read"
)

// killChildEnv names the folder of the child process of
// TestSIGKILLCursorMatchesSamples.
const killChildEnv = "EDGE_IMPROVEMENT_KILL_CHILD_DIR"

// TestCursorKillChild is the child process: as the agent's sink does, it
// stores reads and offers each once stored, without end, printing each id,
// until it is killed.
func TestCursorKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("run as the child of TestSIGKILLCursorMatchesSamples")
	}
	cfg := testConfig(t)
	cfg.QueuePath, cfg.AuditPath = filepath.Join(dir, "improvement.db"), filepath.Join(dir, "audit.log")
	s := openStore(t, filepath.Join(dir, "reads.db"))
	p, err := New(cfg, testIdentity, newFakeSink(), nil, nil, nil)
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(1)
	}
	if err := p.Follow(context.Background(), s); err != nil {
		fmt.Println("follow:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		r := rec(fmt.Sprintf("KL%05d", i), t0.Add(time.Duration(i)*time.Millisecond), "u33d")
		if _, err := s.Insert(context.Background(), &r); err != nil {
			fmt.Println("insert:", err)
			os.Exit(1)
		}
		p.Offer(r)
		os.Stdout.WriteString(strconv.FormatInt(r.ID, 10) + "\n")
	}
}

// TestSIGKILLCursorMatchesSamples kills a process that stores reads and
// hands them over, at random moments: the reads at or below the persisted
// cursor all have their sample and none above it does (the cursor moves in
// the transaction of the sample), and the next start makes exactly the
// missing samples, each once.
func TestSIGKILLCursorMatchesSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round := range 6 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCursorKillChild$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killAfter, n := 5+rand.IntN(80), 0
		for n < killAfter && sc.Scan() {
			if _, err := strconv.ParseInt(sc.Text(), 10, 64); err != nil {
				t.Fatalf("round %d: child said %q", round, sc.Text())
			}
			n++
		}
		time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond) // anywhere in the next insert or sample
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() {
		}
		if err := cmd.Wait(); err == nil {
			t.Fatalf("round %d: child exited cleanly after %d reads", round, n)
		}

		e := &env{clock: newFakeClock(t0), sink: newFakeSink(), cfg: testConfig(t)}
		e.cfg.QueuePath, e.cfg.AuditPath = filepath.Join(dir, "improvement.db"), filepath.Join(dir, "audit.log")
		s := openStore(t, filepath.Join(dir, "reads.db"))
		var stored []read.Record
		if err := s.QueryAfterID(context.Background(), 0, func(r read.Record) error {
			stored = append(stored, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		e.start(t) // does not follow yet: the queue is as the kill left it
		cur := e.cursor(t)
		above := 0
		for _, r := range stored {
			if has := sampled(t, e.p.db, r); has != (r.ID <= cur) {
				t.Errorf("round %d: read %d has a sample: %v, with the cursor at %d", round, r.ID, has, cur)
			}
			if r.ID > cur {
				above++
			}
		}
		e.follow(t, s)
		e.flush(t, false)
		for _, r := range stored {
			if !sampled(t, e.p.db, r) {
				t.Errorf("round %d: read %d has no sample after the restart", round, r.ID)
			}
		}
		if got := testutil.ToFloat64(e.p.m.reoffered); got != float64(above) || e.counter(t, "made") != float64(above) {
			t.Errorf("round %d: restart offered %v reads again and made %v samples, want the %d above the cursor",
				round, got, e.counter(t, "made"), above)
		}
		if d := e.counter(t, "suppressed", ReasonDuplicate); d != 0 {
			t.Errorf("round %d: %v duplicates", round, d)
		}
		t.Logf("round %d: killed after %d reads reported; %d stored, cursor %d, %d made at the restart",
			round, n, len(stored), cur, above)
		e.p.Close()
	}
}
