package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// heldOutVideo is the dashcam-ro drive video no network was trained on
// (scripts/train/data.py: HELDOUT_VIDEO).
const heldOutVideo = "dayride_type1_002"

// usSplit is the committed split of the US plate crops; its "test" part
// was never trained on.
const usSplit = "scripts/train/us_crops_split.tsv"

// engineJob is one edge-agent bench run of the engine section.
type engineJob struct {
	Name    string // in the report
	Dataset string // folder
	Args    []string
}

// streetSets are the synthetic US street sets (scripts/train/us_street.py)
// that the bench makes in its work folder and searches: the held-out video's
// frames at 720p and 1080p, the same at 720p with the plates turned as cars
// off the camera's axis show them, at 720p and 1080p with the plates shrunk
// as cars farther away show them (most of them 25-60 px wide), and the night
// drive's frames at 720p.
var streetSets = []struct {
	name   string // in the report
	dir    string // in the work folder
	height int
	args   []string // more us_street.py arguments
}{
	{"US street 720p (synthetic, held-out frames and crops)", "us-street-720", 720, nil},
	{"US street 1080p (synthetic, held-out frames and crops)", "us-street-1080", 1080, nil},
	{"US street 720p, plates turned (synthetic, held-out frames and crops, rolled up to 10 and yawed up to 40 degrees)", "us-street-pose-720", 720, []string{"--pose"}},
	{"US street 720p, far plates (synthetic, held-out frames and crops, plates at 0.6 of their size: 25-75 px wide)", "us-street-far-720", 720, []string{"--far", "0.6"}},
	{"US street 1080p, far plates (synthetic, held-out frames and crops, plates at 0.4 of their size: 27-80 px wide)", "us-street-far-1080", 1080, []string{"--far", "0.4"}},
	{"US street 720p at night (synthetic, held-out crops in night frames the detector trained on)", "us-street-night-720", 720, []string{"--night"}},
}

// engineJobs are the bench runs over the datasets: the photo sets searched
// as the agent searches a frame, the US crops' test split read crop by
// crop, the synthetic US street sets made in the work folder, and the
// detector alone on the held-out dashcam video and on the photo sets.
func (b *bench) engineJobs() []engineJob {
	d := func(name string) string { return filepath.Join(b.o.datasets, name) }
	jobs := []engineJob{
		{"EU photos", d("openalpr-eu"), []string{"--region", "eu"}},
		{"BR photos", d("openalpr-br"), []string{"--region", "br"}},
		{"US crops, test split (reader alone)", d("openalpr-us-crops"), []string{"--region", "us", "--split", usSplit + ":test", "--holdout", "0"}},
	}
	for _, set := range streetSets {
		jobs = append(jobs, engineJob{set.name, b.path(set.dir), []string{"--region", "us", "--holdout", "0"}})
	}
	return append(jobs,
		engineJob{"dashcam held-out video (detector alone)", d("dashcam-ro"), []string{"--region", "eu", "--detector", "--match", heldOutVideo, "--holdout", "0"}},
		engineJob{"EU photos (detector alone)", d("openalpr-eu"), []string{"--region", "eu", "--detector"}},
		engineJob{"BR photos (detector alone)", d("openalpr-br"), []string{"--region", "br", "--detector"}},
	)
}

// usStreet makes the synthetic US street sets in the work folder, unless
// they are there.
func (b *bench) usStreet(ctx context.Context) {
	for _, set := range streetSets {
		dir := b.path(set.dir)
		if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err == nil {
			b.step("reusing %s", dir)
			continue
		}
		b.step("making the synthetic US street set %s", dir)
		args := append([]string{"scripts/train/us_street.py", "--data", b.o.datasets, "--out", dir, "--height", strconv.Itoa(set.height)}, set.args...)
		if out, err := exec.CommandContext(ctx, b.o.python, args...).CombinedOutput(); err != nil {
			b.fail("us_street.py %s: %v\n%s", strings.Join(args[1:], " "), err, tail(string(out), 5))
		}
	}
}

// engine runs the engine jobs whose dataset is there.
func (b *bench) engine(ctx context.Context, cfg string) {
	if _, err := os.Stat(b.o.datasets); err != nil {
		b.r.BenchNotes = append(b.r.BenchNotes, fmt.Sprintf("Skipped: no datasets folder %s.", b.o.datasets))
		return
	}
	b.usStreet(ctx)
	for _, j := range b.engineJobs() {
		if _, err := os.Stat(j.Dataset); err != nil {
			b.r.BenchNotes = append(b.r.BenchNotes, fmt.Sprintf("Skipped %s: no folder %s.", j.Name, j.Dataset))
			continue
		}
		b.step("bench: %s", j.Name)
		slug := strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(strings.ToLower(j.Name))
		args := append([]string{"bench", "--dataset", j.Dataset, "--config", cfg, "--out", b.path("bench-" + slug + ".tsv")}, j.Args...)
		p, err := runLogged(ctx, b.path("logs", "bench-"+slug+".log"), b.o.agent, args...)
		if err != nil {
			b.fail("bench %s: %v", j.Name, err)
			continue
		}
		res, err := parseBench(p.Stdout)
		if err != nil {
			b.fail("bench %s: %v", j.Name, err)
			continue
		}
		res.Name, res.Dataset = j.Name, filepath.Base(j.Dataset)
		b.r.Bench = append(b.r.Bench, res)
		b.step("  %s", strings.TrimSpace(tail(p.Stdout, 3)))
	}
}

// photoVideoStreet is the synthetic US street set made into videos beside
// the EU and BR photos: the nearest the sets come to what a fleet camera
// sees (small plates in street frames, overlays burned in).
const photoVideoStreet = "us-street-720"

// photoSeconds is how long each photo is on screen in the photo videos: one
// second, as in the videos the engine is scored on (issue 12), half of
// edge-videogen's default.
const photoSeconds = "1"

// photoVideos makes videos of the EU and BR photos and of the 720p US
// street set as an approaching camera sees them (each photo zoomed and
// panned towards its plate for photoSeconds, 1080p, at 30 and 10 frames a
// second), replays each at --pace max with the region's defaults, and
// scores the stored reads against the photos' passes: the agent's figure
// beside the photo bench's for the same photos.
func (b *bench) photoVideos(ctx context.Context, cfg string) {
	for _, set := range []struct{ name, region, dir string }{
		{"openalpr-eu", "eu", filepath.Join(b.o.datasets, "openalpr-eu")},
		{"openalpr-br", "br", filepath.Join(b.o.datasets, "openalpr-br")},
		{photoVideoStreet, "us", b.path(photoVideoStreet)},
	} {
		if _, err := os.Stat(filepath.Join(set.dir, "manifest.tsv")); err != nil {
			continue
		}
		for _, fps := range []int{30, 10} {
			v := PhotoVideo{Dataset: set.name, Region: set.region, FPS: fps}
			base := b.path(fmt.Sprintf("photos-%s-1080p%d-%ss", set.name, fps, photoSeconds))
			video := base + ".mp4"
			if t, err := synth.LoadTruth(base + ".truth.json"); err == nil {
				b.step("reusing %s", video)
				v.Truth = t
			} else {
				b.step("generating %s", video)
				if _, err := runLogged(ctx, b.path("logs", "videogen.log"), b.o.videogen, "photos", "--dataset", set.dir,
					"--out", video, "--height", "1080", "--fps", strconv.Itoa(fps), "--seconds-per-photo", photoSeconds); err != nil {
					b.fail("photo video %s %d fps: %v", set.name, fps, err)
					continue
				}
				if v.Truth, err = synth.LoadTruth(base + ".truth.json"); err != nil {
					b.fail("photo video %s %d fps: %v", set.name, fps, err)
					continue
				}
			}
			db := base + ".db"
			removeDB(db)
			b.step("replay %s --pace max", filepath.Base(video))
			p, err := runLogged(ctx, b.path("logs", "replay-"+filepath.Base(base)+".log"), b.o.agent, "replay", "--config", cfg,
				"--db", db, "--set", "alpr.region="+set.region, "--clock-start", v.Truth.Start.Format(time.RFC3339Nano), "--pace", "max", video)
			if err != nil {
				b.fail("replay %s: %v", filepath.Base(video), err)
				continue
			}
			if v.Summary, err = parseReplaySummary(p.Stdout); err != nil {
				b.fail("replay %s: %v", filepath.Base(video), err)
				continue
			}
			reads, err := b.reads(ctx, db, v.Truth.Start)
			if err != nil {
				b.fail("reads of %s: %v", filepath.Base(video), err)
				continue
			}
			// A set without an ERRATA.tsv changes nothing (ApplyErrata).
			if _, err := v.Truth.ApplyErrata(filepath.Join(set.dir, "ERRATA.tsv")); err != nil {
				b.fail("errata of %s: %v", set.name, err)
			}
			v.Score, v.MaxRSS, v.Ran = synth.Score(v.Truth, reads), p.MaxRSS, true
			b.r.PhotoVideos = append(b.r.PhotoVideos, v)
			b.step("  %d/%d passes exact, %d extra reads, %.1f frames/s", v.Score.Exact, len(v.Truth.Passes), len(v.Score.Extra), v.Summary.FPS)
		}
	}
}
