package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/edge-agent/edge-agent/internal/config"
)

func validateCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate-config", stderr)
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("validate-config takes one config file")
	}
	c, err := config.Load(pos[0], sets)
	if err != nil {
		var list config.Errors
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
			return fmt.Errorf("%s: %d error(s)", pos[0], len(list))
		}
		return err
	}
	for _, r := range config.Retired(c) {
		fmt.Fprintf(stderr, "%s: warning: %s\n", pos[0], r)
	}
	fmt.Fprintf(stdout, "%s: ok\n", pos[0])
	return nil
}

// version is set by the linker (-X main.version=...); the module's build info
// is used otherwise.
var version = ""

func versionCmd(_ context.Context, _ []string, stdout, _ io.Writer) error {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v = "devel-" + s.Value[:12]
				}
			}
		}
	}
	fmt.Fprintln(stdout, "edge-agent", v)
	return nil
}
