package improvement

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// TestReplayToMosquitto is the path of a replay with the clock in the past:
// reads of two days ago are offered, flushed without jitter, handed to the
// real uplink outbox and publisher, and a plain subscriber to "#" on a real
// Mosquitto receives only sample payloads that pass the audit, with no id in
// any payload, topic, or in the client ids the broker logged.
func TestReplayToMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Mosquitto")
	}
	b := brokertest.Start(t, brokertest.Options{Verbose: true})
	url := b.URL()
	sub := brokertest.Subscribe(t, url, "#", nil)

	dir := t.TempDir()
	ucfg := config.Defaults().Uplink
	ucfg.Broker, ucfg.OutboxPath = url, filepath.Join(dir, "outbox.db")
	ob, err := uplink.OpenOutbox(ucfg.OutboxPath, uplink.OutboxOptionsFrom(ucfg))
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	cfg := testConfig(t)
	cfg.IncludeRead = true
	id := config.Identity{TenantID: "TENANT7QX", DeviceID: "DEVICE4KZ"}
	camera := "CAMERA9WB"
	p, err := New(cfg, id, ob, nil, nil, nil) // the wall clock: the reads are long past
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	defer p.Close()
	pub, err := uplink.New(ucfg, ob, nil, nil, uplink.WithGate(p.Consented))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pub.Run(ctx)

	past := time.Now().Add(-48 * time.Hour)
	offers := []struct{ plate, cell string }{
		{"KA1001", "u33d"}, {"KA1002", "u33d"}, {"KA1003", "u33d"},
		{"KB2001", "u33e"}, {"KB2002", "u33f"}, {"KB2003", "u33f"}, // generalised to u33
		{"KC3001", "9q8y"},                                  // alone: dropped
		{"X" + id.TenantID, "u33d"}, {camera + "1", "u33d"}, // hold ids: refused
		{"KD4001", ""}, {"KD4002", ""}, {"KD4003", ""}, // no fix
	}
	for i, o := range offers {
		r := rec(o.plate, past.Add(time.Duration(i)*time.Second), o.cell)
		r.Camera = camera
		p.Offer(r)
	}
	n, err := p.Flush(ctx, FlushOptions{SkipJitter: true})
	if err != nil || n != 9 {
		t.Fatalf("Flush = %d, %v; want 9", n, err)
	}
	if got := sub.WaitCount(9, 30*time.Second); len(got) < 9 {
		t.Fatalf("subscriber received %d of 9", len(got))
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := pub.WaitDrained(dctx); err != nil {
		t.Fatal(err)
	}

	pol := sanitize.Policy{Improvement: cfg, Identity: id, Cameras: []string{camera}}
	got := sub.Messages()
	if len(got) != 9 {
		t.Errorf("received %d messages", len(got))
	}
	for _, m := range got {
		if m.Topic != ucfg.Topic {
			t.Errorf("message on topic %q", m.Topic)
		}
		if err := sanitize.AuditPayload(m.Payload, pol); err != nil {
			t.Errorf("received payload: %v", err)
		}
		if err := sanitize.AuditTopic(m.Topic, pol); err != nil {
			t.Errorf("topic: %v", err)
		}
	}
	brokerLog := b.Log()
	for _, s := range []string{id.TenantID, id.DeviceID, camera} {
		if bytes.Contains(brokerLog, []byte(s)) {
			t.Errorf("the broker saw %q (client id or topic)", s)
		}
	}
	if !bytes.Contains(brokerLog, []byte(ucfg.Topic)) {
		t.Errorf("the broker log shows no publish; the id search above proves nothing:\n%s", brokerLog)
	}
}
