package uplink

import (
	"context"
	"path/filepath"
	"testing"
)

// TestEnqueueIsFsynced checks the durability settings themselves, which a
// SIGKILL test cannot see (the kernel keeps what a killed process wrote;
// only a power cut loses what was not fsynced): the outbox is in WAL mode,
// and every commit that must survive a power cut (Enqueue, EnqueueBatch,
// Commit, Purge) runs with synchronous=FULL, which fsyncs the WAL before
// the commit returns, also right after a removal that ran with NORMAL.
func TestEnqueueIsFsynced(t *testing.T) {
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	events, err := ob.Queue("reads", OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	pragma := func(name string) string {
		t.Helper()
		ob.f.mu.Lock()
		defer ob.f.mu.Unlock()
		var v string
		if err := ob.f.conn.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const full, normal = "2", "1"
	if m := pragma("journal_mode"); m != "wal" {
		t.Fatalf("journal_mode %s, want wal", m)
	}
	removeOne := func() {
		t.Helper()
		es := peekAll(t, ob)
		if err := es[0].Remove(); err != nil {
			t.Fatal(err)
		}
		if s := pragma("synchronous"); s != normal {
			t.Fatalf("a removal ran with synchronous=%s; the README promises NORMAL (a lost removal only resends)", s)
		}
	}
	for _, c := range []struct {
		name string
		op   func() error
	}{
		{"Enqueue", func() error { return ob.Enqueue([]byte("a")) }},
		{"EnqueueBatch", func() error { return ob.EnqueueBatch([][]byte{[]byte("b"), []byte("c")}) }},
		{"Commit", func() error { return ob.Commit("cursor", 7, []Put{{events, []byte("d")}, {ob, []byte("e")}}) }},
		{"Purge", func() error { _, err := events.Purge(); return err }},
	} {
		name, op := c.name, c.op
		if err := ob.Enqueue([]byte("x")); err != nil {
			t.Fatal(err)
		}
		removeOne()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s := pragma("synchronous"); s != full {
			t.Errorf("%s committed with synchronous=%s, want FULL (%s): not fsynced before it returned", name, s, full)
		}
	}
}
