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
		"--topic", "t", "--timeout", "300ms"}, &out, &errOut)
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
