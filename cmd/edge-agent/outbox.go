package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

const outboxUsage = `usage: edge-agent outbox status|drain|purge [--db PATH] [--config F] [--set k=v]...
  status  print the queue depth, bytes, oldest entry's age and quarantined entries
          of the samples and of each queue of read events and alerts
          (read-only: works while the agent runs)
  drain   send everything queued, exit when empty or after --timeout (needs the
          broker settings: --config, or --broker and --topic; flags win); only
          while the tenant consents: improvement.enabled is true, consent was not
          withdrawn, and no withdrawal's purge of this outbox is owed (the records
          in improvement.queue_path of the config)
  purge   delete every queued and quarantined sample (stop the agent first); the
          tenant's read events and alerts stay`

// outboxCmd is `edge-agent outbox status|drain|purge`.
func outboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "drain" && args[0] != "purge") {
		fmt.Fprintln(stderr, outboxUsage)
		if len(args) == 0 {
			return errors.New("outbox: give status, drain or purge")
		}
		return fmt.Errorf("outbox: unknown action %q: must be status, drain or purge", args[0])
	}
	action := args[0]
	fs := newFlagSet("outbox "+action, stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, outboxUsage); fs.PrintDefaults() }
	db := fs.String("db", "", "outbox SQLite file (default: uplink.outbox_path of the config)")
	cfgPath := fs.String("config", "", "config file (default: the built-in defaults)")
	broker := fs.String("broker", "", "drain: broker URL, tcp://host:port or ssl://host:port (overrides uplink.broker)")
	topic := fs.String("topic", "", "drain: topic (overrides uplink.topic)")
	timeout := fs.Duration("timeout", 0, "drain: give up after this long, leaving the rest queued (0: no limit)")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("outbox %s: unexpected argument %q", action, fs.Arg(0))
	}
	if *db != "" {
		if err := checkDB(*db); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(*cfgPath, sets)
	if err != nil {
		return err
	}
	if *db != "" {
		cfg.Uplink.OutboxPath = *db
	}
	u := cfg.Uplink
	switch action {
	case "status":
		return outboxStatus(stdout, u.OutboxPath)
	case "purge":
		ob, err := uplink.OpenOutbox(u.OutboxPath, uplink.OutboxOptions{})
		if err != nil {
			return fmt.Errorf("outbox purge: %w", err)
		}
		defer ob.Close()
		n, err := ob.Purge()
		if err != nil {
			return fmt.Errorf("outbox purge: %w", err)
		}
		fmt.Fprintf(stdout, "purged %d entries from %s\n", n, u.OutboxPath)
		return nil
	}
	if *broker != "" {
		u.Broker = *broker
	}
	if *topic != "" {
		u.Topic = *topic
	}
	log, _ := newLogger(stderr, cfg.Log)
	uplink.SetPahoLogger(log)
	return outboxDrain(ctx, stdout, u, cfg.Improvement, sanitize.TransportAudit(cfg), log, *timeout)
}

// outboxStatus prints the figures of the outbox at path without taking the
// writer lock.
func outboxStatus(w io.Writer, path string) error {
	ob, err := uplink.OpenOutbox(path, uplink.OutboxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("outbox status: %w", err)
	}
	defer ob.Close()
	s, err := ob.Stats()
	if err != nil {
		return fmt.Errorf("outbox status: %w", err)
	}
	fmt.Fprintf(w, "outbox       %s\nqueued       %d entries, %d bytes\noldest       %s\nquarantined  %d entries\n",
		path, s.Depth, s.Bytes, s.OldestAge.Round(time.Second), s.Quarantined)
	names, err := ob.Queues()
	if err != nil {
		return fmt.Errorf("outbox status: %w", err)
	}
	for _, name := range names {
		q, err := ob.Queue(name, uplink.OutboxOptions{})
		if err != nil {
			return fmt.Errorf("outbox status: %w", err)
		}
		s, err := q.Stats()
		q.Close()
		if err != nil {
			return fmt.Errorf("outbox status: queue %s: %w", name, err)
		}
		fmt.Fprintf(w, "queue %-15s %d entries, %d bytes, oldest %s, %d quarantined\n",
			name, s.Depth, s.Bytes, s.OldestAge.Round(time.Second), s.Quarantined)
	}
	return nil
}

// outboxDrain sends what the outbox at u.OutboxPath holds, while the
// tenant consents; it fails when entries are still queued after timeout (0:
// wait as long as it takes). Consent is read before anything is sent and
// again right before each entry is handed to the client: a withdrawal
// during the drain stops it.
func outboxDrain(ctx context.Context, w io.Writer, u config.Uplink, imp config.Improvement, audit func(string) error, log *slog.Logger, timeout time.Duration) error {
	ob, err := uplink.OpenOutbox(u.OutboxPath, uplink.OutboxOptionsFrom(u))
	if err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	defer ob.Close()
	consent, err := improvement.OpenConsent(imp)
	if err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	defer consent.Close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	gate := func() (bool, error) {
		ok, err := consent.Given()
		if !ok {
			stop() // not wait, paused, for a consent that may never come back
		}
		return ok, err
	}
	p, err := uplink.New(u, ob, log, nil, uplink.WithGate(gate), uplink.WithTransportAudit(audit))
	if err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	before, err := ob.Stats()
	if err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	if err := consent.Check(); err != nil {
		return fmt.Errorf("outbox drain: %w; %d queued entries not sent", err, before.Depth)
	}
	if err := improvement.RecordTransport(imp, p.Identity(), time.Now()); err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	drainErr := p.Drain(ctx)
	after, err := ob.Stats()
	if err != nil {
		return fmt.Errorf("outbox drain: %w", err)
	}
	fmt.Fprintf(w, "%d entries left the outbox (%d of them expired, %d quarantined); %d still queued\n",
		before.Depth-after.Depth, after.Expired, after.QuarantinedTotal, after.Depth)
	if err := consent.Check(); err != nil && drainErr != nil {
		drainErr = err
	}
	if drainErr != nil {
		return fmt.Errorf("outbox drain: %d entries still queued: %w", after.Depth, drainErr)
	}
	return nil
}
