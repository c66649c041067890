package improvement

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	readstore "github.com/edge-agent/edge-agent/internal/store"
)

// TestOutOfOrderFinalisationMissesNoRead: a long pass stored (provisional)
// before a short one ends after it, and the agent is killed between storing
// its final record and handing it over. The short pass's sample moves the
// cursor past the long pass's id, but not past its final_seq, so the next
// start samples it; provisional reads are never sampled, not even when
// offered.
func TestOutOfOrderFinalisationMissesNoRead(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e, s := newFollowing(t, cfg)
	long := rec("LONG001", t0, "u33d")
	short := rec("SHORT01", t0.Add(time.Second), "u33d")
	open := rec("OPEN001", t0.Add(2*time.Second), "u33d")
	for _, r := range []*read.Record{&long, &short, &open} {
		if _, err := s.InsertProvisional(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e.p.Offer(open) // provisional: only wakes the catch-up, which sees final reads only
	seq := e.finalize(t, s, short)
	e.flush(t, false)
	if c := e.cursor(t); c != seq || c < long.ID {
		t.Fatalf("cursor %d after the short pass (final_seq %d); the test wants it at or past the long pass's id %d", c, seq, long.ID)
	}
	if _, err := s.Finalize(ctx, &long); err != nil { // killed before OfferFinal
		t.Fatal(err)
	}
	e.p.Close()

	e.start(t)
	e.follow(t, s)
	e.flush(t, false)
	for _, r := range []read.Record{long, short} {
		if !sampled(t, e.p.db, r) {
			t.Errorf("%s has no sample", r.Plate)
		}
	}
	if sampled(t, e.p.db, open) {
		t.Error("the provisional read was sampled")
	}
	if made := e.counter(t, "made"); made != 1 || e.held(t) != 2 {
		t.Errorf("restart made %v samples (%d held), want the long pass's only", made, e.held(t))
	}
}

// TestCursorOfReadIDsIsKept: a holding queue written when the cursor
// counted read ids (column read_id) keeps its value as a final_seq: the
// store gave every read of that time its id as final_seq. The reads above
// it are sampled at the next start, the ones at or below it are not.
func TestCursorOfReadIDsIsKept(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	path := filepath.Join(t.TempDir(), "reads.db")
	s := openStore(t, path)
	reads := storeReads(t, s, 5)
	writeOldCursor(t, cfg.QueuePath, "read_id", reads[2].ID, path)

	e := newEnv(t, cfg)
	if c := e.cursor(t); c != reads[2].ID {
		t.Fatalf("cursor %d after opening the old queue, want %d", c, reads[2].ID)
	}
	if b, ok, err := e.p.Boundary(); err != nil || !ok || b != 0 {
		t.Fatalf("Boundary() of the old queue = %d, %v, %v; want 0: every read was final when stored", b, ok, err)
	}
	e.follow(t, s)
	e.flush(t, false)
	for i, r := range reads {
		if has := sampled(t, e.p.db, r.Record); has != (i > 2) {
			t.Errorf("read %d sampled: %v, want %v", r.ID, has, i > 2)
		}
	}
	if c := e.cursor(t); c != reads[4].seq {
		t.Errorf("cursor %d, want %d", c, reads[4].seq)
	}
}

// writeOldCursor writes the cursor table of an older holding queue at
// queuePath: its count column named column (read_id or final_seq), no
// boundary, following the read store at storePath from value on.
func writeOldCursor(t *testing.T, queuePath, column string, value int64, storePath string) {
	t.Helper()
	abs, err := filepath.Abs(storePath)
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite3", queuePath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = old.Exec(fmt.Sprintf(`CREATE TABLE cursor (
		id INTEGER PRIMARY KEY CHECK (id = 1), %s INTEGER NOT NULL, following INTEGER NOT NULL, store_path TEXT NOT NULL);
		INSERT INTO cursor VALUES (1, %d, 1, '%s')`, column, value, abs))
	old.Close()
	if err != nil {
		t.Fatal(err)
	}
}

var _ Reads = (*readstore.Store)(nil)
