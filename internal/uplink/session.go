package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
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
	tok := cli.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		go func() { <-tok.Done(); cli.Disconnect(0) }() // the connect ends within connect_timeout
		return ctx.Err()
	}
	if err := tok.Error(); err != nil {
		p.m.connectFailures.Inc()
		return fmt.Errorf("connect: %w", explainConnectError(err))
	}
	*failures = 0
	p.m.connected.Set(1)
	p.log.Info("connected to broker", "broker", redact(p.cfg.Broker))
	defer func() {
		p.m.connected.Set(0)
		cli.Disconnect(250)
	}()
	return p.drain(ctx, cli, lost)
}

// drain is autopaho's publish loop: await an entry, send a window, repeat.
func (p *Publisher) drain(ctx context.Context, cli mqtt.Client, lost <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-lost:
			return fmt.Errorf("connection lost: %w", err)
		case <-p.ob.Wait():
		}
		entries, err := p.ob.Peek(window)
		if errors.Is(err, ErrEmpty) {
			continue
		}
		if err != nil {
			return err
		}
		if err := p.send(ctx, cli, entries); err != nil {
			return err
		}
	}
}

type flight struct {
	e        *Entry
	tok      mqtt.Token
	deadline time.Time
}

// send publishes entries in order, then awaits their PUBACKs in order. An
// acknowledged entry is removed. The first failure (no PUBACK in time, or
// the connection lost) is charged to the oldest unacknowledged entry: a
// message that makes the broker drop the connection sits there, and after
// max_attempts it is quarantined. Later entries acknowledged anyway are
// removed; the others stay queued uncharged and are sent again.
func (p *Publisher) send(ctx context.Context, cli mqtt.Client, entries []*Entry) error {
	var fl []flight
	var stop error
	for _, e := range entries {
		if ok, _ := p.allowed(); !ok {
			stop = errNotAllowed
			break
		}
		if !p.limiter.wait(ctx, len(e.Payload)+len(p.cfg.Topic)+6) { // + PUBLISH header bytes
			stop = ctx.Err()
			break
		}
		tok := cli.Publish(p.cfg.Topic, 1, false, e.Payload)
		p.m.published.Inc()
		fl = append(fl, flight{e, tok, time.Now().Add(p.cfg.AckTimeout)})
	}
	failed := false
	for _, f := range fl {
		if failed {
			if err := p.keepIfAcked(f); err != nil {
				return err
			}
			continue
		}
		err := p.await(ctx, f)
		if err == nil {
			if err := f.e.Remove(); err != nil {
				return err
			}
			p.m.acked.Inc()
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: nothing is charged
		}
		failed, stop = true, err
		if errors.Is(err, mqtt.ErrNotConnected) {
			continue // never sent
		}
		p.m.retries.Inc()
		quarantined, ferr := f.e.Failed(err.Error())
		if ferr != nil {
			return errors.Join(err, ferr)
		}
		if quarantined {
			p.log.Warn("entry quarantined", "seq", f.e.Seq, "attempts", f.e.Attempts, "err", err)
		}
	}
	return stop
}

// await waits for f's PUBACK until its deadline.
func (p *Publisher) await(ctx context.Context, f flight) error {
	select {
	case <-f.tok.Done():
		return f.tok.Error()
	default:
	}
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
