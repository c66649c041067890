package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/synth"
)

// scratch is the folder of the binaries and videos shared by every test of
// this binary; TestMain removes it. root is the module's folder (the tests
// run in e2e/).
var scratch, root string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	scratch = dir
	if wd, err := os.Getwd(); err == nil {
		root = filepath.Dir(wd)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needIntegration skips t under -short: every test here runs processes.
func needIntegration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: runs the agent, Mosquitto and OpenCV; skipped with -short")
	}
}

// once runs f the first time and remembers its result and error, so that a
// failed fixture fails every test that needs it with the same message.
type once[T any] struct {
	o   sync.Once
	v   T
	err error
}

func (o *once[T]) get(f func() (T, error)) (T, error) {
	o.o.Do(func() { o.v, o.err = f() })
	return o.v, o.err
}

var agentBin, videogenBin once[string]

// edgeAgent is the path of the edge-agent binary built from this checkout.
func edgeAgent(t testing.TB) string {
	t.Helper()
	p, err := agentBin.get(func() (string, error) { return goBuild("edge-agent") })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func videogen() (string, error) { return goBuild("edge-videogen") }

func goBuild(name string) (string, error) {
	// go test puts its own GOROOT/bin first on the PATH of the tests.
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	out := filepath.Join(scratch, "bin", name)
	cmd := exec.Command(gobin, "build", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	return out, nil
}

// modelsDir is the plate models folder, which `make models` fills.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(root, "models")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		t.Fatalf("no plate models in %s: run `make models` first (%v)", dir, err)
	}
	return dir
}

// video is a generated test video with its ground truth.
type video struct {
	Path  string
	NMEA  string
	Truth *synth.Truth
	// Passes are the passes wholly inside the video (all of them but in a
	// cut copy).
	Passes []synth.Pass
}

// Plates returns the plate texts of v's passes.
func (v video) Plates() []string {
	out := make([]string, len(v.Passes))
	for i, p := range v.Passes {
		out[i] = p.Plate
	}
	return out
}

// Seed and length of the synthetic video most tests replay: four passes
// (about 18 s at 1080p), short enough for CI's two cores.
const (
	syntheticSeed   = 7
	syntheticPasses = 4
	// shortCut is where the short clip ends, in seconds of the synthetic
	// video: after its second pass.
	shortCut = 9.0
)

var syntheticVideo, shortVideo, euVideo once[video]

// synthetic returns the 1080p synthetic video, generated once per test binary.
func synthetic(t testing.TB) video {
	t.Helper()
	v, err := syntheticVideo.get(func() (video, error) {
		dir := filepath.Join(scratch, "synthetic")
		args := []string{"synthetic", "--out", dir, "--height", "1080",
			"--passes", fmt.Sprint(syntheticPasses), "--seed", fmt.Sprint(syntheticSeed)}
		bin, err := videogenBin.get(videogen)
		if err != nil {
			return video{}, err
		}
		if err := runTool(bin, args...); err != nil {
			return video{}, err
		}
		return loadVideo(filepath.Join(dir, "synthetic-1080p.mp4"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// short returns the first shortCut seconds of the synthetic video (two
// passes), cut without re-encoding: for the tests that need reads but not
// every pass.
func short(t testing.TB) video {
	t.Helper()
	full := synthetic(t)
	v, err := shortVideo.get(func() (video, error) {
		out := filepath.Join(scratch, "short", "short-1080p.mp4")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return video{}, err
		}
		if err := runTool("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", full.Path,
			"-t", fmt.Sprint(shortCut), "-c", "copy", "-an", out); err != nil {
			return video{}, fmt.Errorf("cutting the short clip (apt-get install ffmpeg): %w", err)
		}
		v := full
		v.Path, v.Passes = out, nil
		for _, p := range full.Passes {
			if float64(p.LastFrame+1)/full.Truth.FPS < shortCut {
				v.Passes = append(v.Passes, p)
			}
		}
		if len(v.Passes) < 2 {
			return video{}, fmt.Errorf("short clip holds %d passes, want at least 2", len(v.Passes))
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// euDataset is the folder of EU photos the photo video is made from.
func euDataset() string {
	if d := os.Getenv("EDGE_E2E_EU_DATASET"); d != "" {
		return d
	}
	return filepath.Join(root, "..", "shared", "datasets", "openalpr-eu")
}

// euPhotos is how many dataset photos the photo video shows.
const euPhotos = 8

// eu returns a video made from euPhotos photos of the openalpr-eu dataset,
// skipping t when the dataset is absent.
func eu(t testing.TB) video {
	t.Helper()
	ds := euDataset()
	if _, err := os.Stat(filepath.Join(ds, "manifest.tsv")); err != nil {
		t.Skipf("no EU photo dataset at %s (set EDGE_E2E_EU_DATASET to its folder): %v", ds, err)
	}
	v, err := euVideo.get(func() (video, error) {
		out := filepath.Join(scratch, "eu", "eu-photos.mp4")
		bin, err := videogenBin.get(videogen)
		if err != nil {
			return video{}, err
		}
		if err := runTool(bin, "photos", "--dataset", ds, "--out", out, "--height", "1080",
			"--limit", fmt.Sprint(euPhotos), "--seed", "1"); err != nil {
			return video{}, err
		}
		v, err := loadVideo(out)
		if err != nil {
			return video{}, err
		}
		// v.Passes shares its array with v.Truth.Passes: the fix reaches both.
		_, err = v.Truth.ApplyErrata(filepath.Join(ds, "ERRATA.tsv"))
		return v, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func loadVideo(path string) (video, error) {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	truth, err := synth.LoadTruth(base + ".truth.json")
	if err != nil {
		return video{}, err
	}
	return video{Path: path, NMEA: base + ".nmea", Truth: truth, Passes: truth.Passes}, nil
}

// runTool runs a helper command to completion, returning its output on failure.
func runTool(name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.Bytes())
	}
	fmt.Fprintf(os.Stderr, "e2e: %s %s took %s\n", filepath.Base(name), args[0], time.Since(began).Round(100*time.Millisecond))
	return nil
}

func envTrue(name string) bool {
	v := os.Getenv(name)
	return v == "1" || strings.EqualFold(v, "true")
}
