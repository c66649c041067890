package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/obs"
	"github.com/edge-agent/edge-agent/internal/sqlitefile"
)

// setFlags collects repeated --set key.path=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// newFlagSet makes a flag set that reports errors to stderr and returns them
// instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseInterspersed parses flags that may come after positional arguments
// (replay --config F a.mp4 b.mp4 --pace max), returning the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// checkDB checks a --db flag before it is used: a file that exists there
// must be an SQLite database (a store or outbox is created where none is).
// The path is set on the config as it is, never through --set, whose YAML
// parser would read '#', ': ' or '[' in it.
func checkDB(path string) error {
	err := sqlitefile.IsSQLite(path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sqlitefile.ErrNotSQLite):
		return fmt.Errorf("--db %q: the file exists and is not an SQLite database", path)
	}
	return fmt.Errorf("--db %q: %w", path, err)
}

// loadConfig loads path (or only the defaults when path is empty) with the
// overrides.
func loadConfig(path string, sets []string) (*config.Conf, error) {
	if path == "" {
		return config.Parse("(defaults)", nil, sets)
	}
	c, err := config.Load(path, sets)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// newLogger makes a command's logger from the config's log section, and the
// level it logs at, which a reload may change.
func newLogger(stderr io.Writer, c config.Log) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(obs.ParseLevel(c.Level))
	return obs.NewLogger(stderr, c.Format, level), level
}
