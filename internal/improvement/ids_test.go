package improvement

import (
	"bytes"
	"database/sql"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/sanitize"
)

// TestNoIdentifiersReleased runs random programmes (random distinctive ids,
// settings and reads, some plates containing an id) and byte-searches every
// released message for the tenant, device and camera ids.
func TestNoIdentifiersReleased(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[r.IntN(len(alnum))]
		}
		return string(b)
	}
	for round := range 6 {
		cfg := testConfig(t)
		cfg.IncludeRead = true
		cfg.MinPerCell = 1 + r.IntN(3)
		cfg.GeohashPrecision = 1 + r.IntN(5)
		cfg.TimeBucket = time.Duration(15+r.IntN(24*60-15)) * time.Minute
		// Ids made of plate characters, so that a plate can contain one.
		id := config.Identity{TenantID: word(6), DeviceID: word(7)}
		camera := word(6)
		clock := newFakeClock(t0)
		sink := newFakeSink()
		p, err := New(cfg, id, sink, nil, prometheus.NewRegistry(), clock)
		if err != nil {
			t.Fatal(err)
		}
		p.Start()
		refused := 0
		for i := range 40 {
			plate := word(3 + r.IntN(5))
			if i%5 == 0 { // a plate that contains one of the ids
				plate = plate[:1] + []string{id.TenantID, id.DeviceID, camera}[r.IntN(3)] + plate[1:2]
				refused++
			}
			rd := rec(plate, t0.Add(-time.Duration(r.IntN(3600))*time.Second), []string{"u33d", "u33e", ""}[r.IntN(3)])
			rd.Camera = camera
			p.Offer(rd)
			if i%8 == 7 {
				p.Flush(t.Context(), FlushOptions{})
			}
		}
		clock.Advance(48 * time.Hour)
		if _, err := p.Flush(t.Context(), FlushOptions{}); err != nil {
			t.Fatal(err)
		}
		_, _, _, all := sink.snapshot()
		if len(all) == 0 {
			t.Fatalf("round %d: nothing released", round)
		}
		pol := sanitize.Policy{Improvement: cfg, Identity: id, Cameras: []string{camera}}
		for _, b := range all {
			for _, s := range []string{id.TenantID, id.DeviceID, camera} {
				if bytes.Contains(b, []byte(s)) {
					t.Fatalf("round %d: released payload holds id %q", round, s)
				}
			}
			if err := sanitize.AuditPayload(b, pol); err != nil {
				t.Fatal(err)
			}
		}
		if got := testutil.ToFloat64(p.m.suppressed.WithLabelValues(ReasonIdentifier)); got != float64(refused) {
			t.Errorf("round %d: %v refused for an identifier", round, got)
		}
		p.Close()
	}
}

// TestInvalidRecordsAreCounted: records the encoder refuses are counted,
// never held.
func TestInvalidRecordsAreCounted(t *testing.T) {
	e := newEnv(t, testConfig(t))
	bad := rec("BAD001", t0, "u33d")
	bad.Crop = []byte("not a jpeg")
	e.p.Offer(bad)
	noTime := rec("BAD002", time.Time{}, "u33d")
	e.p.Offer(noTime)
	outside := rec("BAD003", t0, "u33d")
	outside.CropBox = image.Rect(500, 500, 600, 600)
	e.p.Offer(outside)
	cfg := e.cfg
	cfg.IncludeRead = true
	if err := e.p.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	e.flush(t, false)
	e.p.Offer(rec("ab12cd", t0, "u33d")) // not plate characters
	e.flush(t, false)
	if e.held(t) != 0 || e.counter(t, "suppressed", ReasonInvalid) != 3 || e.counter(t, "suppressed", ReasonClock) != 1 {
		t.Errorf("held %d, invalid %v, clock %v (no capture time), identifier %v", e.held(t), e.counter(t, "suppressed", ReasonInvalid),
			e.counter(t, "suppressed", ReasonClock), e.counter(t, "suppressed", ReasonIdentifier))
	}
}

// TestQueueFile: the holding queue is mode 0600 and in WAL mode.
func TestQueueFile(t *testing.T) {
	e := newEnv(t, testConfig(t))
	info, err := os.Stat(e.cfg.QueuePath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("queue mode %v, %v", info.Mode(), err)
	}
	var mode string
	if err := e.p.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v", mode, err)
	}
	if _, err := New(config.Improvement{}, testIdentity, e.sink, nil, nil, nil); err == nil {
		t.Error("New accepted an empty configuration")
	}
	if _, err := New(e.cfg, testIdentity, nil, nil, nil, nil); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "no sink") {
		t.Errorf("New without sink: %v", err)
	}
}

// TestMetricsExposition checks the metric names and help texts as served.
func TestMetricsExposition(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(3) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	want := `
# HELP edge_improvement_samples_held Improvement samples waiting in the holding queue.
# TYPE edge_improvement_samples_held gauge
edge_improvement_samples_held 3
# HELP edge_improvement_samples_made_total Improvement samples made and put in the holding queue.
# TYPE edge_improvement_samples_made_total counter
edge_improvement_samples_made_total 3
# HELP edge_improvement_samples_released_total Improvement samples released to the uplink outbox.
# TYPE edge_improvement_samples_released_total counter
edge_improvement_samples_released_total 0
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want), "edge_improvement_samples_held",
		"edge_improvement_samples_made_total", "edge_improvement_samples_released_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(e.reg, "edge_improvement_samples_suppressed_total"); err != nil || n != len(reasons) {
		t.Errorf("suppressed series %d, %v", n, err)
	}
	problems, err := testutil.GatherAndLint(e.reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestQueueIsFsynced checks the holding queue's durability settings on
// its connections, which a SIGKILL test cannot see (only a power cut loses
// what was not fsynced): WAL with synchronous=FULL, so a held sample and a
// withdrawal are on stable storage once committed.
func TestQueueIsFsynced(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for name, db := range map[string]*sql.DB{"samples": e.p.db, "consent": e.p.consent} {
		var mode string
		var sync int
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%s connection: journal_mode %q (%v), want wal", name, mode, err)
		}
		if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
			t.Errorf("%s connection: synchronous %d (%v), want 2 (FULL)", name, sync, err)
		}
	}
}
