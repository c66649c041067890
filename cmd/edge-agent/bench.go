package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/edge-agent/edge-agent/internal/alpr"
	"github.com/edge-agent/edge-agent/internal/alpr/bench"
	"github.com/edge-agent/edge-agent/internal/config"
)

// benchCmd runs the engine on every photo of a folder:
// bench --dataset DIR [--out F.tsv] [--region us|eu|br] [--config F] [--set k=v]... [--holdout N] [--limit N]
// [--match RE] [--split FILE:NAME] [--detector]
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	dataset := fs.String("dataset", "", "folder of .jpg/.png photos, optionally with a manifest.tsv")
	outPath := fs.String("out", "", "write the TSV of the plates read (a line per plate, one with no plate for an image without) here instead of stdout")
	region := fs.String("region", "", "format pack us|eu|br (default: from the folder name, else alpr.region)")
	confPath := fs.String("config", "", "config file (default: built-in defaults)")
	holdout := fs.Int("holdout", 4, "also score every N-th labelled image apart (0: off)")
	limit := fs.Int("limit", 0, "stop after N images (0: all)")
	match := fs.String("match", "", "only the images whose file name matches this regular expression (a video of a set)")
	split := fs.String("split", "", "only the images a split file puts in one part: FILE:NAME (lines image<TAB>part)")
	detector := fs.Bool("detector", false, "score the detector's boxes alone: recall and precision at IoU 0.5")
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
	// A photo is searched as the agent searches a frame of its video, with
	// the agent's settings: the bench measures what the agent does. At
	// log.level debug the engine logs each search (boxes, crops read).
	log, _ := newLogger(stderr, conf.Log)
	eng, err := alpr.Open(benchOptions(conf, *region, log))
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
	keep, err := imageFilter(*match, *split)
	if err != nil {
		return err
	}
	opts := bench.Options{Out: out, Holdout: *holdout, Limit: *limit, Keep: keep, Detector: *detector}
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
	if hwm, err := peakRSS(); err == nil {
		fmt.Fprintf(summary, "peak RSS %.0f MB\n", float64(hwm)/(1<<20))
	}
	return nil
}

// imageFilter selects images by a regular expression on their name and by
// a split file (FILE:NAME: the images whose line in FILE says NAME); nil
// when neither is given.
func imageFilter(match, split string) (func(string) bool, error) {
	var re *regexp.Regexp
	if match != "" {
		var err error
		if re, err = regexp.Compile(match); err != nil {
			return nil, fmt.Errorf("bench: --match: %w", err)
		}
	}
	var part map[string]bool
	if split != "" {
		file, name, ok := strings.Cut(split, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("bench: --split %q: want FILE:NAME", split)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("bench: --split: %w", err)
		}
		part = map[string]bool{}
		for _, line := range strings.Split(string(data), "\n") {
			if img, p, ok := strings.Cut(strings.TrimSpace(line), "\t"); ok && p == name {
				part[img] = true
			}
		}
		if len(part) == 0 {
			return nil, fmt.Errorf("bench: --split: no image of part %q in %s", name, file)
		}
	}
	if re == nil && part == nil {
		return nil, nil
	}
	return func(img string) bool {
		return (re == nil || re.MatchString(img)) && (part == nil || part[img])
	}, nil
}

// peakRSS is the process's peak resident set size in bytes.
func peakRSS() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return ru.Maxrss * 1024, nil // kilobytes on Linux
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

// benchOptions are the engine options of the bench: the agent's settings
// of conf, for region.
func benchOptions(conf *config.Conf, region string, log *slog.Logger) alpr.Options {
	return alpr.Options{
		Logger:    log,
		ModelsDir: conf.ALPR.ModelsDir,
		Region:    region,
		Workers:   conf.ALPR.Workers,
		Tuning:    alpr.Tuning{DetectWidth: conf.ALPR.DetectWidth},
		TopN:      conf.ALPR.TopN,
		MinChars:  conf.ALPR.MinChars,
		// One photo is one frame: its reading is dropped below the
		// confidence at which the agent drops a vehicle pass's voted plate.
		MinConfidence: conf.ALPR.MinConfidence,
		AllowFreeText: !conf.ALPR.RequireLayout,
	}
}
