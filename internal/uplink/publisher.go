// Package uplink sends improvement samples to an MQTT broker from a durable
// outbox: an SQLite FIFO that keeps every payload until the broker has
// acknowledged it (QoS 1 PUBACK), across lost coverage, broker restarts and
// power cuts. Delivery is at least once; see README.md for the guarantee.
package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/retry"
	"github.com/edge-agent/edge-agent/internal/secret"
)

// window is the number of entries published before their PUBACKs are
// awaited. Waiting for each PUBACK in turn would cap a link with a 100 ms
// round trip at 10 messages/s; 32 in flight fills it, and a failure costs
// at most 32 resends.
const window = 32

// Publisher drains outbox queues to the broker. Build it with New (the
// samples) or NewPublisher, run Run in a goroutine.
type Publisher struct {
	section  string // the config section of its keys, for errors: "uplink", "events"
	cfg      config.MQTTLink
	routes   []Route
	queues   []*Outbox // the routes' queues
	log      *slog.Logger
	m        *metrics
	tlsCfg   *tls.Config
	limiter  *limiter
	gate     Gate
	ifaceUp  func(name string) bool
	poll     time.Duration           // how often a closed gate or a down interface is re-checked
	heart    *live.Heart             // beaten by Run; nil: not watched
	audit    func(name string) error // WithTransportAudit; nil: none
	username string                  // of credentials_file, for Identity
}

// Option changes a Publisher.
type Option func(*Publisher)

// Gate says whether entries may be published now. The publisher calls it
// right before it hands each entry to the MQTT client, after any wait for
// bandwidth, so it must read the state it guards where that state is kept
// (a file, a database row), not a copy that may be out of date. An error
// counts as closed.
type Gate func() (open bool, err error)

// WithGate sets the gate consulted right before every publish: while it is
// closed nothing is published and entries stay queued.
func WithGate(gate Gate) Option { return func(p *Publisher) { p.gate = gate } }

// withPollInterval sets how often a closed gate or a down interface is
// re-checked (default 2s).
func withPollInterval(d time.Duration) Option { return func(p *Publisher) { p.poll = d } }

// Route is one queue a publisher drains and the topic its entries go to.
type Route struct {
	Queue *Outbox
	Topic string
	Key   string // the topic's config key, for errors ("uplink.topic")
}

// Spec is what one publisher sends, where, and under which names.
type Spec struct {
	// Section is the config section of the link's keys ("uplink",
	// "events"): errors name its keys.
	Section string
	Link    config.MQTTLink
	// Routes are drained in this order of priority: entries of an earlier
	// route go out ahead of any queued in a later one. All in one file.
	Routes []Route
	// Metrics prefixes the publisher's metric names ("edge_uplink").
	Metrics string
}

// New checks cfg and builds the samples' publisher for ob. reg receives
// the uplink metrics (nil: not exported).
func New(cfg config.Uplink, ob *Outbox, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Publisher, error) {
	if ob == nil {
		return nil, errors.New("uplink: no outbox")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	spec := Spec{Section: "uplink", Link: cfg.MQTTLink, Routes: []Route{{ob, cfg.Topic, "uplink.topic"}}, Metrics: "edge_uplink"}
	return NewPublisher(spec, log.With("component", "uplink"), reg, opts...)
}

// NewPublisher checks spec and builds a publisher of its routes. reg
// receives its metrics (nil: not exported).
func NewPublisher(spec Spec, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Publisher, error) {
	if len(spec.Routes) == 0 {
		return nil, errors.New("uplink: no outbox")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	sec, cfg := spec.Section, spec.Link
	u, err := brokerURL(sec, cfg.Broker)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckPlaintext(sec); err != nil {
		return nil, fmt.Errorf("'%s.broker' %w", sec, err)
	}
	var queues []*Outbox
	for _, r := range spec.Routes {
		if r.Queue == nil || r.Queue.f != spec.Routes[0].Queue.f {
			return nil, errors.New("uplink: the routes' queues must be queues of one outbox file")
		}
		if r.Topic == "" || containsWildcard(r.Topic) {
			return nil, fmt.Errorf("'%s' must be a topic name without + or #, not %q", r.Key, r.Topic)
		}
		queues = append(queues, r.Queue)
	}
	for key, d := range map[string]time.Duration{"connect_timeout": cfg.ConnectTimeout, "ack_timeout": cfg.AckTimeout,
		"keep_alive": cfg.KeepAlive, "backoff_min": cfg.BackoffMin, "backoff_max": cfg.BackoffMax} {
		if d <= 0 {
			return nil, fmt.Errorf("'%s.%s' must be > 0", sec, key)
		}
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		return nil, fmt.Errorf("'%[1]s.backoff_max' (%[2]s) must be ≥ '%[1]s.backoff_min' (%[3]s)", sec, cfg.BackoffMax, cfg.BackoffMin)
	}
	tc, err := tlsConfig(sec, cfg, u)
	if err != nil {
		return nil, err
	}
	creds, err := readCredentials(sec, cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	p := &Publisher{
		section: sec, cfg: cfg, routes: spec.Routes, queues: queues, tlsCfg: tc,
		log:      log,
		username: creds.user,
		limiter:  newLimiter(int64(cfg.BandwidthLimit)),
		ifaceUp:  interfaceUp,
		poll:     2 * time.Second,
	}
	p.limiter.sleep = func(ctx context.Context, d time.Duration) bool {
		p.heart.BeatIn(d)
		return sleep(ctx, d)
	}
	for _, o := range opts {
		o(p)
	}
	if err := p.auditTransport(); err != nil {
		return nil, err
	}
	p.m = newMetrics(reg, spec.Metrics, spec.Routes)
	return p, nil
}

// SetHeart makes Run beat h at every turn of its loops and before each wait
// (for the broker, a PUBACK, bandwidth, a backoff), for the watchdog. Call
// it before Run.
func (p *Publisher) SetHeart(h *live.Heart) { p.heart = h }

func containsWildcard(topic string) bool {
	for _, r := range topic {
		if r == '+' || r == '#' {
			return true
		}
	}
	return false
}

// interfaceUp reports whether the named network interface is up and has a
// carrier.
func interfaceUp(name string) bool {
	ifc, err := net.InterfaceByName(name)
	return err == nil && ifc.Flags&net.FlagUp != 0 && ifc.Flags&net.FlagRunning != 0
}

// allowed reports whether sending is allowed now, and if not, why.
func (p *Publisher) allowed() (bool, string) {
	if p.cfg.RequireInterface != "" && !p.ifaceUp(p.cfg.RequireInterface) {
		return false, "interface " + p.cfg.RequireInterface + " is down"
	}
	if p.gate == nil {
		return true, ""
	}
	switch open, err := p.gate(); {
	case err != nil:
		return false, "gate closed: " + err.Error()
	case !open:
		return false, "gate closed"
	}
	return true, ""
}

// waitAllowed returns once sending is allowed (true) or ctx ended (false).
func (p *Publisher) waitAllowed(ctx context.Context) bool {
	ok, why := p.allowed()
	if ok {
		return true
	}
	p.log.Info("sending paused", "reason", why)
	t := time.NewTicker(p.poll)
	defer t.Stop()
	for {
		p.heart.BeatIn(p.poll)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		if ok, _ := p.allowed(); ok {
			p.log.Info("sending resumed")
			return true
		}
	}
}

// Run connects, drains the outbox and reconnects with jittered exponential
// backoff until ctx ends; it then returns nil, leaving unsent entries
// queued.
//
// A failure is logged at WARN when it differs from the previous one (the
// first of an outage, or a new cause); the same failure again, at every
// retry of a long outage, is logged at DEBUG (the connect metrics count
// every attempt).
func (p *Publisher) Run(ctx context.Context) error {
	failures := 0
	wait := retry.New(p.cfg.BackoffMin, p.cfg.BackoffMax)
	var last string // the previous failure, "" after a connection that worked
	for ctx.Err() == nil {
		p.heart.Beat()
		if !p.waitAllowed(ctx) {
			break
		}
		err := p.connection(ctx, &failures)
		if ctx.Err() != nil {
			break
		}
		if errors.Is(err, errNotAllowed) {
			continue
		}
		if failures == 0 {
			last = "" // connected before this failure
			wait.Reset()
		}
		delay := wait.Next()
		failures++
		level, msg := slog.LevelWarn, fmt.Sprint(err)
		if msg == last {
			level = slog.LevelDebug
		}
		last = msg
		p.log.Log(ctx, level, "uplink interrupted; will retry", "err", err, "retry_in", delay,
			"failures", failures, "broker", secret.Redact(p.cfg.Broker))
		p.heart.BeatIn(delay)
		if !sleep(ctx, delay) {
			break
		}
	}
	return nil
}

// WaitDrained returns nil once every queue of the publisher is empty at
// once, or ctx's error.
func (p *Publisher) WaitDrained(ctx context.Context) error {
	return waitAllDrained(ctx, p.queues)
}

// Drain runs the publisher until the outbox is empty (nil) or ctx ends (its
// error), leaving what is left queued. It serves `outbox drain` and a
// replay's drain timeout; Run must not be running already.
func (p *Publisher) Drain(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	err := p.WaitDrained(ctx)
	cancel()
	<-done
	return err
}
