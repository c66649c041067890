package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
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
)

// lockedBuffer is a bytes.Buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// broker is a Mosquitto process on a free loopback port that logs every
// connection (with client ids) and every publish (with topics), so that the
// test can search its log for identifiers too.
type broker struct {
	URL string
	Log *lockedBuffer
}

// mosquittoBinary finds mosquitto or fails with the package to install.
func mosquittoBinary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Fatal("mosquitto not found: apt-get install mosquitto (make test installs it through scripts/deps.sh)")
	}
	return p
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	return startBrokerAt(t, freePort(t))
}

// startBrokerAt starts a broker listening on 127.0.0.1:port.
func startBrokerAt(t *testing.T, port int) *broker {
	t.Helper()
	bin := mosquittoBinary(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"+
		"log_dest stderr\nlog_type all\nconnection_messages true\n", port)
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		conf = "user root\n" + conf // mosquitto drops root for a user who cannot read t.TempDir()
	}
	path := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &broker{URL: fmt.Sprintf("tcp://127.0.0.1:%d", port), Log: &lockedBuffer{}}
	cmd := exec.Command(bin, "-c", path)
	cmd.Stdout, cmd.Stderr = b.Log, b.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return b
		}
		select {
		case <-exited:
			t.Fatalf("mosquitto exited at start: %s", b.Log.Bytes())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %d: %s", port, b.Log.Bytes())
		}
	}
}

// message is one MQTT message the subscriber received.
type message struct {
	Topic   string
	Payload []byte
}

// subscriber records every message published on the broker (topic #).
type subscriber struct {
	mu      sync.Mutex
	msgs    []message
	changed chan struct{}
}

func subscribe(t *testing.T, b *broker) *subscriber {
	t.Helper()
	s := &subscriber{changed: make(chan struct{})}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	handler := func(_ mqtt.Client, m mqtt.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, message{Topic: m.Topic(), Payload: bytes.Clone(m.Payload())})
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
	opts := mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("e2esub" + hex.EncodeToString(id)).
		SetCleanSession(true).SetAutoReconnect(true)
	cli := mqtt.NewClient(opts)
	if tok := cli.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect to %s: %v", b.URL, tok.Error())
	}
	if tok := cli.Subscribe("#", 1, handler); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe #: %v", tok.Error())
	}
	t.Cleanup(func() { cli.Disconnect(100) })
	return s
}

// messages returns what arrived so far.
func (s *subscriber) messages() []message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]message(nil), s.msgs...)
}

// waitCount waits until at least n messages arrived or timeout passed, and
// returns what arrived.
func (s *subscriber) waitCount(n int, timeout time.Duration) []message {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.messages()
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.messages()
		}
	}
}
