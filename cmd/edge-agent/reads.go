package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

// readsCmd is `edge-agent reads --db PATH [--since T] [--format jsonl|tsv]`:
// it writes the stored reads, oldest first, to stdout, one per vehicle pass
// (final false: the pass goes on, and its row will take its final record). It opens the database
// read-only, so it can run beside the agent.
func readsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reads", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: edge-agent reads [--db PATH | --config F [--set k=v]...] [--since T] [--format jsonl|tsv]")
		fs.PrintDefaults()
	}
	db := fs.String("db", "", "read store (SQLite file), e.g. data/edge-agent.db (default: store.path of --config)")
	confPath := fs.String("config", "", "config file whose store.path is read when --db is not given")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	since := fs.String("since", "", "only reads captured at or after T: RFC 3339 time, or a duration such as 24h meaning that long ago")
	format := fs.String("format", "jsonl", "output format: jsonl (one JSON object per line) or tsv (with a header line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reads: unexpected argument %q", fs.Arg(0))
	}
	if *db == "" && (*confPath != "" || len(sets) > 0) {
		conf, err := loadConfig(*confPath, sets)
		if err != nil {
			return err
		}
		*db = conf.Store.Path
	}
	if *db == "" {
		return errors.New("reads: --db or --config is required")
	}
	from, err := parseReadsSince(*since, time.Now())
	if err != nil {
		return fmt.Errorf("reads: --since: %w", err)
	}
	var write func(io.Writer, read.Record, bool) error
	switch *format {
	case "jsonl":
		write = store.WriteJSONL
	case "tsv":
		write = store.WriteTSV
	default:
		return fmt.Errorf("reads: --format %q: must be jsonl or tsv", *format)
	}
	st, err := store.OpenReadOnly(*db, nil)
	if err != nil {
		return fmt.Errorf("reads: %w", err)
	}
	defer st.Close()
	out := bufio.NewWriter(stdout)
	if *format == "tsv" {
		if err := store.WriteTSVHeader(out); err != nil {
			return err
		}
	}
	err = st.QueryState(ctx, from, func(rec read.Record, final bool) error { return write(out, rec, final) })
	return errors.Join(err, out.Flush())
}

// parseReadsSince reads an RFC 3339 time or a duration before now; "" is the
// beginning of time.
func parseReadsSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2024-05-01T08:00:00Z) nor a duration (24h)", s)
	}
	return now.Add(-d), nil
}
