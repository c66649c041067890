package improvement

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mmcloughlin/geohash"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{} // a wait began (After with d > 0)
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, waiting: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
		select {
		case c.waiting <- struct{}{}:
		default:
		}
	}
	return ch
}

// Advance moves the clock and fires the waits that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			keep = append(keep, w)
		} else {
			w.ch <- c.now
		}
	}
	c.waiters = keep
}

// Set moves the clock to t.
func (c *fakeClock) Set(t time.Time) { c.Advance(t.Sub(c.Now())) }

// fakeSink records what it is given, as the outbox would hold it, and can
// purge it.
type fakeSink struct {
	mu       sync.Mutex
	calls    int
	bytes    int
	queued   [][]byte // not yet "sent"
	all      [][]byte // every payload ever enqueued, in order
	purges   int
	enqueued chan struct{}
	purged   chan struct{}
	tooLarge int // the next Enqueue calls to refuse as the outbox refuses a payload over its cap
}

func newFakeSink() *fakeSink {
	return &fakeSink{enqueued: make(chan struct{}, 1000), purged: make(chan struct{}, 1000)}
}

func (s *fakeSink) Enqueue(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tooLarge > 0 {
		s.tooLarge--
		return fmt.Errorf("%w (%d bytes)", uplink.ErrTooLarge, len(b))
	}
	s.calls++
	s.bytes += len(b)
	s.queued = append(s.queued, bytes.Clone(b))
	s.all = append(s.all, bytes.Clone(b))
	s.enqueued <- struct{}{}
	return nil
}

func (s *fakeSink) Purge() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.queued)
	s.queued = nil
	s.purges++
	s.purged <- struct{}{}
	return n, nil
}

func (s *fakeSink) snapshot() (calls, nbytes, queued int, all [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.bytes, len(s.queued), append([][]byte(nil), s.all...)
}

// testConfig is the default improvement configuration, enabled, with its
// files in a fresh directory.
func testConfig(t *testing.T) config.Improvement { return configIn(t.TempDir()) }

// configIn is testConfig with its files in dir: a child process that is
// killed uses its parent's t.TempDir(), since its own cleanup never runs.
func configIn(dir string) config.Improvement {
	return config.Improvement{
		Enabled: true, MaxWidth: 320, Margin: 0.1, TimeBucket: time.Hour, GeohashPrecision: 4,
		ReleaseJitter: 10 * time.Minute, MinPerCell: 3, BelowThreshold: "generalize", MaxPerPlate: 1,
		SaltRotation: 24 * time.Hour, SampleRate: 1, DailyCap: 1000,
		QueuePath: filepath.Join(dir, "improvement.db"), AuditPath: filepath.Join(dir, "improvement-audit.log"),
	}
}

var testIdentity = config.Identity{TenantID: "tenant-Vw8qZr3N", DeviceID: "gw-Kp2xT7mQ"}

const testCamera = "cam-rear-Jd5s"

// t0 is 10:05 UTC: the 10:00 bucket closes at 11:00.
var t0 = time.Date(2025, 6, 2, 10, 5, 0, 0, time.UTC)

type env struct {
	p     *Programme
	clock *fakeClock
	sink  *fakeSink
	reg   *prometheus.Registry
	cfg   config.Improvement
}

func newEnv(t *testing.T, cfg config.Improvement) *env {
	t.Helper()
	e := &env{clock: newFakeClock(t0), sink: newFakeSink(), reg: prometheus.NewRegistry(), cfg: cfg}
	e.start(t)
	return e
}

// start (re)opens the programme on e's queue, sink and clock.
func (e *env) start(t *testing.T) {
	t.Helper()
	e.reg = prometheus.NewRegistry()
	p, err := New(e.cfg, testIdentity, e.sink, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})), e.reg, e.clock)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	p.Start()
	t.Cleanup(func() { p.Close() })
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// flush makes every offered record into a sample and releases what is due.
func (e *env) flush(t *testing.T, skipJitter bool) int {
	t.Helper()
	n, err := e.p.Flush(context.Background(), FlushOptions{SkipJitter: skipJitter})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) held(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.p.db.QueryRow(`SELECT count(*) FROM samples`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) counter(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	switch name {
	case "made":
		return testutil.ToFloat64(e.p.m.made)
	case "released":
		return testutil.ToFloat64(e.p.m.released)
	case "purged":
		return testutil.ToFloat64(e.p.m.purged)
	case "generalized":
		return testutil.ToFloat64(e.p.m.generalized)
	case "suppressed":
		return testutil.ToFloat64(e.p.m.suppressed.WithLabelValues(labels...))
	}
	t.Fatalf("no counter %s", name)
	return 0
}

var cropOnce = sync.OnceValue(func() []byte {
	m := image.NewRGBA(image.Rect(0, 0, 200, 60))
	for y := range 60 {
		for x := range 200 {
			v := uint8(230)
			if x%9 < 3 {
				v = 20
			}
			m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, m, nil)
	return buf.Bytes()
})

var nextID int64

// rec is a stored read event of plate at time at, at the centre of the
// geohash cell (no fix when cell is "").
func rec(plate string, at time.Time, cell string) read.Record {
	nextID++
	r := read.Record{
		ID: nextID, CapturedAt: at, Camera: testCamera, Plate: read.Plate(plate), Confidence: 0.87, Region: "eu",
		Crop: cropOnce(), CropBox: image.Rect(20, 10, 180, 50),
	}
	if cell != "" {
		lat, lon := cellCentre(cell)
		r.Fix = &read.Fix{Position: read.Position{Lat: lat, Lon: lon}, Time: at}
	}
	return r
}

// cellCentre is the centre of a geohash cell.
func cellCentre(h string) (lat, lon float64) { return geohash.DecodeCenter(h) }

// decode parses released payloads, checking each against the contract.
func decode(t *testing.T, cfg config.Improvement, payloads [][]byte) []sanitize.Sample {
	t.Helper()
	pol := sanitize.Policy{Improvement: cfg, Identity: testIdentity, Cameras: []string{testCamera}}
	var out []sanitize.Sample
	for _, b := range payloads {
		if err := sanitize.AuditPayload(b, pol); err != nil {
			t.Fatalf("released payload fails the audit: %v", err)
		}
		s, err := sanitize.ParsePayload(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// plates returns n distinct plate texts.
func plates(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "PL" + string(rune('A'+i%26)) + string(rune('A'+i/26%26)) + "42"
	}
	return out
}
