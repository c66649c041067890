package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// This file is the only one that starts processes.

// Proc is a finished child process.
type Proc struct {
	Stdout  string
	Elapsed time.Duration
	MaxRSS  int64 // peak resident set size, bytes (wait4 rusage)
}

// runLogged runs name with args, stderr appended to logPath, and returns its
// stdout, wall time and peak RSS. A non-zero exit is an error quoting the end
// of the log.
func runLogged(ctx context.Context, logPath, name string, args ...string) (Proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "$ %s %s\n", name, strings.Join(args, " "))
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, logf
	began := time.Now()
	err = cmd.Run()
	p := Proc{Stdout: stdout.String(), Elapsed: time.Since(began), MaxRSS: maxRSS(cmd.ProcessState)}
	if err != nil {
		return p, fmt.Errorf("%s %s: %w (log: %s)\n%s", name, strings.Join(args, " "), err, logPath, tail(readTail(logPath), 15))
	}
	return p, nil
}

// maxRSS is the peak RSS of a waited-for process, in bytes.
func maxRSS(st *os.ProcessState) int64 {
	if st == nil {
		return 0
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 8192 {
		b = b[len(b)-8192:]
	}
	return string(b)
}

// Daemon is a child process that runs until stopped.
type Daemon struct {
	cmd     *exec.Cmd
	started time.Time
	addr    chan string
	exited  chan struct{}
	waitErr error
}

// startDaemon starts name with args, its stderr (JSON log lines) appended
// to logPath; the address of its metrics server is read from its log line
// "serving metrics".
func startDaemon(logPath, name string, args ...string) (*Daemon, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Stdout = logf
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	d := &Daemon{cmd: cmd, started: time.Now(), addr: make(chan string, 1), exited: make(chan struct{})}
	go func() {
		defer close(d.exited)
		defer logf.Close()
		d.copyLog(stderr, logf)
		d.waitErr = cmd.Wait()
	}()
	return d, nil
}

// copyLog copies the log to w and hands on the metrics address once.
func (d *Daemon) copyLog(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w, line)
		if !found {
			if a := metricsAddress(line); a != "" {
				found = true
				d.addr <- a
			}
		}
	}
	_, _ = io.Copy(w, r)
}

// MetricsAddr waits up to timeout for the daemon to log its metrics address.
func (d *Daemon) MetricsAddr(timeout time.Duration) (string, error) {
	select {
	case a := <-d.addr:
		return a, nil
	case <-d.exited:
		return "", fmt.Errorf("the agent exited before serving metrics: %v", d.waitErr)
	case <-time.After(timeout):
		return "", fmt.Errorf("the agent logged no metrics address within %v", timeout)
	}
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Exited is closed when the daemon has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// Stop sends SIGTERM, waits up to grace for the exit (then kills), and
// returns the peak RSS.
func (d *Daemon) Stop(grace time.Duration) (int64, error) {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(grace):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return maxRSS(d.cmd.ProcessState), fmt.Errorf("the agent did not stop within %v of SIGTERM; killed", grace)
	}
	return maxRSS(d.cmd.ProcessState), d.waitErr
}

// vmRSS reads the resident set size of pid from /proc, in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

// parseVmRSS finds "VmRSS: N kB" in a /proc/PID/status text.
func parseVmRSS(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "VmRSS:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS line in /proc/PID/status")
}

// gitRevision is the short commit of dir's checkout, with "+dirty" when
// tracked files have changes; "unknown" without git.
func gitRevision(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "+dirty"
	}
	return rev
}
