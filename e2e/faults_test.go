package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/read"
)

// garbageNMEA writes garbage to the FIFO at path until ctx ends: bytes that
// are not NMEA, sentences with bad checksums, truncated and malformed
// ones, as a receiver with a bad cable or the wrong baud rate sends.
func garbageNMEA(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR never blocks on a FIFO and keeps it open between the agent's
	// reopenings, so the agent never sees an end of file.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{
		"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*00", // bad checksum
		"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*FF",    // bad checksum
		"$GPRMC,12351",                     // truncated
		"GPRMC no dollar sign",             // not a sentence
		"$XXZZZ,1,2,3*4A",                  // unknown talker and type
		"\xff\xfe\x00\x13\x88\x91\xaa\x55", // binary noise
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer f.Close()
		for i := 0; ctx.Err() == nil; i++ {
			_ = f.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := f.WriteString(lines[i%len(lines)] + "\r\n"); err != nil && !os.IsTimeout(err) {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { <-done })
}

// TestRunFaults runs the daemon on a looping file camera and puts it
// through faults one after the other, checking that it stays alive and
// keeps reading: a GPS receiver sending only garbage (reads stored without
// fix, bad sentences counted), the camera file vanishing and coming back
// (/healthz reports the camera down, then up, and reads resume), and a
// database over its size cap (oldest reads evicted, newest kept). On the
// way, a /metrics scrape passes `promtool check metrics`.
func TestRunFaults(t *testing.T) {
	needIntegration(t)
	v := short(t)
	s := newSetup(t, "")
	src, _ := linkVideo(t, s.Dir, v)
	cam := &s.Conf.Cameras[0]
	cam.Source, cam.Loop, cam.StallTimeout = src, true, time.Second
	fifo := filepath.Join(s.Dir, "gps.fifo")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	garbageNMEA(ctx, t, fifo)
	s.Conf.GPS.Source = "nmea:" + fifo
	s.Conf.Store.MaxBytes = 1 << 20 // the smallest cap: a few full frames
	s.Conf.Store.SaveFullFrame = true
	s.write()

	p := startAgent(t, "run", "--config", s.CfgPath)
	p.waitFor("agent running", 2*time.Minute, func(ls []logLine) bool {
		return slices.ContainsFunc(ls, func(l logLine) bool { return l.msg() == "agent running" })
	})
	eventually(t, "healthy /healthz", time.Minute, func() bool { code, _, _ := health(s); return code == 200 })

	t.Run("garbage NMEA", func(t *testing.T) {
		p.waitStored(1, 3*time.Minute)
		m := scrape(t, s)
		if bad := metric(m, "edge_gps_sentences_total", `result="bad"`); bad == 0 {
			t.Errorf("edge_gps_sentences_total{result=\"bad\"} = 0 while the receiver sends garbage")
		}
		if ok := metric(m, "edge_gps_sentences_total", `result="ok"`); ok != 0 {
			t.Errorf("edge_gps_sentences_total{result=\"ok\"} = %v: garbage parsed as NMEA", ok)
		}
		for _, r := range storedReads(t, s.Conf.Store.Path) {
			if r.Fix != nil {
				t.Errorf("read %d has a fix %v from a receiver that sent only garbage", r.ID, r.Fix.Position)
			}
		}
	})

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool(t, scrape(t, s))
	})

	t.Run("camera file vanishes and comes back", func(t *testing.T) {
		gone := src + ".gone"
		if err := os.Rename(src, gone); err != nil {
			t.Fatal(err)
		}
		// The open file plays to its end; the reopening then fails.
		eventually(t, "camera reported down on /healthz", 2*time.Minute, func() bool {
			code, body, _ := health(s)
			return code == 503 && strings.Contains(body, cam.Name)
		})
		if up := metric(scrape(t, s), "edge_camera_up"); up != 0 {
			t.Errorf("edge_camera_up = %v while the file is gone", up)
		}
		before := len(p.stored())
		if err := os.Rename(gone, src); err != nil {
			t.Fatal(err)
		}
		eventually(t, "camera back up on /healthz", 2*time.Minute, func() bool { code, _, _ := health(s); return code == 200 })
		p.waitStored(before+1, 3*time.Minute)
		if m := scrape(t, s); metric(m, "edge_camera_reconnects_total") == 0 {
			t.Error("edge_camera_reconnects_total = 0 after the camera came back")
		}
	})

	t.Run("disk cap", func(t *testing.T) {
		// The store enforces its cap once a minute.
		eventually(t, "eviction by size", 3*time.Minute, func() bool {
			return metric(scrape(t, s), "edge_store_evictions_total", `reason="size"`) > 0
		})
		reported := p.stored()
		n := len(reported)
		p.waitStored(n+1, 3*time.Minute) // still reading and storing after evicting
		now := p.stored()
		last := now[len(now)-1]
		reads := storedReads(t, s.Conf.Store.Path)
		if len(reads) == 0 {
			t.Fatal("every read evicted")
		}
		ids := map[int64]bool{}
		for _, r := range reads {
			ids[r.ID] = true
		}
		if ids[reported[0]] {
			t.Errorf("the oldest read (id %d) survived the eviction", reported[0])
		}
		if !ids[last] {
			t.Errorf("the newest read (id %d) is not in the store", last)
		}
		if code, body, err := health(s); code != 200 {
			t.Errorf("/healthz after eviction: %d %s %v", code, body, err)
		}
		t.Logf("%d reads stored in all, %d kept under the 1 MiB cap", len(now), len(reads))
	})

	p.stop()
}

// TestReplayTruncatedVideo replays a video cut short in the middle of its
// data: the replay fails with an error naming the file, and the reads made
// before the cut are stored.
func TestReplayTruncatedVideo(t *testing.T) {
	needIntegration(t)
	v := synthetic(t)
	s := newSetup(t, "")
	data, err := os.ReadFile(v.Path)
	if err != nil {
		t.Fatal(err)
	}
	name := randomID("cut")
	path := filepath.Join(s.Dir, name+".mp4")
	if err := os.WriteFile(path, data[:len(data)*55/100], 0o600); err != nil {
		t.Fatal(err)
	}
	s.Conf.Cameras[0].Source = path
	s.write()

	p := startAgent(t, "replay", "--config", s.CfgPath, path)
	if err := p.wait(replayTimeout); err == nil {
		t.Fatalf("replay of a truncated video exited 0; output: %s", p.stdout.String())
	}
	msg := p.errorText()
	if !strings.Contains(msg, name) || !strings.Contains(msg, "truncated or corrupt") {
		t.Errorf("error %q: want it to name the file %s and say it is truncated or corrupt", msg, name)
	}
	// "video ended after N of M frames": the passes wholly before frame N
	// must have been read and stored.
	m := regexp.MustCompile(`after (\d+) of (\d+) frames`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("error %q does not say where the video ended", msg)
	}
	cut, _ := strconv.Atoi(m[1])
	reads := storedReads(t, s.Conf.Store.Path)
	have := map[string]bool{}
	for _, r := range reads {
		have[string(r.Plate)] = true
	}
	checked := 0
	for _, ps := range v.Passes {
		if ps.LastFrame+int(v.Truth.FPS) < cut {
			checked++
			if !have[ps.Plate] {
				t.Errorf("pass %d (%s) ended before the cut at frame %d but its read is not stored", ps.Index, ps.Plate, cut)
			}
		}
	}
	for _, id := range p.stored() {
		if !slices.ContainsFunc(reads, func(r read.Record) bool { return r.ID == id }) {
			t.Errorf("read %d reported stored is not in the database", id)
		}
	}
	if checked == 0 {
		t.Fatalf("no pass ends before the cut at frame %d: cut the video later", cut)
	}
	t.Logf("cut at frame %d of %d; %d passes before it, %d reads stored", cut, v.Truth.Frames, checked, len(reads))
}

// TestReplayNotAVideo replays a file that is not a video: a clear error
// naming it, at once.
func TestReplayNotAVideo(t *testing.T) {
	needIntegration(t)
	s := newSetup(t, "")
	name := randomID("junk")
	path := filepath.Join(s.Dir, name+".mp4")
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(rand.IntN(256))
	}
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Conf.Cameras[0].Source = path
	s.write()
	p := startAgent(t, "replay", "--config", s.CfgPath, path)
	if err := p.wait(2 * time.Minute); err == nil {
		t.Fatal("replay of random bytes exited 0")
	}
	if msg := p.errorText(); !strings.Contains(msg, name) {
		t.Errorf("error %q does not name the file %s", msg, name)
	}
}
