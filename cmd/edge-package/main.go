// Command edge-package writes the generated parts of the Debian package
// (scripts/package/deb.sh calls it):
//
//	edge-package config --in configs/edge-agent.yaml [--set key.path=value]... [--out FILE]
//	edge-package copyright --binary BIN --head FILE --models FILE [--modcache DIR] [--goroot DIR] [--out FILE]
//
// config writes the shipped configuration with the packaged paths set by the
// agent's own --set machinery, every key still commented. copyright writes
// the package's machine-readable debian/copyright: the project's and the
// models' paragraphs from --head and --models, then one paragraph for the Go
// standard library and for each Go module linked into BIN, each with the
// licence found in that module's own licence files.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "edge-package:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  edge-package config --in configs/edge-agent.yaml [--set key.path=value]... [--out FILE]
  edge-package copyright --binary BIN --head FILE --models FILE [--modcache DIR] [--goroot DIR] [--out FILE]
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	commands := map[string]func() error{
		"config":    func() error { return configCmd(args[1:], stdout, stderr) },
		"copyright": func() error { return copyrightCmd(ctx, args[1:], stdout, stderr) },
	}
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd()
		}
	}
	fmt.Fprint(stderr, usage)
	if len(args) == 0 {
		return errors.New("no command given")
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// output returns where a command writes: FILE, written whole only when the
// command succeeds, or stdout. done must be called with the command's error.
func output(path string, stdout io.Writer) (w io.Writer, done func(error) error) {
	if path == "" {
		return stdout, func(err error) error { return err }
	}
	var b strings.Builder
	return &b, func(err error) error {
		if err != nil {
			return err
		}
		return os.WriteFile(path, []byte(b.String()), 0o644)
	}
}

// setFlags collects repeated --set key.path=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }
