package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

const improvementUsage = `usage: edge-agent improvement withdraw|resume|status [--config F] [--set k=v]... [--reason TEXT]
  withdraw  withdraw from the improvement programme now: purge every unsent sample
            (holding queue and outbox) and record the withdrawal, which holds across
            restarts until resume; a running agent publishes nothing from the moment
            it is recorded, and purges the outbox it holds within 30 s
  resume    take back a withdrawal (samples are made again only while
            improvement.enabled is true)
  status    print the consent state and the samples held`

// improvementCmd is `edge-agent improvement withdraw|resume|status`. It
// works on the files named by the config, with or without a running agent.
func improvementCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "withdraw" && args[0] != "resume" && args[0] != "status") {
		fmt.Fprintln(stderr, improvementUsage)
		if len(args) == 0 {
			return errors.New("improvement: give withdraw, resume or status")
		}
		return fmt.Errorf("improvement: unknown action %q: must be withdraw, resume or status", args[0])
	}
	action := args[0]
	fs := newFlagSet("improvement "+action, stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, improvementUsage); fs.PrintDefaults() }
	cfgPath := fs.String("config", "", "config file (default: the built-in defaults)")
	reason := fs.String("reason", "withdrawn by command", "withdraw: why, written to the audit log")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("improvement %s: unexpected argument %q", action, fs.Arg(0))
	}
	cfg, err := loadConfig(*cfgPath, sets)
	if err != nil {
		return err
	}
	imp := cfg.Improvement
	switch action {
	case "resume":
		if err := improvement.ResumeOffline(imp, time.Now()); err != nil {
			return fmt.Errorf("improvement resume: %w", err)
		}
		fmt.Fprintf(stdout, "consent resumed (audit: %s); samples are made while improvement.enabled is true (now %v)\n",
			imp.AuditPath, imp.Enabled)
		return nil
	case "status":
		st, err := improvement.StatusOffline(imp)
		if err != nil {
			return fmt.Errorf("improvement status: %w", err)
		}
		state := "opted out (improvement.enabled is false)"
		switch {
		case st.Withdrawn:
			state = fmt.Sprintf("withdrawn since %s (%s)", st.Since.Format(time.RFC3339), st.Reason)
		case imp.Enabled:
			state = "opted in"
		}
		fmt.Fprintf(stdout, "consent: %s\nheld samples: %d\n", state, st.Held)
		return nil
	}
	outbox, note := openOutboxToPurge(cfg.Uplink)
	if outbox != nil {
		defer outbox.Close()
	}
	var purger improvement.Purger
	if outbox != nil {
		purger = outbox
	}
	held, sent, err := improvement.WithdrawOffline(imp, *reason, purger, time.Now())
	if err != nil {
		return fmt.Errorf("improvement withdraw: %w", err)
	}
	fmt.Fprintf(stdout, "withdrawn: purged %d held samples and %d outbox entries (audit: %s)\n", held, sent, imp.AuditPath)
	if note != "" {
		fmt.Fprintln(stdout, note)
	}
	return nil
}

// openOutboxToPurge opens the uplink outbox for a purge. It returns nil and
// a note when there is none, or when the running agent holds it (that agent
// purges it itself once it sees the withdrawal).
func openOutboxToPurge(u config.Uplink) (*uplink.Outbox, string) {
	if _, err := os.Stat(u.OutboxPath); errors.Is(err, os.ErrNotExist) {
		return nil, ""
	}
	ob, err := uplink.OpenOutbox(u.OutboxPath, uplink.OutboxOptions{})
	if err != nil {
		return nil, fmt.Sprintf("outbox not purged here (%v); a running agent purges it within 30 s and publishes none of it meanwhile", err)
	}
	return ob, ""
}
