package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/bench"
)

// benchCmd runs the recogniser on every photo of a folder:
// bench --dataset DIR [--out F.tsv] [--region us|eu|br] [--config F] [--set k=v]... [--holdout N] [--limit N]
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	dataset := fs.String("dataset", "", "folder of .jpg/.png photos, optionally with a manifest.tsv")
	outPath := fs.String("out", "", "write the per-image TSV here instead of stdout")
	region := fs.String("region", "", "format pack us|eu|br (default: from the folder name, else alpr.region)")
	confPath := fs.String("config", "", "config file (default: built-in defaults)")
	holdout := fs.Int("holdout", 4, "also score every N-th labelled image apart (0: off)")
	limit := fs.Int("limit", 0, "stop after N images (0: all)")
	requireLayout := fs.Bool("require-layout", false, "report only readings that fit a plate layout of the region, as the agent does on video (alpr.require_layout)")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key, key.path=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if *dataset == "" {
		return errors.New("bench: --dataset DIR is required")
	}
	conf, err := loadConfig(*confPath, sets)
	if err != nil {
		return err
	}
	if *region == "" {
		*region = guessRegion(*dataset, conf.ALPR.Region)
	}
	eng, err := alpr.Open(alpr.Options{
		ModelsDir:   conf.ALPR.ModelsDir,
		Region:      *region,
		Workers:     conf.ALPR.Workers,
		Networks:    conf.ALPR.Networks,
		DetectWidth: conf.ALPR.DetectWidth,
		// Photos are searched whole, every one: the wide first look pays
		// for its memory here (see alpr.Options.WideLook).
		WideLook: true,
		TopN:     conf.ALPR.TopN,
		MinChars: conf.ALPR.MinChars,
		// Every photo of a dataset holds a plate, and the best plate is
		// taken: a reading that fits no layout of the region (a vanity
		// plate) is kept as a last resort, ranked below every layout
		// reading. --require-layout measures the agent's video setting.
		AllowFreeText: !*requireLayout,
	})
	if err != nil {
		return err
	}
	defer eng.Close()

	out, summary := stdout, stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	} else {
		summary = stderr // keep stdout a clean TSV
	}
	opts := bench.Options{Out: out, Holdout: *holdout, Limit: *limit}
	if isTerminal(stderr) {
		opts.Progress = stderr
	}
	_, scores, err := bench.Run(ctx, eng, *dataset, opts)
	if err != nil {
		return err
	}
	if *outPath != "" {
		if err := out.(*os.File).Close(); err != nil {
			return err
		}
	}
	if scores != nil {
		fmt.Fprintf(summary, "dataset %s, region %s\n", *dataset, *region)
	}
	for _, s := range scores {
		if err := s.Write(summary); err != nil {
			return err
		}
	}
	return nil
}

// guessRegion picks the format pack from the dataset folder's name: a word
// "br" or "eu" in it ("openalpr-br", "eu_photos"), else the configured one.
func guessRegion(dir, configured string) string {
	name := strings.ToLower(filepath.Base(filepath.Clean(dir)))
	words := strings.FieldsFunc(name, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	for _, w := range words {
		if w == "br" || w == "eu" {
			return w
		}
	}
	return configured
}

// isTerminal reports that w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
