package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/sanitize"
)

// replayTimeout bounds one replay of a test video on a slow, busy machine.
const replayTimeout = 15 * time.Minute

// linkVideo links v into dir under a random name, so that the replay
// camera (named after its file) carries an identifier the messages must
// not hold. It returns the link and that camera name.
func linkVideo(t *testing.T, dir string, v video) (path, camera string) {
	t.Helper()
	name := randomID("video")
	path = filepath.Join(dir, name+".mp4")
	if err := os.Symlink(v.Path, path); err != nil {
		t.Fatal(err)
	}
	return path, name + "-0"
}

// optedIn starts a broker and a subscriber, and sets up an opted-in agent
// replaying (or running) v under a random file name; it returns the
// camera name the replay gives that file.
func optedIn(t *testing.T, v video) (*brokertest.Broker, *brokertest.Subscriber, *setup, string) {
	t.Helper()
	b := brokertest.Start(t, brokertest.Options{Verbose: true})
	sub := brokertest.Subscribe(t, b.URL(), "#", nil)
	s := newSetup(t, "")
	src, camera := linkVideo(t, s.Dir, v)
	s.Conf.Cameras[0].Source = src
	s.optIn(b.URL())
	return b, sub, s, camera
}

// pastClock is a --clock-start two days ago, five minutes into an hour, so
// that a short video's reads fall in one closed bucket.
func pastClock() time.Time {
	return time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour).Add(5 * time.Minute)
}

// TestReplayOptedIn replays the synthetic video for an opted-in tenant with
// its NMEA track and checks the whole chain: one read per vehicle pass with
// the plate text of the ground truth, every read placed by the track, the
// exact number of samples the release rules allow published, and every
// message within the privacy contract.
func TestReplayOptedIn(t *testing.T) {
	needIntegration(t)
	replayOptedIn(t, synthetic(t), "us")
}

// TestReplayOptedInEUPhotos is TestReplayOptedIn on a video of real EU
// photos (../shared/datasets/openalpr-eu).
func TestReplayOptedInEUPhotos(t *testing.T) {
	needIntegration(t)
	replayOptedIn(t, eu(t), "eu")
}

// replayOptedIn runs the opted-in replay of v.
func replayOptedIn(t *testing.T, v video, region string) {
	b, sub, s, camera := optedIn(t, v)
	src := s.Conf.Cameras[0].Source
	s.Conf.ALPR.Region, s.Conf.Cameras[0].ALPR.Region = region, region
	if v.Truth.Generator == "photos" {
		// The EU set holds vanity plates (GWAGEN, BIMMIAN, WOBVWMK4) that fit
		// no layout: read them as a fleet in such a region would.
		s.Conf.ALPR.RequireLayout = false
	}
	s.Conf.GPS.Source = "nmea:" + v.NMEA
	s.write()
	clock := pastClock()

	p := startAgent(t, "replay", "--config", s.CfgPath, "--clock-start", clock.Format(time.RFC3339), src)
	if err := p.wait(replayTimeout); err != nil {
		t.Fatalf("replay failed: %v\n%s", err, p.errorText())
	}
	reads := storedReads(t, s.Conf.Store.Path)
	if len(reads) == 0 {
		t.Fatal("no read stored")
	}
	checkPasses(t, v, reads)
	end := clock.Add(time.Duration(v.Truth.DurationS*float64(time.Second)) + time.Second)
	for _, r := range reads {
		if r.Fix == nil {
			t.Errorf("read %d at %s has no GPS fix: the NMEA track covers the whole video", r.ID, r.CapturedAt)
		}
		if r.CapturedAt.Before(clock) || r.CapturedAt.After(end) {
			t.Errorf("read %d captured at %s, outside the replay's clock %s to %s", r.ID, r.CapturedAt, clock, end)
		}
	}

	want := expectedSamples(t, s, reads)
	if want == 0 {
		t.Fatal("the release rules allow no sample from the stored reads")
	}
	// The replay exits once the broker acknowledged every sample; give the
	// broker a moment to forward the last ones, and any surplus to show.
	sub.WaitCount(want, 30*time.Second)
	time.Sleep(time.Second)
	msgs := sub.Messages()
	ids := checkMessages(t, s, msgs, s.secrets(camera))
	if len(ids) != want {
		t.Errorf("subscriber got %d distinct samples in %d messages, want %d (one per plate and bucket of the %d stored reads)",
			len(ids), len(msgs), want, len(reads))
	}
	if !strings.Contains(p.stdout.String(), "0 still queued") {
		t.Errorf("replay summary: %q, want the outbox drained", p.stdout.String())
	}
	if held, _ := improvementStatus(t, s); held != 0 {
		t.Errorf("%d samples still held after the replay of a closed bucket", held)
	}
	if n := outboxDepth(t, s); n != 0 {
		t.Errorf("outbox holds %d entries after the replay", n)
	}
	checkNoSecrets(t, "the broker log (client ids, topics)", b.Log(), s.secrets(camera))
	checkTransportAudited(t, s, s.secrets(camera))
	checkPlatesNotLogged(t, p, append(v.Plates(), plateTexts(reads)...))
	t.Logf("%d passes, %d reads stored, %d samples published (%d messages)", len(v.Passes), len(reads), len(ids), len(msgs))
}

// checkTransportAudited: the improvement audit log records the names the
// samples went out under (broker, topic, client id scheme), and they hold
// no identifier.
func checkTransportAudited(t *testing.T, s *setup, secrets []string) {
	t.Helper()
	for _, e := range auditEntries(t, s.Conf.Improvement.AuditPath) {
		tr, _ := e["transport"].(map[string]any)
		topics, _ := tr["topics"].([]any)
		if e["event"] != "transport" || tr["broker"] != s.Conf.Uplink.Broker || len(topics) != 1 || topics[0] != s.Conf.Uplink.Topic {
			continue
		}
		if id, _ := tr["client_id"].(string); !strings.HasPrefix(id, "random") {
			t.Errorf("audited client id %q; want its random scheme", id)
		}
		b, _ := json.Marshal(tr)
		checkNoSecrets(t, "the audited transport identity", b, secrets)
		return
	}
	t.Errorf("the audit log %s records no transport identity for broker %s, topic %s", s.Conf.Improvement.AuditPath,
		s.Conf.Uplink.Broker, s.Conf.Uplink.Topic)
}

// TestReplayOpenBucketPublishesNothing replays for an opted-in tenant with
// the clock at now: the samples' time bucket is still open, so they are
// held on the vehicle and nothing reaches the broker.
func TestReplayOpenBucketPublishesNothing(t *testing.T) {
	needIntegration(t)
	v := short(t)
	_, sub, s, _ := optedIn(t, v)
	src := s.Conf.Cameras[0].Source
	// A day bucket: a run of a minute or two cannot see it close (unless it
	// crosses midnight UTC, which the test detects).
	s.Conf.Improvement.TimeBucket = 24 * time.Hour
	s.write()
	clock := time.Now().UTC()
	bucket, err := sanitize.FloorToBucket(clock, s.Conf.Improvement.TimeBucket)
	if err != nil {
		t.Fatal(err)
	}

	p := startAgent(t, "replay", "--config", s.CfgPath, "--clock-start", clock.Format(time.RFC3339), src)
	if err := p.wait(replayTimeout); err != nil {
		t.Fatalf("replay failed: %v\n%s", err, p.errorText())
	}
	if time.Now().After(bucket.Add(s.Conf.Improvement.TimeBucket)) {
		t.Skip("the replay crossed midnight UTC: its bucket closed during the run")
	}
	reads := storedReads(t, s.Conf.Store.Path)
	want := expectedSamples(t, s, reads)
	if want == 0 {
		t.Fatal("no sample can be made from the stored reads")
	}
	held, consent := improvementStatus(t, s)
	if held != want {
		t.Errorf("%d samples held, want %d (one per plate of the %d reads)", held, want, len(reads))
	}
	if consent != "opted in" {
		t.Errorf("consent: %q, want opted in", consent)
	}
	if n := outboxDepth(t, s); n != 0 {
		t.Errorf("outbox holds %d entries: samples of an open bucket left the holding queue", n)
	}
	time.Sleep(time.Second) // anything in flight at exit
	if msgs := sub.Messages(); len(msgs) != 0 {
		t.Errorf("subscriber got %d messages before the bucket closed", len(msgs))
	}
}

// TestReplayOptedOutPublishesNothing replays with the uplink on but the
// tenant not opted in: reads are stored, no sample is made or sent.
func TestReplayOptedOutPublishesNothing(t *testing.T) {
	needIntegration(t)
	v := short(t)
	b, sub, s, _ := optedIn(t, v)
	src := s.Conf.Cameras[0].Source
	s.Conf.Improvement.Enabled = false
	s.write()

	p := startAgent(t, "replay", "--config", s.CfgPath, "--clock-start", pastClock().Format(time.RFC3339), src)
	if err := p.wait(replayTimeout); err != nil {
		t.Fatalf("replay failed: %v\n%s", err, p.errorText())
	}
	reads := storedReads(t, s.Conf.Store.Path)
	if len(reads) == 0 {
		t.Fatal("no read stored")
	}
	held, consent := improvementStatus(t, s)
	if held != 0 || !strings.HasPrefix(consent, "opted out") {
		t.Errorf("improvement status: %d held, consent %q; want 0 held, opted out", held, consent)
	}
	if n := outboxDepth(t, s); n != 0 {
		t.Errorf("outbox holds %d entries for an opted-out tenant", n)
	}
	time.Sleep(time.Second)
	if msgs := sub.Messages(); len(msgs) != 0 {
		t.Errorf("subscriber got %d messages from an opted-out tenant", len(msgs))
	}
	// Zero bytes on the wire: the agent never even connected (the only
	// client the broker saw is the test's subscriber).
	if n := strings.Count(string(b.Log()), "New client connected"); n != 1 {
		t.Errorf("the broker saw %d client connections, want 1 (the subscriber): an opted-out agent connected\n%s", n, b.Log())
	}
}
