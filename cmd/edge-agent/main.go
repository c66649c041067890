// Command edge-agent reads licence plates from in-vehicle cameras, keeps the
// reads in SQLite and, only for tenants that opted in, sends de-identified
// samples over MQTT.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/edge-agent/edge-agent/internal/cmalloc"
)

func main() {
	cmalloc.Tune()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge-agent:", err)
		os.Exit(1)
	}
}

type command struct {
	name, usage string
	fn          func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run --config F [--set k=v]...: run the agent", runCmd},
		{"replay", "replay --config F [--db PATH] [--clock-start RFC3339] [--pace max|realtime] [--annotate OUT.mp4] VIDEO...", replayCmd},
		{"validate-config", "validate-config F [--set k=v]...: check a config file, print every error", validateCmd},
		{"reads", "reads --db PATH [--since T] [--format table|jsonl|tsv|csv]: print or export stored reads", readsCmd},
		{"bench", "bench --dataset DIR [--out F.tsv]: accuracy and speed of the recogniser on photos", benchCmd},
		{"outbox", "outbox status|drain|purge --db PATH: inspect or empty the uplink outbox", outboxCmd},
		{"improvement", "improvement withdraw|resume|status --config F: withdraw from, rejoin or inspect the improvement programme", improvementCmd},
		{"version", "version: print the version", versionCmd},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.fn(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: edge-agent COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintln(w, "  "+c.usage)
	}
	fmt.Fprintln(w, "\nEvery command that reads a config accepts --set key.path=value (repeatable).")
}
