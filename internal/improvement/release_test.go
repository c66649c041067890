package improvement

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
)

// Cells used below: u33d and u33e share the parent u33; u0 is far away.
func TestKThresholdGeneralize(t *testing.T) {
	e := newEnv(t, testConfig(t))
	e.clock.Set(t0.Add(10 * time.Minute)) // no capture stamp in the future
	pl := plates(20)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	i := 0
	offer := func(cell string, n int) {
		for range n {
			e.p.Offer(rec(pl[i], at(i), cell))
			i++
		}
	}
	offer("u33d", 3) // meets k: released at precision 4
	offer("u33e", 1) // under k, generalised to u33 together with …
	offer("u33f", 2) // … these two: 3 in u33, released
	offer("u0bc", 1) // under k, and its parent u0b holds only it: dropped
	offer("", 2)     // no fix: cannot be generalised, under k: dropped
	e.flush(t, false)
	if e.held(t) != 9 {
		t.Fatalf("held %d", e.held(t))
	}
	e.clock.Set(t0.Add(time.Hour))
	if n := e.flush(t, true); n != 6 {
		t.Fatalf("released %d; want 6", n)
	}
	_, _, _, all := e.sink.snapshot()
	cells := map[string]int{}
	for _, s := range decode(t, e.cfg, all) {
		cells[s.Geohash]++
	}
	if len(cells) != 2 || cells["u33d"] != 3 || cells["u33"] != 3 {
		t.Errorf("released cells %v; want u33d:3 u33:3", cells)
	}
	if e.counter(t, "suppressed", ReasonKThreshold) != 3 || e.counter(t, "generalized") != 3 || e.counter(t, "released") != 6 {
		t.Errorf("k_threshold %v, generalized %v, released %v", e.counter(t, "suppressed", ReasonKThreshold),
			e.counter(t, "generalized"), e.counter(t, "released"))
	}
	if e.held(t) != 0 {
		t.Errorf("held %d after the release", e.held(t))
	}
}

func TestKThresholdDrop(t *testing.T) {
	cfg := testConfig(t)
	cfg.BelowThreshold = "drop"
	cfg.MinPerCell = 2
	e := newEnv(t, cfg)
	pl := plates(5)
	for i, cell := range []string{"u33d", "u33d", "u33e", "u33f", ""} {
		e.p.Offer(rec(pl[i], t0, cell))
	}
	e.flush(t, false)
	e.clock.Set(t0.Add(time.Hour))
	if n := e.flush(t, true); n != 2 {
		t.Fatalf("released %d; want the 2 of u33d", n)
	}
	if e.counter(t, "suppressed", ReasonKThreshold) != 3 || e.counter(t, "generalized") != 0 {
		t.Errorf("k_threshold %v", e.counter(t, "suppressed", ReasonKThreshold))
	}
}

// TestPlateCap: one sample per plate per bucket, also after the salt's
// rotation time passed inside the bucket (the bucket keeps its salt); the
// next bucket takes the plate again, under a new salt.
func TestPlateCap(t *testing.T) {
	cfg := testConfig(t)
	cfg.TimeBucket = 24 * time.Hour
	cfg.SaltRotation = time.Hour
	cfg.MinPerCell = 1
	e := newEnv(t, cfg)
	e.p.Offer(rec("CAP001", e.clock.Now(), "u33d"))
	e.p.Offer(rec("CAP001", e.clock.Now(), "u33d"))
	e.p.Offer(rec("CAP002", e.clock.Now(), "u33d"))
	e.flush(t, false)
	e.clock.Advance(3 * time.Hour) // the salt rotates
	e.p.Offer(rec("CAP001", e.clock.Now(), "u33d"))
	e.p.Offer(rec("CAP003", e.clock.Now(), "u33d"))
	e.flush(t, false)
	var salts int
	e.p.db.QueryRow(`SELECT count(*) FROM salts`).Scan(&salts)
	if e.counter(t, "made") != 3 || e.counter(t, "suppressed", ReasonPlateCap) != 2 || salts != 1 {
		t.Fatalf("made %v, plate_cap %v, salts %d", e.counter(t, "made"), e.counter(t, "suppressed", ReasonPlateCap), salts)
	}
	e.clock.Set(time.Date(2025, 6, 3, 1, 0, 0, 0, time.UTC)) // next day's bucket
	e.p.Offer(rec("CAP001", e.clock.Now(), "u33d"))
	e.flush(t, true)
	if e.counter(t, "made") != 4 || e.counter(t, "released") != 3 {
		t.Errorf("made %v, released %v", e.counter(t, "made"), e.counter(t, "released"))
	}
	// Released buckets keep no plate hashes, and unused salts are gone.
	var hashes int
	e.p.db.QueryRow(`SELECT count(*) FROM samples WHERE plate IS NOT NULL AND ready = 1`).Scan(&hashes)
	e.p.db.QueryRow(`SELECT count(*) FROM salts`).Scan(&salts)
	if hashes != 0 || salts != 1 {
		t.Errorf("%d plate hashes in released samples, %d salts", hashes, salts)
	}

	capped := testConfig(t)
	capped.MaxPerPlate = 2
	e2 := newEnv(t, capped)
	for range 4 {
		e2.p.Offer(rec("TWICE1", t0, "u33d"))
	}
	e2.flush(t, false)
	if e2.counter(t, "made") != 2 || e2.counter(t, "suppressed", ReasonPlateCap) != 2 {
		t.Errorf("max_per_plate 2: made %v", e2.counter(t, "made"))
	}
}

func TestDailyCapAndSampleRate(t *testing.T) {
	cfg := testConfig(t)
	cfg.DailyCap = 2
	e := newEnv(t, cfg)
	for _, pl := range plates(5) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	if e.counter(t, "made") != 2 || e.counter(t, "suppressed", ReasonDailyCap) != 3 {
		t.Errorf("made %v, daily_cap %v", e.counter(t, "made"), e.counter(t, "suppressed", ReasonDailyCap))
	}
	e.clock.Set(time.Date(2025, 6, 3, 0, 0, 1, 0, time.UTC))
	e.p.Offer(rec("NEXTDAY", e.clock.Now(), "u33d"))
	e.flush(t, false)
	if e.counter(t, "made") != 3 {
		t.Errorf("next day: made %v", e.counter(t, "made"))
	}

	none := testConfig(t)
	none.SampleRate = 0
	e2 := newEnv(t, none)
	for _, pl := range plates(10) {
		e2.p.Offer(rec(pl, t0, "u33d"))
	}
	e2.flush(t, true)
	if e2.counter(t, "made") != 0 || e2.counter(t, "suppressed", ReasonSampleRate) != 10 {
		t.Errorf("sample_rate 0: made %v", e2.counter(t, "made"))
	}
}

// TestReleaseAfterCloseAndJitter: nothing leaves before the bucket has
// closed and its random delay has passed; then all of it does.
func TestReleaseAfterCloseAndJitter(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(4) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	var jitter int64
	if err := e.p.db.QueryRow(`SELECT jitter FROM buckets`).Scan(&jitter); err != nil {
		t.Fatal(err)
	}
	if jitter < 0 || time.Duration(jitter) > e.cfg.ReleaseJitter {
		t.Fatalf("jitter %v outside 0..%v", time.Duration(jitter), e.cfg.ReleaseJitter)
	}
	closes := time.Date(2025, 6, 2, 11, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{t0.Add(30 * time.Minute), closes.Add(-time.Nanosecond), closes.Add(time.Duration(jitter) - time.Nanosecond)} {
		e.clock.Set(at)
		if n := e.flush(t, false); n != 0 || e.held(t) != 4 {
			t.Fatalf("at %s: released %d", at.Format(time.TimeOnly), n)
		}
	}
	e.clock.Set(closes.Add(time.Duration(jitter)))
	if n := e.flush(t, false); n != 4 {
		t.Fatalf("after close + jitter: released %d", n)
	}
	// A read of that hour arriving now is late: its bucket is gone.
	e.p.Offer(rec("LATE01", t0, "u33d"))
	e.flush(t, false)
	if e.counter(t, "suppressed", ReasonLate) != 1 {
		t.Errorf("late %v", e.counter(t, "suppressed", ReasonLate))
	}
	// SkipJitter still waits for the bucket to close.
	e.p.Offer(rec("OPEN01", e.clock.Now(), "u33d"))
	if n := e.flush(t, true); n != 0 {
		t.Errorf("an open bucket was released with SkipJitter")
	}
}

// TestJitterIsRandom: buckets get different delays.
func TestJitterIsRandom(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e := newEnv(t, cfg)
	e.clock.Set(t0.Add(8 * time.Hour)) // no capture stamp in the future
	for h := range 8 {
		e.p.Offer(rec(plates(8)[h], t0.Add(time.Duration(h)*time.Hour), "u33d"))
	}
	e.flush(t, false)
	var distinct int
	e.p.db.QueryRow(`SELECT count(DISTINCT jitter) FROM buckets`).Scan(&distinct)
	if distinct < 2 {
		t.Errorf("8 buckets share one release delay")
	}
}

// TestShuffledOrder: a release batch does not go out in the order the
// samples were made.
func TestShuffledOrder(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for i, pl := range plates(24) {
		e.p.Offer(rec(pl, t0.Add(time.Duration(i)*time.Second), "u33d"))
		if i%intakeSize == intakeSize-1 { // Offer drops what the intake cannot hold
			e.flush(t, false)
		}
	}
	e.flush(t, false)
	var made []string
	rows, err := e.p.db.Query(`SELECT payload FROM samples ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		made = append(made, string(b))
	}
	rows.Close()
	e.clock.Set(t0.Add(2 * time.Hour))
	e.flush(t, false)
	_, _, _, all := e.sink.snapshot()
	var sent []string
	for _, b := range all {
		sent = append(sent, string(b))
	}
	if len(sent) != 24 || slices.Equal(sent, made) {
		t.Fatalf("%d sent, in the order made: %v", len(sent), slices.Equal(sent, made))
	}
	slices.Sort(sent)
	slices.Sort(made)
	if !slices.Equal(sent, made) {
		t.Error("the released payloads are not the held ones")
	}
}

// TestRunReleases drives the release loop with the fake clock: the clock
// moves a minute each time the loop sleeps, never while it works, so the
// test does not depend on how fast a loaded machine runs the loop.
func TestRunReleases(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(3) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.p.Run(ctx) }()
	for got, steps := 0, 0; got < 3; {
		select {
		case <-e.sink.enqueued:
			got++
		case <-e.clock.waiting:
			if steps++; steps > 24*60 {
				t.Fatalf("Run released %d of 3 in a day of the fake clock", got)
			}
			e.clock.Advance(time.Minute) // the bucket closes and its delay passes in about 70 steps
		}
	}
	if e.clock.Now().Before(time.Date(2025, 6, 2, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("released at %s, before the bucket closed", e.clock.Now())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestDuplicateEvent: offering one read event twice makes one sample.
func TestDuplicateEvent(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxPerPlate = 5
	e := newEnv(t, cfg)
	r := rec("DUP001", t0, "u33d")
	e.p.Offer(r)
	e.p.Offer(r)
	e.flush(t, false)
	if e.counter(t, "made") != 1 || e.counter(t, "suppressed", ReasonDuplicate) != 1 {
		t.Errorf("made %v, duplicate %v", e.counter(t, "made"), e.counter(t, "suppressed", ReasonDuplicate))
	}
}

// TestOfferNeverBlocks: with the worker stuck on a locked queue, Offer still
// returns at once and counts what it drops.
func TestOfferNeverBlocks(t *testing.T) {
	e := newEnv(t, testConfig(t))
	tx, err := e.p.db.Begin() // the only connection: the worker waits for it
	if err != nil {
		t.Fatal(err)
	}
	r := rec("BUSY01", t0, "u33d")
	for range 100 {
		e.p.Offer(r)
	}
	if busy := e.counter(t, "suppressed", ReasonBusy); busy < 100-intakeSize-1 {
		t.Errorf("busy %v", busy)
	}
	tx.Rollback()
}

// BenchmarkOffer measures the cost Offer puts on the read pipeline.
func BenchmarkOffer(b *testing.B) {
	cfg := config.Improvement{Enabled: true, MaxWidth: 320, Margin: 0.1, TimeBucket: time.Hour, GeohashPrecision: 4,
		MinPerCell: 3, BelowThreshold: "generalize", MaxPerPlate: 1, SaltRotation: 24 * time.Hour, SampleRate: 1, DailyCap: 1000,
		QueuePath: filepath.Join(b.TempDir(), "q.db"), AuditPath: filepath.Join(b.TempDir(), "a.log")}
	p, err := New(cfg, testIdentity, newFakeSink(), nil, nil, newFakeClock(t0))
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	defer p.Close()
	r := rec("BENCH1", t0, "u33d")
	b.ReportAllocs()
	for b.Loop() {
		p.Offer(r)
	}
}

// TestKThresholdCountsVehicles: the k-threshold counts distinct plates, not
// samples: three samples of one vehicle (max_per_plate 3) do not make a
// cell of three; three vehicles do.
func TestKThresholdCountsVehicles(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell, cfg.MaxPerPlate, cfg.BelowThreshold = 3, 3, "drop"
	e := newEnv(t, cfg)
	e.clock.Set(t0.Add(5 * time.Minute)) // no capture stamp in the future
	pl := plates(4)
	for i := range 3 {
		e.p.Offer(rec(pl[3], t0.Add(time.Duration(i)*time.Minute), "u33d")) // one vehicle, three reads
		e.p.Offer(rec(pl[i], t0.Add(time.Duration(i)*time.Minute), "u0bc")) // three vehicles
	}
	e.flush(t, false)
	if e.held(t) != 6 {
		t.Fatalf("held %d; want 6", e.held(t))
	}
	e.clock.Set(t0.Add(time.Hour))
	e.flush(t, true)
	_, _, _, all := e.sink.snapshot()
	cells := map[string]int{}
	for _, s := range decode(t, e.cfg, all) {
		cells[s.Geohash]++
	}
	if len(cells) != 1 || cells["u0bc"] != 3 {
		t.Errorf("released cells %v; want u0bc:3 (three vehicles), not u33d (three reads of one)", cells)
	}
	if n := e.counter(t, "suppressed", ReasonKThreshold); n != 3 {
		t.Errorf("k_threshold suppressions %v; want the 3 samples of the one vehicle", n)
	}
}

// TestUntrustedStampsMakeNoSample: a read stamped in the future of the
// programme's clock, or before the clock was set (1970), makes no sample:
// no bucket, and so no release, rests on a stamp from a wrong clock.
func TestUntrustedStampsMakeNoSample(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e := newEnv(t, cfg)
	pl := plates(3)
	e.p.Offer(rec(pl[0], t0.Add(3*time.Hour), "u33d"))  // clock ahead when stamped
	e.p.Offer(rec(pl[1], time.Unix(95, 0), "u33d"))     // clock not set yet
	e.p.Offer(rec(pl[2], t0.Add(-time.Minute), "u33d")) // a trusted stamp
	e.flush(t, false)
	if e.held(t) != 1 || e.counter(t, "suppressed", ReasonClock) != 2 {
		t.Fatalf("held %d, clock %v; want 1 held and the 2 untrusted stamps suppressed", e.held(t), e.counter(t, "suppressed", ReasonClock))
	}
	var buckets int
	e.p.db.QueryRow(`SELECT count(*) FROM buckets`).Scan(&buckets)
	if buckets != 1 {
		t.Errorf("%d buckets; want only the trusted stamp's", buckets)
	}
}

// TestOfferStampedByClockAheadDoesNotHoldBucket: a sample offered while the
// clock ran a day ahead (a read caught up from the store then) is released
// once its bucket closed and the release delay passed on the corrected
// clock, not a day later.
func TestOfferStampedByClockAheadDoesNotHoldBucket(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinPerCell = 1
	e := newEnv(t, cfg)
	e.clock.Set(t0.Add(24 * time.Hour)) // ahead
	e.p.Offer(rec(plates(1)[0], t0, "u33d"))
	e.flush(t, false)
	e.clock.Set(t0.Add(2 * time.Hour)) // set right: the bucket closed an hour ago
	e.flush(t, false)
	e.clock.Advance(cfg.ReleaseJitter + time.Second)
	if n := e.flush(t, false); n != 1 {
		t.Errorf("released %d; want the sample, due since its release delay passed on the corrected clock", n)
	}
}

// TestReleaseDropsSamplesOverTheCap: a sample the outbox refuses as larger
// than its byte cap, which it would refuse at every try, is dropped and
// counted, and the samples after it are released.
func TestReleaseDropsSamplesOverTheCap(t *testing.T) {
	e := newEnv(t, testConfig(t))
	for _, pl := range plates(4) {
		e.p.Offer(rec(pl, t0, "u33d"))
	}
	e.flush(t, false)
	e.sink.mu.Lock()
	e.sink.tooLarge = 1
	e.sink.mu.Unlock()
	e.clock.Set(t0.Add(2 * time.Hour))
	if n := e.flush(t, true); n != 3 {
		t.Errorf("released %d, want the 3 that fit", n)
	}
	if h := e.held(t); h != 0 {
		t.Errorf("%d samples still held, want none", h)
	}
	if c := e.counter(t, "suppressed", ReasonTooLarge); c != 1 {
		t.Errorf("suppressed{reason=too_large} %v, want 1", c)
	}
}
