package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite configs/edge-agent.yaml from the code's defaults")

const shipped = "../../configs/edge-agent.yaml"

// The shipped file is the code's defaults, written with a comment per key.
func TestDefaultConfFile(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Defaults()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(shipped, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s differs from the code's defaults; run go test ./internal/config -update and review the diff", shipped)
	}
	c, err := Load(shipped, nil)
	if err != nil {
		t.Fatalf("shipped config does not validate:\n%v", err)
	}
	if !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("loading the shipped config gives\n%+v\nwant the defaults\n%+v", c, Defaults())
	}
	// Every key that holds a value has its one-line description just above it.
	lines := strings.Split(string(got), "\n")
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " -")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasSuffix(trimmed, ":") {
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "# ") {
			t.Errorf("%s:%d: %q has no comment above it", shipped, i+1, line)
		}
	}
}

func writeConf(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		sets []string
		want string
	}{
		{"unknown key", "alpr:\n  regoin: eu\n", nil,
			"agent.yaml:2: unknown key 'alpr.regoin' (did you mean 'alpr.region'?)"},
		{"unknown top-level key", "stor:\n  path: x.db\n", nil,
			"agent.yaml:1: unknown key 'stor' (did you mean 'store'?)"},
		{"unknown camera key", "cameras:\n  - name: a\n    source: /dev/video0\n    sauce: x\n", nil,
			"agent.yaml:4: unknown key 'cameras[0].sauce' (did you mean 'cameras[0].source'?)"},
		{"wrong type", "alpr:\n  workers: two\n", nil,
			`agent.yaml:2: 'alpr.workers' must be an integer, got "two"`},
		{"wrong type duration", "improvement:\n  time_bucket: 3\n", nil,
			`agent.yaml:2: 'improvement.time_bucket' must be a duration such as 500ms, 10s, 5m or 1h, got "3"`},
		{"mapping expected", "store: /tmp/x\n", nil,
			`agent.yaml:1: 'store' must be a mapping of keys, got a value "/tmp/x"`},
		{"out of range", "improvement:\n  time_bucket: 5m\n", nil,
			"agent.yaml:2: 'improvement.time_bucket' must be between 15m and 24h, got 5m"},
		{"out of range int", "improvement:\n  geohash_precision: 7\n", nil,
			"agent.yaml:2: 'improvement.geohash_precision' must be between 1 and 5, got 7"},
		{"enum", "alpr:\n  region: mars\n", nil,
			`agent.yaml:2: 'alpr.region' must be one of us, eu, br; got "mars"`},
		{"camera override out of range", "cameras:\n  - name: a\n    source: x.mp4\n    motion:\n      threshold: 300\n", nil,
			"agent.yaml:5: 'cameras[0].motion.threshold' must be between 1 and 255, got 300"},
		{"duplicate camera", "cameras:\n  - name: a\n    source: x.mp4\n  - name: a\n    source: y.mp4\n", nil,
			`agent.yaml:4: 'cameras[1].name' repeats camera name "a"`},
		{"gps source", "gps:\n  source: gps://x\n", nil,
			`agent.yaml:2: 'gps.source' must be gpsd://host:port, nmea:PATH, static:LAT,LON or none, got "gps://x"`},
		{"set out of range", "", []string{"alpr.workers=0"},
			"--set alpr.workers=0: 'alpr.workers' must be between 1 and 16, got 0"},
		{"set unknown key", "", []string{"alpr.speed=fast"},
			"--set alpr.speed=fast: unknown key 'alpr.speed'"},
		{"unknown key of a shared section", "events:\n  brokr: tcp://h:1883\n", nil,
			"agent.yaml:2: unknown key 'events.brokr' (did you mean 'events.broker'?)"},
		{"shared key out of range", "events:\n  backoff_min: 1ms\n", nil,
			"agent.yaml:2: 'events.backoff_min' must be between 10ms and 1m, got 1ms"},
		{"events broker", "events:\n  broker: mqtt://h\n", nil,
			`agent.yaml:2: 'events.broker' must be tcp://host:port or ssl://host:port, got "mqtt://h"`},
		{"webhook not https", "events:\n  webhook:\n    url: http://fleet.example/reads\n", nil,
			`agent.yaml:3: 'events.webhook.url' must be an https:// URL or empty, got "http://fleet.example/reads"`},
		{"alerts and reads on one topic", "events:\n  alert_topic: edge-agent/reads\n", nil,
			`agent.yaml:2: 'events.alert_topic' must differ from 'events.topic' ("edge-agent/reads"): alerts and reads are told apart by topic`},
		{"events go nowhere", "events:\n  enabled: true\n  mqtt: false\n", nil,
			"agent.yaml:3: 'events.mqtt' is false and 'events.webhook.url' is empty: events and alerts would go nowhere"},
		{"api on all interfaces without a token", "api:\n  listen: 0.0.0.0:9811\n", nil,
			`agent.yaml:2: 'api.listen' is "0.0.0.0:9811", not a loopback address: set 'api.token_file' so that requests need a token`},
		{"hotlist tolerance", "hotlist:\n  max_edits: 3\n", nil,
			"agent.yaml:2: 'hotlist.max_edits' must be between 0 and 2, got 3"},
		{"yaml syntax", "alpr:\n  region: eu\n   workers: 2\n", nil,
			"agent.yaml:3: invalid YAML: mapping values are not allowed in this context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConf(t, tc.body)
			_, err := Load(p, tc.sets)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			got := strings.ReplaceAll(err.Error(), filepath.Dir(p)+string(filepath.Separator), "")
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load("/nonexistent/agent.yaml", nil)
	want := `config file "/nonexistent/agent.yaml": no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// Every error in a file is reported, not just the first.
func TestAllErrorsReported(t *testing.T) {
	p := writeConf(t, "alpr:\n  workers: 0\n  region: xx\nstore:\n  pth: a\n")
	_, err := Load(p, nil)
	if n := len(err.(Errors)); n != 3 {
		t.Errorf("got %d errors, want 3:\n%v", n, err)
	}
}

func TestCameraInheritsGlobalSettings(t *testing.T) {
	p := writeConf(t, `
alpr:
  region: eu
  min_confidence: 0.7
motion:
  threshold: 40
cameras:
  - name: rear
    source: /dev/video2
    alpr:
      region: br
  - name: side
    source: rtsp://127.0.0.1/side
`)
	c, err := Load(p, []string{"cameras[1].motion.min_area=0.01", "store.retention=48h"})
	if err != nil {
		t.Fatal(err)
	}
	rear, side := c.Cameras[0], c.Cameras[1]
	if rear.ALPR.Region != "br" || rear.ALPR.MinConfidence != 0.7 || rear.Motion.Threshold != 40 {
		t.Errorf("rear = %+v", rear)
	}
	if side.ALPR.Region != "eu" || side.Motion.MinArea != 0.01 || side.Motion.Threshold != 40 {
		t.Errorf("side = %+v", side)
	}
	if c.Store.Retention != 48*time.Hour {
		t.Errorf("retention = %v", c.Store.Retention)
	}
	if side.StallTimeout != 10*time.Second {
		t.Errorf("camera default stall_timeout = %v", side.StallTimeout)
	}
}

func TestSetAddsCamera(t *testing.T) {
	c, err := Load(writeConf(t, "cameras: []\n"), []string{"cameras[0]={name: dash, source: /dev/video0}", "uplink.enabled=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cameras) != 1 || c.Cameras[0].Name != "dash" || !c.Uplink.Enabled {
		t.Errorf("got %+v", c.Cameras)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"0B": 0, "512B": 512, "64KiB": 64 << 10, "1GiB": 1 << 30, "1.5MiB": 3 << 19, "2MB": 2e6, "100": 100} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1XB", "-1MiB", "GiB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded", bad)
		}
	}
}

// FuzzParse: any file and override either loads into a configuration that
// passes its own bounds, or fails with located errors; never a panic.
func FuzzParse(f *testing.F) {
	shippedBytes, err := os.ReadFile(shipped)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shippedBytes, "alpr.workers=2")
	f.Add([]byte("alpr:\n  regoin: eu\n"), "cameras[0].source=/dev/video0")
	f.Add([]byte("cameras:\n  - name: a\n    source: x.mp4\n    motion: {threshold: 300}\n"), "cameras[1]={name: b, source: y}")
	f.Add([]byte("store: [1, 2]\nuplink: {broker: 'ssl://h:8883', topic: a/#}\n"), "improvement.time_bucket=5m")
	f.Add([]byte("&a {x: *a}"), "=")
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		c, err := Parse("fuzz.yaml", data, []string{set})
		if err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T is not a located list: %v", err, err)
			}
			for _, e := range list {
				if e.Error() == "" {
					t.Fatal("empty error")
				}
			}
			return
		}
		if errs := validate(reflect.ValueOf(c).Elem(), ""); len(errs) != 0 {
			t.Fatalf("loaded a configuration that breaks its bounds: %v", errs)
		}
	})
}

// TestRetiredKeysLoad: a file written for an older agent, with keys that no
// longer do anything, still loads, and Retired names those keys with why;
// the shipped file has none.
func TestRetiredKeysLoad(t *testing.T) {
	c, err := Parse("old.yaml", []byte("alpr:\n  networks: 2\n  wide_look: true\n  region: eu\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Retired(c)
	if len(got) != 2 || !strings.HasPrefix(got[0], "'alpr.wide_look' is retired: ") || !strings.HasPrefix(got[1], "'alpr.networks' is retired: ") {
		t.Errorf("Retired = %q, want alpr.wide_look and alpr.networks named", got)
	}
	if got := Retired(Defaults()); len(got) != 0 {
		t.Errorf("Retired(Defaults()) = %q, want none", got)
	}
	var b strings.Builder
	if err := Write(&b, Defaults()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "networks:") || strings.Contains(b.String(), "wide_look:") {
		t.Error("the written config holds a retired key")
	}
}

// TestNonFiniteNumbers: NaN and infinities are no numbers a key can hold
// (NaN passes every bound check: it compares false with both).
func TestNonFiniteNumbers(t *testing.T) {
	for _, v := range []string{"NaN", ".nan", "+Inf", "-inf", ".inf", "Infinity"} {
		_, err := Parse("a.yaml", []byte("alpr:\n  min_confidence: "+v+"\n"), nil)
		want := fmt.Sprintf("a.yaml:2: 'alpr.min_confidence' must be a finite number, got %q", v)
		if err == nil || err.Error() != want {
			t.Errorf("min_confidence %s: %v, want %s", v, err, want)
		}
	}
}

// TestAliasBomb: a file whose aliases expand to billions of values is
// refused quickly with an error, not decoded for hours.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &x0 {region: us, min_confidence: 0.5}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("cameras: *x9\n")
	_, err := Parse("bomb.yaml", []byte(b.String()), nil)
	if want := "bomb.yaml:11: 'cameras' is an alias that expands to more than 10000 values"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "cameras[") {
		t.Errorf("alias bomb: %v, want %s", err, want)
	}
	// An alias of a reasonable size is fine.
	if _, err := Parse("ok.yaml", []byte("m: &m {enabled: true}\nmotion: *m\n"), nil); err == nil || !strings.Contains(err.Error(), "unknown key 'm'") {
		t.Errorf("a small alias: %v, want only the unknown anchor key named", err)
	}
}
