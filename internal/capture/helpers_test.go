package capture

import (
	"context"
	"image"
	"image/color"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/capture/internal/mattest"
	"github.com/edge-agent/edge-agent/internal/config"
)

// Test videos are 320x240 MJPG in AVI at 25 frames per second.
const (
	vidW, vidH = 320, 240
	vidFPS     = 25
	frameDur   = time.Second / vidFPS
)

// objectAt is where the moving object of frame i is when moving(i), in pixels.
func objectAt(i int) image.Rectangle {
	x := 20 + (i%20)*12
	return image.Rect(x, 90, x+40, 140)
}

// writeVideo writes n frames to a new file in dir: a textured still
// background, and the object of objectAt(i) on the frames where moving(i).
func writeVideo(t testing.TB, path string, n int, moving func(i int) bool) string {
	t.Helper()
	w, err := gocv.VideoWriterFile(path, "MJPG", vidFPS, vidW, vidH, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !w.IsOpened() {
		t.Fatalf("cannot write test video %s", path)
	}
	m := gocv.NewMatWithSize(vidH, vidW, gocv.MatTypeCV8UC3)
	defer m.Close()
	for i := range n {
		m.SetTo(gocv.NewScalar(70, 80, 90, 0))
		for x := 0; x < vidW; x += 40 {
			gocv.Line(&m, image.Pt(x, 0), image.Pt(x+20, vidH), color.RGBA{30, 30, 30, 0}, 2)
		}
		if moving != nil && moving(i) {
			gocv.Rectangle(&m, objectAt(i), color.RGBA{250, 250, 250, 0}, -1)
		}
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func stillVideo(t testing.TB, n int) string {
	return writeVideo(t, filepath.Join(t.TempDir(), "still.avi"), n, nil)
}

// testCamera is the config of a camera on source, with the motion gate off.
func testCamera(source string) config.Camera {
	return config.Camera{
		Name: "front", Source: source, StallTimeout: 10 * time.Second, Queue: 4,
		Motion: config.Motion{Enabled: false, Width: 160, Threshold: 25, MinArea: 0.002},
	}
}

// logs collects log records and shows them in the test's output.
type logs struct {
	t    testing.TB
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logs) WithGroup(string) slog.Handler            { return l }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	l.t.Logf("%s %s%s", r.Level, r.Message, b.String())
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// find returns the records with message msg.
func (l *logs) find(msg string) []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []slog.Record
	for _, r := range l.recs {
		if r.Message == msg {
			out = append(out, r)
		}
	}
	return out
}

// attr returns the value of attribute key of r.
func attr(r slog.Record, key string) slog.Value {
	var v slog.Value
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// harness is a camera under test with its registry and logs. Its cleanup
// closes the camera and checks that no Mat is left open.
type harness struct {
	*Camera
	reg  *prometheus.Registry
	logs *logs
}

func newHarness(t *testing.T, cam config.Camera, opts Options) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), logs: &logs{t: t}}
	c, err := New(cam, opts, slog.New(h.logs), h.reg)
	if err != nil {
		t.Fatal(err)
	}
	h.Camera = c
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		mattest.Check(t)
	})
	return h
}

// got is what a test keeps of a received frame.
type got struct {
	Seq     int64
	Wall    time.Time
	Mono    time.Duration
	Pos     time.Duration
	Motion  bool
	Regions []image.Rectangle
	Size    image.Point
	At      time.Time // when it was received
}

// receive keeps and closes f.
func receive(f *Frame) got {
	defer f.Close()
	return got{
		Seq: f.Seq, Wall: f.Wall, Mono: f.Mono, Pos: f.Pos, Motion: f.Motion,
		Regions: slices.Clone(f.Regions), Size: image.Pt(f.Mat.Cols(), f.Mat.Rows()), At: time.Now(),
	}
}

// runAll runs the camera to its end while receiving every frame.
func runAll(t *testing.T, c *Camera) ([]got, error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(context.Background()) }()
	var frames []got
	for f := range c.Frames() {
		frames = append(frames, receive(f))
	}
	return frames, <-errc
}

// seqs lists the Seq of frames.
func seqs(frames []got) []int64 {
	out := make([]int64, len(frames))
	for i, f := range frames {
		out[i] = f.Seq
	}
	return out
}

// span lists the integers from a to b-1.
func span(a, b int64) []int64 {
	var out []int64
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

func image2(w, h int) image.Point { return image.Pt(w, h) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
