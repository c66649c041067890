package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edge-agent/edge-agent/internal/secret"
)

// errNotAllowed ends a connection when the gate closed or the required
// interface went down; Run then waits for sending to be allowed again.
var errNotAllowed = errors.New("sending not allowed")

// connection makes one connection and drains the outbox over it until it
// fails, sending stops being allowed, or ctx ends. A successful connect
// resets the failure count that drives the backoff.
func (p *Publisher) connection(ctx context.Context, failures *int) error {
	lost := make(chan error, 1)
	cli, err := p.newClient(lost)
	if err != nil {
		return err
	}
	p.m.connectAttempts.Inc()
	p.heart.BeatIn(p.cfg.ConnectTimeout)
	tok := cli.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		go func() { <-tok.Done(); cli.Disconnect(0) }() // the connect ends within connect_timeout
		return ctx.Err()
	}
	if err := tok.Error(); err != nil {
		p.m.connectFailures.Inc()
		return fmt.Errorf("connect: %w", explainConnectError(p.section, err))
	}
	*failures = 0
	p.m.connected.Set(1)
	p.log.Info("connected to broker", "broker", secret.Redact(p.cfg.Broker))
	defer func() {
		p.m.connected.Set(0)
		cli.Disconnect(250)
	}()
	return p.drain(ctx, cli, lost)
}

// drain is autopaho's publish loop (await an entry, send, repeat) with a
// sliding window: up to window entries are in flight, and each PUBACK
// lets the next entry go. Keeping the link busy also keeps a broker's
// Nagle-delayed PUBACKs from stalling on the client's delayed TCP ACKs.
func (p *Publisher) drain(ctx context.Context, cli mqtt.Client, lost <-chan error) error {
	var fl []flight // in flight, oldest first
	tick, stopTick := p.heart.Ticker()
	defer stopTick()
	for {
		p.heart.Beat()
		var stop error
		if len(fl) < window {
			var err error
			if fl, err = p.fill(ctx, cli, fl); err != nil {
				stop = err
			}
		}
		if len(fl) == 0 {
			if stop != nil {
				return stop
			}
			if err := p.idle(ctx, lost, tick); err != nil {
				return err
			}
			continue
		}
		if stop != nil { // let what is in flight finish, then stop
			return errors.Join(stop, p.settle(ctx, fl))
		}
		err := p.await(ctx, fl[0])
		if err != nil {
			return p.fail(ctx, fl, err)
		}
		if err := fl[0].e.Remove(); err != nil {
			return err
		}
		p.m.acked.Inc()
		fl = fl[1:]
	}
}

// idle waits for an entry to be queued, beating the heart at every tick
// meanwhile. It returns nil then, or the error that ends the connection.
func (p *Publisher) idle(ctx context.Context, lost <-chan error, tick <-chan time.Time) error {
	wake := waitAny(p.queues)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-lost:
			return fmt.Errorf("connection lost: %w", err)
		case <-wake:
			return nil
		case <-tick:
			p.heart.Beat()
		}
	}
}

type flight struct {
	e        *Entry
	tok      mqtt.Token
	deadline time.Time
}

// fill publishes, route by route in order of priority, the entries that
// follow those in flight, up to window. It returns errNotAllowed when the
// gate closed or the interface went down, and ctx's error when ctx ended
// while waiting for bandwidth.
func (p *Publisher) fill(ctx context.Context, cli mqtt.Client, fl []flight) ([]flight, error) {
	for _, r := range p.routes {
		if len(fl) >= window {
			break
		}
		var after int64
		for _, f := range fl {
			if f.e.o == r.Queue {
				after = max(after, f.e.Seq)
			}
		}
		entries, err := r.Queue.PeekAfter(after, window-len(fl))
		if errors.Is(err, ErrEmpty) {
			continue
		}
		if err != nil {
			return fl, err
		}
		for _, e := range entries { // entries not published stay queued (Leave)
			if !p.limiter.wait(ctx, len(e.Payload)+len(r.Topic)+6) { // + PUBLISH header bytes
				return fl, ctx.Err()
			}
			// The gate is read last, after the wait for bandwidth: a withdrawal
			// committed during that wait stops this entry.
			if ok, _ := p.allowed(); !ok {
				return fl, errNotAllowed
			}
			tok := cli.Publish(r.Topic, 1, false, e.Payload)
			p.m.published.Inc()
			fl = append(fl, flight{e, tok, time.Now().Add(p.cfg.AckTimeout)})
		}
	}
	return fl, nil
}

// settle waits for the PUBACKs of what is in flight and removes the
// acknowledged entries; on the first failure it stops as fail does.
func (p *Publisher) settle(ctx context.Context, fl []flight) error {
	for i, f := range fl {
		if err := p.await(ctx, f); err != nil {
			return p.fail(ctx, fl[i:], err)
		}
		if err := f.e.Remove(); err != nil {
			return err
		}
		p.m.acked.Inc()
	}
	return nil
}

// fail handles a failure (no PUBACK in time, or the connection lost) of
// fl[0], the oldest unacknowledged entry, and returns err. The failure is
// charged to that entry: a message that makes the broker drop the
// connection sits there, and after max_attempts it is quarantined. Later
// entries acknowledged anyway are removed; the others stay queued
// uncharged and are sent again.
func (p *Publisher) fail(ctx context.Context, fl []flight, err error) error {
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: nothing is charged
	}
	if !errors.Is(err, mqtt.ErrNotConnected) { // else it was never sent
		p.m.retries.Inc()
		quarantined, ferr := fl[0].e.Failed(err.Error())
		if ferr != nil {
			return errors.Join(err, ferr)
		}
		if quarantined {
			p.log.Warn("entry quarantined", "seq", fl[0].e.Seq, "attempts", fl[0].e.Attempts, "err", err)
		}
	}
	for _, f := range fl[1:] {
		if rerr := p.keepIfAcked(f); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// await waits for f's PUBACK until its deadline.
func (p *Publisher) await(ctx context.Context, f flight) error {
	select {
	case <-f.tok.Done():
		return f.tok.Error()
	default:
	}
	p.heart.BeatIn(time.Until(f.deadline))
	t := time.NewTimer(time.Until(f.deadline))
	defer t.Stop()
	select {
	case <-f.tok.Done():
		return f.tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no PUBACK within %s", p.cfg.AckTimeout)
	}
}

// keepIfAcked removes f's entry if its PUBACK arrived already.
func (p *Publisher) keepIfAcked(f flight) error {
	select {
	case <-f.tok.Done():
		if f.tok.Error() == nil {
			p.m.acked.Inc()
			return f.e.Remove()
		}
	default:
	}
	return nil
}
