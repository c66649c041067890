package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

// readsCmd is `edge-agent reads --db PATH [--since T] [--format table|jsonl|tsv|csv]`:
// it writes the stored reads, oldest first, to stdout, one per vehicle pass
// (final false: the pass goes on, and its row will take its final record):
// an aligned table for people by default, confidences rounded; JSON lines
// with every field (the candidates included) for programs. It opens the
// database read-only, so it can run beside the agent.
func readsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reads", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: edge-agent reads [--db PATH | --config F [--set k=v]...] [--since T] [--format table|jsonl|tsv|csv]")
		fs.PrintDefaults()
	}
	db := fs.String("db", "", "read store (SQLite file), e.g. data/edge-agent.db (default: store.path of --config)")
	confPath := fs.String("config", "", "config file whose store.path is read when --db is not given")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	since := fs.String("since", "", "only reads captured at or after T: RFC 3339 time, or a duration such as 24h meaning that long ago")
	format := fs.String("format", "table", "output format: table (aligned, for people), jsonl (one JSON object per line, every field and the candidates), tsv or csv (with a header line)")
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
	if err := checkDB(*db); err != nil {
		return err
	}
	from, err := parseReadsSince(*since, time.Now())
	if err != nil {
		return fmt.Errorf("reads: --since: %w", err)
	}
	out := bufio.NewWriter(stdout)
	w, err := newReadsWriter(*format, out)
	if err != nil {
		return fmt.Errorf("reads: %w", err)
	}
	st, err := store.OpenReadOnly(*db, nil)
	if err != nil {
		return fmt.Errorf("reads: %w", err)
	}
	defer st.Close()
	err = st.QueryState(ctx, from, w.write)
	return errors.Join(err, w.flush(), out.Flush())
}

// readsWriter writes reads in one format.
type readsWriter struct {
	write func(rec read.Record, final bool) error
	flush func() error
}

// tableTime is the capture time in the table: to the second, in UTC, as
// people read it (the other formats keep the nanoseconds).
const tableTime = "2006-01-02 15:04:05"

func newReadsWriter(format string, out io.Writer) (readsWriter, error) {
	none := func() error { return nil }
	switch format {
	case "jsonl":
		return readsWriter{func(rec read.Record, final bool) error { return store.WriteJSONL(out, rec, final) }, none}, nil
	case "tsv":
		if err := store.WriteTSVHeader(out); err != nil {
			return readsWriter{}, err
		}
		return readsWriter{func(rec read.Record, final bool) error { return store.WriteTSV(out, rec, final) }, none}, nil
	case "csv":
		cw := csv.NewWriter(out)
		if err := cw.Write(store.Columns); err != nil {
			return readsWriter{}, err
		}
		return readsWriter{
			func(rec read.Record, final bool) error { return cw.Write(store.Fields(rec, final)) },
			func() error { cw.Flush(); return cw.Error() },
		}, nil
	case "table":
		// tabwriter pads every column to its widest cell, so it holds the
		// rows until flush: a table is for a person's screenful, not for
		// a million reads (use jsonl, tsv or csv for those).
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCAPTURED (UTC)\tCAMERA\tPLATE\tCONF\tREGION\tPOSITION\tFRAMES\tCROP\tFINAL")
		return readsWriter{func(rec read.Record, final bool) error {
			pos := "-"
			if rec.Fix != nil {
				pos = fmt.Sprintf("%.5f,%.5f", rec.Fix.Lat, rec.Fix.Lon)
			}
			region := rec.Region
			if region == "" {
				region = "-"
			}
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.2f\t%s\t%s\t%d\t%s\t%s\n", rec.ID, rec.CapturedAt.UTC().Format(tableTime),
				rec.Camera, rec.Plate, rec.Confidence, region, pos, rec.Frames, yesNo(len(rec.Crop) > 0), yesNo(final))
			return err
		}, tw.Flush}, nil
	}
	return readsWriter{}, fmt.Errorf("--format %q: must be table, jsonl, tsv or csv", format)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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
