package capture

import (
	"image"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gateVideo is 50 frames: 10 still, 20 with an object crossing, 20 still.
func gateVideo(t *testing.T) string {
	return writeVideo(t, filepath.Join(t.TempDir(), "pass.avi"), 50, func(i int) bool { return i >= 10 && i < 30 })
}

func TestMotionGatePassesTheMovingPartOnly(t *testing.T) {
	cam := testCamera(gateVideo(t))
	cam.Motion.Enabled = true
	cam.Motion.Hold = 0
	h := newHarness(t, cam, Options{Pace: PaceMax, ClockStart: clockStart})
	frames, err := runAll(t, h.Camera)
	if err != nil {
		t.Fatal(err)
	}
	// Frame 0 opens the camera (a plate already in view is read once), then
	// exactly the frames with the object.
	if want := append([]int64{0}, span(10, 30)...); !slices.Equal(seqs(frames), want) {
		t.Fatalf("frames %v, want %v", seqs(frames), want)
	}
	for _, f := range frames[1:] {
		obj := objectAt(int(f.Seq))
		if !f.Motion || !coveredBy(obj, f.Regions) {
			t.Errorf("frame %d: motion %v regions %v, want motion with a region around the object %v", f.Seq, f.Motion, f.Regions, obj)
		}
		for _, r := range f.Regions {
			if r.Dx()*r.Dy() > 4*obj.Dx()*obj.Dy() {
				t.Errorf("frame %d: region %v is far larger than the object %v", f.Seq, r, obj)
			}
		}
	}
	if frames[0].Motion {
		t.Errorf("frame 0 has Motion set; it passed as the first frame, not for motion")
	}
	if n := testutil.ToFloat64(h.m.skippedStill); n != 29 {
		t.Errorf("edge_frames_skipped_total{reason=still} = %v, want 29", n)
	}
	if n := testutil.ToFloat64(h.m.captured); n != 50 {
		t.Errorf("edge_frames_captured_total = %v, want 50", n)
	}
}

func TestMotionGateHoldKeepsAnalysingAfterMotion(t *testing.T) {
	cam := testCamera(gateVideo(t))
	cam.Motion.Enabled = true
	cam.Motion.Hold = 5 * frameDur // measured in video time, so the replay is repeatable
	h := newHarness(t, cam, Options{Pace: PaceMax, ClockStart: clockStart})
	frames, err := runAll(t, h.Camera)
	if err != nil {
		t.Fatal(err)
	}
	want := append(span(0, 6), span(10, 35)...)
	if !slices.Equal(seqs(frames), want) {
		t.Errorf("frames %v, want %v", seqs(frames), want)
	}
}

// coveredBy reports whether one of regions contains obj, give or take the
// JPEG-softened edge of one pixel.
func coveredBy(obj image.Rectangle, regions []image.Rectangle) bool {
	for _, r := range regions {
		if obj.Inset(1).In(r) {
			return true
		}
	}
	return false
}
