package uplink

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// childEnv switches the test binary into the agent of TestSIGKILLIntegration.
const childEnv = "EDGE_UPLINK_TEST_AGENT"

// TestHelperAgent is the killed agent: it enqueues samples from START on,
// printing "enq N" once Enqueue returned (durable), while a publisher
// drains the outbox. It runs only as the child of TestSIGKILLIntegration.
func TestHelperAgent(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("child process of TestSIGKILLIntegration")
	}
	ob, err := OpenOutbox(os.Getenv("OUTBOX"), OutboxOptions{MaxAttempts: 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := New(testConfig(os.Getenv("BROKER")), ob, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	go func() { _ = p.Run(context.Background()) }()
	next, _ := strconv.Atoi(os.Getenv("START"))
	for i := next; ; i++ {
		if err := ob.Enqueue(brokertest.Sample(i, 300)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "enq %d\n", i)
		if i%4 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// (c) The agent is killed with SIGKILL at random moments 20 times and
// restarted each time: every sample whose Enqueue returned arrives.
func TestSIGKILLIntegration(t *testing.T) {
	integration(t)
	b := brokertest.Start(t, brokertest.Options{})
	sub := brokertest.Subscribe(t, b.URL(), topic, nil)
	path := filepath.Join(t.TempDir(), "outbox.db")
	enqueued := map[int]bool{}
	next := 0
	// A kill between Enqueue's return and the "enq" line leaves a sample
	// queued but unconfirmed: the one after the last confirmed of each run.
	var unconfirmed []string
	for run := range 20 {
		got := runAndKill(t, path, b.URL(), next, time.Duration(50+rand.IntN(250))*time.Millisecond)
		for _, n := range got {
			enqueued[n] = true
			next = max(next, n+1)
		}
		unconfirmed = append(unconfirmed, brokertest.SampleID(next))
		t.Logf("run %d: %d enqueues confirmed", run, len(got))
	}
	if _, total, _ := sub.Counts(); total == 0 {
		t.Fatal("nothing was published before the kills; they did not interrupt publishing")
	}
	// The 21st start ends cleanly: drain what the killed agents left.
	ob := openTest(t, path, OutboxOptions{})
	var ok string
	if err := ob.f.conn.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %s %v", ok, err)
	}
	p, err := New(testConfig(b.URL()), ob, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	for n := range enqueued {
		want = append(want, brokertest.SampleID(n))
	}
	if len(want) < 100 {
		t.Fatalf("only %d enqueues confirmed; the kills came too early to test anything", len(want))
	}
	checkArrivals(t, sub, want, 30*time.Second, unconfirmed...)
}

// runAndKill starts the agent child, kills it after d, and returns the
// sample numbers it confirmed.
func runAndKill(t *testing.T, path, broker string, start int, d time.Duration) []int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAgent$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", "OUTBOX="+path, "BROKER="+broker, "START="+strconv.Itoa(start))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "enq "); ok {
				if n, err := strconv.Atoi(v); err == nil {
					got = append(got, n)
				}
			}
		}
	}()
	time.Sleep(d) // the random moment of the kill
	_ = cmd.Process.Signal(syscall.SIGKILL)
	wg.Wait()
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("agent ended by itself: %v: %s", err, stderr.String())
	}
	return got
}
