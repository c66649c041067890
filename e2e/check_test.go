package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/store"
)

// storedReads returns every read in the store at path, oldest first.
func storedReads(t *testing.T, path string) []read.Record {
	t.Helper()
	st, err := store.OpenReadOnly(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open the read store %s: %v", path, err)
	}
	defer st.Close()
	var out []read.Record
	if err := st.Query(context.Background(), time.Time{}, func(r read.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// integrityCheck runs SQLite's integrity_check on the file at path.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatalf("integrity_check %s: %v", path, err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check %s: %s", path, res)
	}
}

// plateTexts returns the plate texts of reads.
func plateTexts(reads []read.Record) []string {
	out := make([]string, len(reads))
	for i, r := range reads {
		out[i] = string(r.Plate)
	}
	return out
}

// checkPasses checks that each pass's plate was stored exactly once; with
// strict (EDGE_E2E_STRICT=1) also that nothing else was stored: one read
// per vehicle pass and no other text.
func checkPasses(t *testing.T, v video, reads []read.Record) {
	t.Helper()
	got := map[string]int{}
	for _, r := range reads {
		got[string(r.Plate)]++
	}
	for _, p := range v.Passes {
		if got[p.Plate] != 1 {
			t.Errorf("pass %d (%s, %s, %d px, blur %s, light %s): plate stored %d times, want once",
				p.Index, p.Plate, p.Motion, p.PlateWidthPx, p.Blur, p.Light, got[p.Plate])
		}
	}
	var extra []string
	want := v.Plates()
	for _, text := range plateTexts(reads) {
		if !slices.Contains(want, text) {
			extra = append(extra, text)
		}
	}
	if len(extra) == 0 {
		return
	}
	sort.Strings(extra)
	msg := fmt.Sprintf("%d stored reads are not a plate of the video (want only %v): %v", len(extra), want, extra)
	if strict() {
		t.Error(msg)
	} else {
		t.Logf("not checked without EDGE_E2E_STRICT=1: %s", msg)
	}
}

// expectedSamples is how many samples the release rules of s (min_per_cell
// 1, max_per_plate 1, no sample rate, no daily cap reached) allow from
// reads: one per distinct (time bucket, plate) among the reads from which
// a sample can be made at all.
func expectedSamples(t *testing.T, s *setup, reads []read.Record) int {
	t.Helper()
	pol := sanitize.PolicyFor(s.Conf)
	keys := map[string]bool{}
	for _, r := range reads {
		if _, _, err := sanitize.Make(r, pol); err != nil {
			t.Logf("read %d: no sample can be made: %v", r.ID, err)
			continue
		}
		b, err := sanitize.FloorToBucket(r.CapturedAt, s.Conf.Improvement.TimeBucket)
		if err != nil {
			t.Fatal(err)
		}
		keys[b.String()+"\x00"+string(r.Plate)] = true
	}
	return len(keys)
}

// checkMessages checks every message against the privacy contract, twice:
// with sanitize's audit (schema, allowlist, JPEG segments, bucketed time,
// geohash length) and with an independent byte search for each secret in
// the topic, the payload and the decoded JPEG. It returns the sample ids.
func checkMessages(t *testing.T, s *setup, msgs []brokertest.Message, secrets []string) map[string]int {
	t.Helper()
	pol := sanitize.PolicyFor(s.Conf)
	ids := map[string]int{}
	for i, m := range msgs {
		if err := sanitize.AuditTopic(m.Topic, pol); err != nil {
			t.Errorf("message %d: topic %q: %v", i, m.Topic, err)
		}
		if m.Topic != s.Conf.Uplink.Topic {
			t.Errorf("message %d on topic %q, want %q", i, m.Topic, s.Conf.Uplink.Topic)
		}
		if err := sanitize.AuditPayload(m.Payload, pol); err != nil {
			t.Errorf("message %d: payload fails the audit: %v", i, err)
		}
		var p struct {
			SampleID string `json:"sample_id"`
			Image    string `json:"image_jpeg"`
			Bucket   string `json:"time_bucket_start"`
			Seconds  int64  `json:"time_bucket_seconds"`
			Geohash  string `json:"geohash"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Errorf("message %d is not JSON: %v", i, err)
			continue
		}
		ids[p.SampleID]++
		jpeg, err := base64.StdEncoding.DecodeString(p.Image)
		if err != nil {
			t.Errorf("message %d: image_jpeg: %v", i, err)
		}
		if bytes.Contains(jpeg, []byte("Exif")) || bytes.Contains(jpeg, []byte("http://ns.adobe.com")) {
			t.Errorf("message %d: the JPEG holds EXIF or XMP", i)
		}
		bucket, err := time.Parse(time.RFC3339, p.Bucket)
		if err != nil || p.Seconds != int64(s.Conf.Improvement.TimeBucket/time.Second) || bucket.Unix()%p.Seconds != 0 {
			t.Errorf("message %d: time %q / %d s is not a bucket of %s", i, p.Bucket, p.Seconds, s.Conf.Improvement.TimeBucket)
		}
		if len(p.Geohash) > s.Conf.Improvement.GeohashPrecision {
			t.Errorf("message %d: geohash %q longer than %d", i, p.Geohash, s.Conf.Improvement.GeohashPrecision)
		}
		for _, sec := range secrets {
			for what, b := range map[string][]byte{"topic": []byte(m.Topic), "payload": m.Payload, "JPEG": jpeg} {
				if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(sec))) {
					t.Errorf("message %d: the %s holds the identifier %q", i, what, sec)
				}
			}
		}
	}
	return ids
}

// checkNoSecrets fails when text (a log) holds any of the secrets.
func checkNoSecrets(t *testing.T, what string, text []byte, secrets []string) {
	t.Helper()
	for _, sec := range secrets {
		if bytes.Contains(bytes.ToLower(text), bytes.ToLower([]byte(sec))) {
			t.Errorf("%s holds the identifier %q", what, sec)
		}
	}
}

// checkPlatesNotLogged fails when a plate text appears in the agent's log
// at info level or above.
func checkPlatesNotLogged(t *testing.T, p *agentProc, plates []string) {
	t.Helper()
	for _, l := range p.linesAt("INFO", "WARN", "ERROR") {
		j, _ := json.Marshal(l)
		for _, pl := range plates {
			if len(pl) >= 4 && bytes.Contains(j, []byte(pl)) {
				t.Errorf("plate %s in the log at %s: %s", pl, l.level(), j)
			}
		}
	}
}

// scrape returns the text of s's /metrics.
func scrape(t *testing.T, s *setup) string {
	t.Helper()
	resp, err := http.Get(s.metricsURL() + "/metrics")
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape /metrics: %s %v", resp.Status, err)
	}
	return string(b)
}

// metric sums the samples of the metric name whose labels include every
// label="value" pair given.
func metric(text, name string, labels ...string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// health returns the status code and body of s's /healthz.
func health(s *setup) (int, string, error) {
	resp, err := http.Get(s.metricsURL() + "/healthz")
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// eventually polls cond every 200 ms until it holds, failing after timeout.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promtool checks a /metrics scrape with `promtool check metrics`.
func promtool(t *testing.T, text string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: apt-get install prometheus (make test installs it through scripts/deps.sh)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// status parses `edge-agent improvement status`: the held samples and
// the consent line.
func improvementStatus(t *testing.T, s *setup) (held int, consent string) {
	t.Helper()
	out := s.cli("improvement", "status", "--config", s.CfgPath)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "held samples: "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("improvement status: %q", line)
			}
			held = n
		}
		if v, ok := strings.CutPrefix(line, "consent: "); ok {
			consent = v
		}
	}
	if consent == "" {
		t.Fatalf("improvement status printed no consent line:\n%s", out)
	}
	return held, consent
}

// outboxDepth parses `edge-agent outbox status`: the entries queued.
func outboxDepth(t *testing.T, s *setup) int {
	t.Helper()
	out := s.cli("outbox", "status", "--config", s.CfgPath)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "queued" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("outbox status: %q", line)
			}
			return n
		}
	}
	t.Fatalf("outbox status printed no queued line:\n%s", out)
	return 0
}

// strict reports whether the assertions that depend on the recogniser's
// precision are on (EDGE_E2E_STRICT=1).
func strict() bool { return envTrue("EDGE_E2E_STRICT") }
