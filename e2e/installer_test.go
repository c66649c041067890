package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless Chromium run: it loads one page and
// lets its timers run for virtualTime.
const (
	chromiumTimeout = 90 * time.Second
	virtualTime     = 4000 // ms of the page's own time: its 1 s refresh runs a few times
)

// chromium runs Debian's headless Chromium with args (and the flags this
// machine and CI need: root, no GPU, no network of its own) and returns
// its stdout.
func chromium(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: apt-get install --no-install-recommends chromium (make test installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("chromium %v: %v\n%s", args, err, errb.Bytes())
	}
	return out.Bytes(), nil
}

// outDir is where the e2e tests leave what a person may look at
// (e2e/out, ignored by git).
func outDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(root, "e2e", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	readRow     = regexp.MustCompile(`<tr class="read" data-id="\d+">`)
	loadedFrame = regexp.MustCompile(`<img class="frame" alt="latest frame of [^"]+" src="blob:[^"]+" data-loaded="1">`)
	loadedCrop  = regexp.MustCompile(`<img alt="" src="blob:[^"]+" class="crop">`)
	statusOn    = regexp.MustCompile(`id="st-events" class="pill on">on<`)
)

// TestInstallerView opens the installer view in headless Chromium while
// the agent replays the synthetic video at its own rate: the page shows
// stored reads with their crops, the camera's annotated frame and that
// events are on; a screenshot is saved to e2e/out/installer-view.png.
func TestInstallerView(t *testing.T) {
	needIntegration(t)
	_, _, s, src, _ := eventsSetup(t, synthetic(t), 97)
	p := startAgent(t, "replay", "--config", s.CfgPath, "--pace", "realtime", src)
	p.waitStored(2, replayTimeout)
	url := "http://" + s.Conf.API.Listen + "/"

	var dom []byte
	for attempt := 0; ; attempt++ {
		var err error
		dom, err = chromium(t, fmt.Sprintf("--virtual-time-budget=%d", virtualTime), "--dump-dom", url)
		if err != nil {
			t.Fatal(err)
		}
		if readRow.Match(dom) && loadedFrame.Match(dom) && loadedCrop.Match(dom) && statusOn.Match(dom) {
			break
		}
		if !p.running() || attempt == 10 {
			t.Fatalf("after %d loads the page shows no read with its crop, frame or events status:\n%s", attempt+1, dom)
		}
	}
	t.Logf("the page shows %d reads", len(readRow.FindAll(dom, -1)))

	shot := filepath.Join(outDir(t), "installer-view.png")
	_ = os.Remove(shot)
	if _, err := chromium(t, fmt.Sprintf("--virtual-time-budget=%d", virtualTime), "--hide-scrollbars",
		"--window-size=1400,900", "--screenshot="+shot, url); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The camera's frame fills the left of the page: a blank page (a frame
	// that never loaded) has one colour there.
	colours := map[uint32]bool{}
	for y := 100; y < 500; y += 7 {
		for x := 30; x < 900; x += 11 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|bl>>12] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("the screenshot's frame area has %d colours: no picture", len(colours))
	}
	t.Logf("screenshot: %s (%dx%d)", shot, img.Bounds().Dx(), img.Bounds().Dy())
	p.stop()
}
