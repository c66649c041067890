package uplink

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edge-agent/edge-agent/internal/config"
)

func TestDefaultConfig(t *testing.T) {
	c := config.Defaults().Uplink
	if c.Broker != "tcp://127.0.0.1:1883" || c.Topic != "alpr/improvement/samples" || c.Enabled ||
		c.MaxBytes != 256<<20 || c.MaxEntries != 100000 || c.TTL != 720*time.Hour ||
		c.BackoffMin != time.Second || c.BackoffMax != 2*time.Minute || c.BandwidthLimit != 0 {
		t.Fatalf("config.Defaults().Uplink = %+v", c)
	}
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptionsFrom(c))
	if _, err := New(c, ob, nil, nil); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	oneLine := filepath.Join(dir, "creds")
	if err := os.WriteFile(oneLine, []byte("user-only"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*config.Uplink)
		want string
	}{
		{func(c *config.Uplink) { c.Broker = "mqtt://h:1883" }, "'uplink.broker' must start with tcp:// or ssl://, not mqtt://"},
		{func(c *config.Uplink) { c.Broker = "h:1883" }, `'uplink.broker' must be a URL such as tcp://host:1883 or ssl://host:8883, not "h:1883"`},
		{func(c *config.Uplink) { c.Broker = "tcp://u:p@h:1883" }, "'uplink.broker' must not hold credentials; put them in 'uplink.credentials_file'"},
		{func(c *config.Uplink) { c.Broker = "ssl://h" }, "'uplink.broker' must name a port (ssl://h:PORT)"},
		{func(c *config.Uplink) { c.Topic = "a/#" }, `'uplink.topic' must be a topic name without + or #, not "a/#"`},
		{func(c *config.Uplink) { c.CAFile = "/x.pem" }, "'uplink.ca_file' needs an ssl:// broker, and 'uplink.broker' is tcp://"},
		{func(c *config.Uplink) { c.Broker, c.CertFile = "ssl://h:8883", "/c.pem" }, "'uplink.cert_file' and 'uplink.key_file' must be set together"},
		{func(c *config.Uplink) { c.Broker, c.CAFile = "ssl://h:8883", "/nonexistent.pem" }, "'uplink.ca_file': open /nonexistent.pem: no such file or directory"},
		{func(c *config.Uplink) { c.Broker, c.CAFile = "ssl://h:8883", oneLine }, "'uplink.ca_file' " + oneLine + " holds no PEM certificate"},
		{func(c *config.Uplink) { c.CredentialsFile = oneLine }, "'uplink.credentials_file' " + oneLine + " must hold the username on line 1 and the password on line 2"},
		{func(c *config.Uplink) { c.BackoffMax = time.Millisecond }, "'uplink.backoff_max' (1ms) must be ≥ 'uplink.backoff_min' (1s)"},
		{func(c *config.Uplink) { c.AckTimeout = 0 }, "'uplink.ack_timeout' must be > 0"},
	} {
		c := config.Defaults().Uplink
		tc.edit(&c)
		ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
		_, err := New(c, ob, nil, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
}

func TestLimiterHoldsTheRate(t *testing.T) {
	now := time.Unix(1e9, 0)
	var slept []time.Duration
	l := newLimiter(1000)
	l.now = func() time.Time { return now }
	l.sleep = func(_ context.Context, d time.Duration) bool { slept = append(slept, d); now = now.Add(d); return true }
	for _, n := range []int{500, 1000, 100, 3000} {
		if !l.wait(context.Background(), n) {
			t.Fatal("wait gave up")
		}
	}
	// 4600 bytes at 1000 B/s with a 1000-byte bucket: 3.6 s of waiting.
	var total time.Duration
	for _, d := range slept {
		total += d
	}
	if d := total - 3600*time.Millisecond; d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("slept %v (%v in all), want 3.6 s in all", slept, total)
	}
	if !newLimiter(0).wait(context.Background(), 1<<30) {
		t.Fatal("unlimited limiter waited")
	}
}

func TestSetPahoLogger(t *testing.T) {
	var buf strings.Builder
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	SetPahoLogger(slog.New(slog.DiscardHandler))
	SetPahoLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))) // the last call wins
	t.Cleanup(func() { SetPahoLogger(slog.New(slog.DiscardHandler)) })
	mqtt.WARN.Println("[net]", "connection lost")
	mqtt.ERROR.Printf("%s code %d", "refused", 5)
	mqtt.DEBUG.Println("not shown at info")
	got := buf.String()
	for _, want := range []string{
		`level=WARN msg="mqtt client" component=paho detail="[net] connection lost"`,
		`level=ERROR msg="mqtt client" component=paho detail="refused code 5"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "not shown") {
		t.Errorf("DEBUG logged at info level:\n%s", got)
	}
}

// TestRemotePlaintextBrokerRefused: also when the broker comes from a flag
// (outbox drain --broker) and not through config validation, a tcp://
// broker on another machine needs uplink.allow_plaintext.
func TestRemotePlaintextBrokerRefused(t *testing.T) {
	ob := openTest(t, filepath.Join(t.TempDir(), "o.db"), OutboxOptions{})
	cfg := config.Defaults().Uplink
	cfg.Broker = "tcp://broker.example:1883"
	_, err := New(cfg, ob, nil, nil)
	want := `'uplink.broker' is "tcp://broker.example:1883", unencrypted to another machine: use ssl:// or set 'uplink.allow_plaintext: true'`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	cfg.AllowPlaintext = true
	if _, err := New(cfg, ob, nil, nil); err != nil {
		t.Errorf("with allow_plaintext: %v", err)
	}
}
