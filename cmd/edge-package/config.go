package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/edge-agent/edge-agent/internal/config"
)

// configHeader comes before the generated file's own header.
const configHeader = `# Installed by the edge-agent package: configs/edge-agent.yaml with the
# package's paths (models in /usr/share/edge-agent/models, state in
# /var/lib/edge-agent). Your changes are kept on upgrade.
`

func configCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the shipped config (required)")
	out := fs.String("out", "", "write here instead of stdout")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key: key.path=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() > 0 {
		return errors.New("config: --in FILE is required and no other arguments are taken")
	}
	w, done := output(*out, stdout)
	return done(writePackagedConfig(w, *in, sets))
}

// writePackagedConfig loads in with the overrides, exactly as edge-agent
// would, and writes the result with every key's comment. Relative paths left
// in it would resolve against whatever folder the agent is started from, so
// every path-like key (path, or a name ending in _path, _dir or _file) must
// be absolute.
func writePackagedConfig(w io.Writer, in string, sets []string) error {
	c, err := config.Load(in, sets)
	if err != nil {
		return fmt.Errorf("%s:\n%w", in, err)
	}
	var b strings.Builder
	if err := config.Write(&b, c); err != nil {
		return err
	}
	if rel := relativePaths(b.String()); len(rel) > 0 {
		return fmt.Errorf("%s: these keys still hold relative paths; give each an absolute one with --set: %s",
			in, strings.Join(rel, ", "))
	}
	_, err = io.WriteString(w, configHeader+b.String())
	return err
}

// relativePaths returns the keys of the written config that name a path and
// hold a non-empty relative one.
func relativePaths(yaml string) []string {
	var rel []string
	for _, line := range strings.Split(yaml, "\n") {
		line = strings.TrimLeft(line, " -")
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ": ")
		if !ok || !isPathKey(key) {
			continue
		}
		val = strings.Trim(val, `"`)
		if val != "" && !strings.HasPrefix(val, "/") {
			rel = append(rel, key+"="+val)
		}
	}
	return rel
}

func isPathKey(key string) bool {
	for _, suffix := range []string{"_path", "_dir", "_file"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return key == "path"
}
