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
// stores each pass's read provisionally, finalises it later, out of id
// order (every other pass lasts three passes longer), and offers it once
// final, without end, printing each id once final, until it is killed.
func TestCursorKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("run as the child of TestSIGKILLCursorMatchesSamples")
	}
	cfg := configIn(dir) // not t.TempDir(): the kill leaves no cleanup to remove it
	s := openStore(t, filepath.Join(dir, "reads.db"))
	p, err := New(cfg, testIdentity, newFakeSink(), nil, nil, nil)
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(1)
	}
	p.Start()
	if err := p.Follow(context.Background(), s); err != nil {
		fmt.Println("follow:", err)
		os.Exit(1)
	}
	type pass struct {
		r   read.Record
		due int // the pass at which it ends
	}
	var open []pass
	for i := 0; ; i++ {
		r := rec(fmt.Sprintf("KL%05d", i), t0.Add(time.Duration(i)*time.Millisecond), "u33d")
		if _, err := s.InsertProvisional(context.Background(), &r); err != nil {
			fmt.Println("insert:", err)
			os.Exit(1)
		}
		open = append(open, pass{r, i + 1 + 3*(i%2)})
		left := open[:0]
		for _, ps := range open {
			if ps.due > i {
				left = append(left, ps)
				continue
			}
			seq, err := s.Finalize(context.Background(), &ps.r)
			if err != nil {
				fmt.Println("finalize:", err)
				os.Exit(1)
			}
			p.OfferFinal(ps.r, seq)
			os.Stdout.WriteString(strconv.FormatInt(ps.r.ID, 10) + "\n")
		}
		open = left
	}
}

// TestSIGKILLCursorMatchesSamples kills a process that stores reads,
// finalises them out of id order and hands them over, at random moments:
// the reads at or below the persisted cursor (by final_seq) all have their
// sample and none above it does (the cursor moves in the transaction of the
// sample), and the next start makes exactly the missing samples, each once,
// the reads the kill left provisional included (the store makes them final
// when it opens).
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

		e := &env{clock: newFakeClock(t0), sink: newFakeSink(), cfg: configIn(dir)}
		s := openStore(t, filepath.Join(dir, "reads.db"))
		var stored []finalRead
		if err := s.QueryFinalAfter(context.Background(), 0, func(r read.Record, seq int64) error {
			stored = append(stored, finalRead{r, seq})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if c, err := s.Count(context.Background()); err != nil || c != len(stored) {
			t.Fatalf("round %d: %d reads stored, %d final after reopening (%v)", round, c, len(stored), err)
		}
		e.start(t) // does not follow yet: the queue is as the kill left it
		cur := e.cursor(t)
		above, outOfOrder := 0, 0
		for i, r := range stored {
			if has := sampled(t, e.p.db, r.Record); has != (r.seq <= cur) {
				t.Errorf("round %d: read %d (final_seq %d) has a sample: %v, with the cursor at %d", round, r.ID, r.seq, has, cur)
			}
			if r.seq > cur {
				above++
			}
			if i > 0 && r.ID < stored[i-1].ID {
				outOfOrder++
			}
		}
		if outOfOrder == 0 && len(stored) > 4 {
			t.Errorf("round %d: the reads became final in id order; the test means to finalise them out of it", round)
		}
		e.follow(t, s)
		e.flush(t, false)
		for _, r := range stored {
			if !sampled(t, e.p.db, r.Record) {
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
		t.Logf("round %d: killed after %d reads reported final; %d stored, cursor %d, %d made at the restart",
			round, n, len(stored), cur, above)
		e.p.Close()
	}
}
