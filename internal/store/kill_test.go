package store

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
)

// killChildEnv names the database the child process of
// TestSIGKILLKeepsReportedReads writes to.
const killChildEnv = "EDGE_STORE_KILL_CHILD_DB"

// TestKillChild is the child process: it inserts reads without end and prints
// each id once Insert has returned, until it is killed.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("run as the child of TestSIGKILLKeepsReportedReads")
	}
	s, err := Open(path, testCfg(), nil, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		rec := sampleRecord(time.Now(), 2000+i%5000)
		id, err := s.Insert(context.Background(), &rec)
		if err != nil {
			fmt.Println("insert:", err)
			os.Exit(1)
		}
		// One write per line: a pipe write this small is atomic.
		os.Stdout.WriteString(strconv.FormatInt(id, 10) + "\n")
	}
}

func TestSIGKILLKeepsReportedReads(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	for round := range 10 {
		path := filepath.Join(dir, fmt.Sprintf("kill%d.db", round))
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill after a random number of reported reads, and a random
		// fraction of an insert later, so that the kill lands anywhere in
		// the next insert's transaction.
		killAfter := 1 + rand.IntN(150)
		var reported []int64
		killed := false
		for line := range lines {
			id, err := strconv.ParseInt(line, 10, 64)
			if err != nil {
				t.Fatalf("round %d: child said %q", round, line)
			}
			reported = append(reported, id)
			if !killed && len(reported) == killAfter {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		// Lines the child wrote before it died are still read above.
		if err := cmd.Wait(); err == nil {
			t.Fatalf("round %d: child exited cleanly", round)
		}
		if !killed {
			t.Fatalf("round %d: child ended after %d reads before the kill", round, len(reported))
		}

		s, err := Open(path, testCfg(), testLog(t), nil)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		var check string
		if err := s.r.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check %q (%v)", round, check, err)
		}
		for _, id := range reported {
			if _, err := s.Get(context.Background(), id); err != nil {
				t.Fatalf("round %d: read %d was reported stored: %v", round, id, err)
			}
		}
		n, err := s.Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// At most the insert in flight at the kill was committed unreported.
		if n < len(reported) || n > len(reported)+1 {
			t.Fatalf("round %d: %d reads stored, %d reported", round, n, len(reported))
		}
		t.Logf("round %d: killed after %d reported reads; %d stored", round, len(reported), n)
		s.Close()
	}
}
