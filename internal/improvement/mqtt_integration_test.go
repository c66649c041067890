package improvement

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/sanitize"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// startMosquitto runs a broker on a free loopback port that logs every
// connection and publish (client ids and topics) to the returned buffer.
func startMosquitto(t *testing.T) (string, *syncBuffer) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if bin = "/usr/sbin/mosquitto"; !fileExists(bin) {
			t.Skip("mosquitto is not installed")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n", port)
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		conf = "user root\n" + conf
	}
	path := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	cmd := exec.Command(bin, "-c", path)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not start: %s", log.Bytes())
		}
		time.Sleep(20 * time.Millisecond) // polling the port until the broker listens
	}
	return fmt.Sprintf("tcp://127.0.0.1:%d", port), log
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

type message struct {
	topic   string
	payload []byte
}

// TestReplayToMosquitto is the path of a replay with the clock in the past:
// reads of two days ago are offered, flushed without jitter, handed to the
// real uplink outbox and publisher, and a plain subscriber to "#" on a real
// Mosquitto receives only sample payloads that pass the audit, with no id in
// any payload, topic, or in the client ids the broker logged.
func TestReplayToMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Mosquitto")
	}
	url, brokerLog := startMosquitto(t)
	var mu sync.Mutex
	var got []message
	arrived := make(chan struct{}, 100)
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("plain-subscriber"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("#", 1, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		got = append(got, message{m.Topic(), bytes.Clone(m.Payload())})
		mu.Unlock()
		arrived <- struct{}{}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

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
	defer p.Close()
	pub, err := uplink.New(ucfg, ob, nil, nil, uplink.WithGate(p.Enabled))
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
	deadline := time.After(30 * time.Second)
	for i := 0; i < 9; i++ {
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("subscriber received %d of 9", i)
		}
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := pub.WaitDrained(dctx); err != nil {
		t.Fatal(err)
	}

	pol := sanitize.Policy{Improvement: cfg, Identity: id, Cameras: []string{camera}}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 9 {
		t.Errorf("received %d messages", len(got))
	}
	for _, m := range got {
		if m.topic != ucfg.Topic {
			t.Errorf("message on topic %q", m.topic)
		}
		if err := sanitize.AuditPayload(m.payload, pol); err != nil {
			t.Errorf("received payload: %v", err)
		}
		if err := sanitize.AuditTopic(m.topic, pol); err != nil {
			t.Errorf("topic: %v", err)
		}
	}
	for _, s := range []string{id.TenantID, id.DeviceID, camera} {
		if bytes.Contains(brokerLog.Bytes(), []byte(s)) {
			t.Errorf("the broker saw %q (client id or topic)", s)
		}
	}
	if !bytes.Contains(brokerLog.Bytes(), []byte(ucfg.Topic)) {
		t.Errorf("the broker log shows no publish; the id search above proves nothing:\n%s", brokerLog.Bytes())
	}
}
