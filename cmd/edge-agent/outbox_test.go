package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

func fillOutbox(t *testing.T, path string, n int) {
	t.Helper()
	ob, err := uplink.OpenOutbox(path, uplink.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	for i := range n {
		if err := ob.Enqueue(fmt.Appendf(nil, `{"sample_id":"%032x"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOutboxCmdStatusAndPurge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	fillOutbox(t, path, 3)
	var out, errOut bytes.Buffer
	if err := outboxCmd(context.Background(), []string{"status", "--db", path}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	if !strings.Contains(out.String(), "queued       3 entries, 144 bytes") {
		t.Fatalf("status:\n%s", out.String())
	}
	out.Reset()
	if err := outboxCmd(context.Background(), []string{"purge", "--db", path}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != "purged 3 entries from "+path+"\n" {
		t.Fatalf("purge: %q", out.String())
	}
	out.Reset()
	if err := outboxCmd(context.Background(), []string{"status", "--db", path}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "queued       0 entries, 0 bytes") {
		t.Fatalf("status after purge:\n%s", out.String())
	}
}

// status shows the tenant's event queues; purge, a samples' matter, leaves
// them whole.
func TestOutboxCmdEventQueues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	fillOutbox(t, path, 1)
	ob, err := uplink.OpenOutbox(path, uplink.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := ob.Queue("reads", uplink.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueBatch([][]byte{[]byte(`{"schema":1}`), []byte(`{"schema":1}`)}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	ob.Close()
	var out, errOut bytes.Buffer
	for _, action := range []string{"purge", "status"} {
		if err := outboxCmd(context.Background(), []string{action, "--db", path}, &out, &errOut); err != nil {
			t.Fatal(err, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "purged 1 entries") || !strings.Contains(out.String(), "queue reads           2 entries, 24 bytes") {
		t.Fatalf("purge then status:\n%s", out.String())
	}
}

// With no broker listening, drain gives up after --timeout, leaves the
// entries queued and says so.
func TestOutboxCmdDrainTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	fillOutbox(t, path, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	var out, errOut bytes.Buffer
	start := time.Now()
	err = outboxCmd(context.Background(), []string{"drain", "--db", path, "--broker", "tcp://" + closed,
		"--topic", "t", "--timeout", "300ms", "--set", "improvement.enabled=true",
		"--set", "improvement.queue_path=" + filepath.Join(t.TempDir(), "improvement.db")}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "outbox drain: 2 entries still queued: context deadline exceeded") {
		t.Fatalf("drain: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("drain took %v with --timeout 300ms", time.Since(start))
	}
	if !strings.Contains(out.String(), "; 2 still queued") {
		t.Fatalf("drain output %q", out.String())
	}
}

// `outbox drain` sends nothing while the tenant does not consent: after a
// withdrawal by command that could not purge the outbox (the agent held
// it, and was stopped before it followed the withdrawal), or with
// improvement.enabled false. The entries stay queued, and a sentinel
// published after the refusal is the only message the broker delivers.
func TestOutboxCmdDrainRefusesWithoutConsent(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Mosquitto")
	}
	b := brokertest.Start(t, brokertest.Options{})
	sub := brokertest.Subscribe(t, b.URL(), "#", nil)
	for _, tc := range []struct {
		name                      string
		enabled, withdraw, resume bool
		want                      string
	}{
		{"withdrawn", true, true, false, "no consent to send samples: withdrawn since "},
		{"withdrawn and resumed", true, true, true, "no consent to send samples: consent was withdrawn and the outbox not purged since"},
		{"opted out", false, false, false, "no consent to send samples: improvement.enabled is false; 3 queued entries not sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "outbox.db")
			fillOutbox(t, path, 3)
			args := []string{"drain", "--db", path, "--broker", b.URL(), "--topic", "t", "--timeout", "30s",
				"--set", fmt.Sprintf("improvement.enabled=%v", tc.enabled),
				"--set", "improvement.queue_path=" + filepath.Join(dir, "improvement.db"),
				"--set", "improvement.audit_path=" + filepath.Join(dir, "audit.log")}
			if tc.withdraw {
				conf, err := loadConfig("", []string{"improvement.queue_path=" + filepath.Join(dir, "improvement.db"),
					"improvement.audit_path=" + filepath.Join(dir, "audit.log")})
				if err != nil {
					t.Fatal(err)
				}
				// nil: the running agent held the outbox, so the command could not purge it.
				if _, _, err := improvement.WithdrawOffline(conf.Improvement, "by test", nil, time.Now()); err != nil {
					t.Fatal(err)
				}
				if tc.resume {
					if err := improvement.ResumeOffline(conf.Improvement, time.Now()); err != nil {
						t.Fatal(err)
					}
				}
			}
			var out, errOut bytes.Buffer
			err := outboxCmd(context.Background(), args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("drain: %v\nwant an error holding %q", err, tc.want)
			}
			out.Reset()
			if err := outboxCmd(context.Background(), []string{"status", "--db", path}, &out, &errOut); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "queued       3 entries") {
				t.Errorf("status after the refused drain:\n%s", out.String())
			}
		})
	}
	const sentinel = 1000
	brokertest.Publish(t, b.URL(), "t", brokertest.Sample(sentinel, 0))
	if missing := sub.WaitFor([]string{brokertest.SampleID(sentinel)}, time.Minute); missing != nil {
		t.Fatal("the sentinel did not reach the subscriber")
	}
	if msgs := sub.Messages(); len(msgs) != 1 {
		t.Errorf("the subscriber got %d messages, want only the sentinel", len(msgs))
	}
}

func TestOutboxCmdErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "outbox: give status, drain or purge"},
		{[]string{"list"}, `outbox: unknown action "list": must be status, drain or purge`},
		{[]string{"status", "--db", filepath.Join(dir, "none.db")}, "outbox status: outbox " + filepath.Join(dir, "none.db") + ": stat " + filepath.Join(dir, "none.db") + ": no such file or directory"},
		{[]string{"status", "extra"}, `outbox status: unexpected argument "extra"`},
		{[]string{"drain", "--db", filepath.Join(dir, "o.db"), "--broker", "mqtt://h:1"}, "outbox drain: 'uplink.broker' must start with tcp:// or ssl://, not mqtt://"},
	} {
		var out, errOut bytes.Buffer
		err := outboxCmd(context.Background(), tc.args, &out, &errOut)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: got %v\nwant %s", tc.args, err, tc.want)
		}
	}
}
