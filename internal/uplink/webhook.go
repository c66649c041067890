package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/live"
	"github.com/edge-agent/edge-agent/internal/retry"
	"github.com/edge-agent/edge-agent/internal/secret"
)

// maxAnswer bounds the bytes of a webhook answer that are read (and then
// dropped): enough to reuse the connection after a short answer, little
// enough that a server cannot make the agent read without end.
const maxAnswer = 64 << 10

// Poster drains outbox queues to an HTTPS webhook, one POST of each
// entry's payload (JSON) at a time, the first queue's entries ahead of the
// next's. An entry leaves its queue when the server answered 2xx. An
// answer the server will give again (4xx other than 408 and 429) is
// charged to the entry, which is quarantined at the queue's max_attempts;
// a network error, a timeout, 408, 429 and 5xx are the server's or the
// network's trouble: nothing is charged and the poster backs off.
type Poster struct {
	url      string
	token    string
	client   *http.Client
	queues   []*Outbox
	min, max time.Duration // backoff
	log      *slog.Logger
	heart    *live.Heart
	posted   *prometheus.CounterVec
}

// NewPoster checks cfg and builds a poster of queues (in priority order,
// all of one file). backoffMin and backoffMax bound the wait after a
// failure. reg receives its metrics, named prefix_… (nil: not exported).
func NewPoster(cfg config.Webhook, backoffMin, backoffMax time.Duration, queues []*Outbox, prefix string,
	log *slog.Logger, reg prometheus.Registerer) (*Poster, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("'events.webhook.url' must be an https:// URL without credentials, not %q", secret.Redact(cfg.URL))
	}
	if len(queues) == 0 || backoffMin <= 0 || backoffMax < backoffMin || cfg.Timeout <= 0 {
		return nil, errors.New("webhook: no queue, or backoff or timeout out of range")
	}
	for _, q := range queues {
		if q.f != queues[0].f {
			return nil, errors.New("webhook: the queues must be queues of one outbox file")
		}
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		if tc.RootCAs, err = LoadCA("events.webhook.ca_file", cfg.CAFile); err != nil {
			return nil, err
		}
	}
	var token string
	if cfg.TokenFile != "" {
		b, err := secret.ReadFile("events.webhook.token_file", cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		if token = strings.TrimSpace(string(b)); token == "" || strings.ContainsAny(token, "\r\n") {
			return nil, fmt.Errorf("'events.webhook.token_file' %s must hold one line, the token", cfg.TokenFile)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, q := range queues {
		reg.MustRegister(NewOutboxCollector(prefix, prometheus.Labels{"queue": q.Name()}, q))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.Proxy = nil // the vehicle's network has no proxy; an environment variable must not divert events
	return &Poster{
		url: cfg.URL, token: token, queues: queues, min: backoffMin, max: backoffMax, log: log,
		client: &http.Client{Timeout: cfg.Timeout, Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		posted: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_posts_total",
			Help: "Webhook POSTs by outcome: ok (2xx, removed), rejected (4xx, charged to the entry), failed (network, timeout, 408, 429, 5xx: retried).",
		}, []string{"result"}),
	}, nil
}

// SetHeart makes Run beat h at every turn and before each wait. Call it
// before Run.
func (p *Poster) SetHeart(h *live.Heart) { p.heart = h }

// Run posts entries until ctx ends, then returns nil, leaving the unsent
// ones queued. A failure is logged at WARN when it differs from the
// previous one, at DEBUG when it repeats.
func (p *Poster) Run(ctx context.Context) error {
	failures := 0
	wait := retry.New(p.min, p.max)
	var last string
	for ctx.Err() == nil {
		p.heart.Beat()
		e, err := p.next()
		if errors.Is(err, ErrEmpty) {
			p.idle(ctx)
			continue
		}
		if err == nil {
			err = p.post(ctx, e)
		}
		if err == nil {
			failures, last = 0, ""
			wait.Reset()
			continue
		}
		if ctx.Err() != nil {
			break
		}
		delay := wait.Next()
		failures++
		level := slog.LevelWarn
		if err.Error() == last {
			level = slog.LevelDebug
		}
		last = err.Error()
		p.log.Log(ctx, level, "webhook interrupted; will retry", "err", err, "retry_in", delay, "failures", failures)
		p.heart.BeatIn(delay)
		if !sleep(ctx, delay) {
			break
		}
	}
	return nil
}

// next returns the oldest entry of the first queue that holds one.
func (p *Poster) next() (*Entry, error) {
	for _, q := range p.queues {
		es, err := q.Peek(1)
		if errors.Is(err, ErrEmpty) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return es[0], nil
	}
	return nil, ErrEmpty
}

// idle waits for an entry, beating the heart meanwhile.
func (p *Poster) idle(ctx context.Context) {
	wake := waitAny(p.queues)
	tick, stop := p.heart.Ticker()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			return
		case <-tick:
			p.heart.Beat()
		}
	}
}

// post sends e once and decides its fate. It returns an error only for a
// failure to retry later (nothing charged).
func (p *Poster) post(ctx context.Context, e *Entry) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(e.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "edge-agent")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	p.heart.BeatIn(p.client.Timeout)
	resp, err := p.client.Do(req)
	if err != nil {
		p.posted.WithLabelValues("failed").Inc()
		return fmt.Errorf("POST: %w", errors.Unwrap(err)) // the *url.Error repeats the URL, which may name the tenant
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		p.posted.WithLabelValues("ok").Inc()
		return e.Remove()
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		p.posted.WithLabelValues("rejected").Inc()
		quarantined, err := e.Failed(resp.Status)
		if quarantined {
			p.log.Warn("webhook entry quarantined", "seq", e.Seq, "attempts", e.Attempts, "status", resp.Status)
		}
		// Backing off spares the server a burst of the same refused entry.
		return errors.Join(fmt.Errorf("POST answered %s (charged to the entry)", resp.Status), err)
	}
	p.posted.WithLabelValues("failed").Inc()
	return fmt.Errorf("POST answered %s", resp.Status)
}

// WaitDrained returns nil once every queue of the poster is empty at once,
// or ctx's error.
func (p *Poster) WaitDrained(ctx context.Context) error {
	return waitAllDrained(ctx, p.queues)
}
