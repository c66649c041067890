// Package brokertest runs a real Mosquitto broker on 127.0.0.1 for tests,
// with persistence so that a subscriber's session survives broker restarts,
// and a subscriber that records what arrives. The uplink, improvement and
// end-to-end tests share it.
package brokertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TLSFiles name the PEM files of a TLS listener that requires a client
// certificate signed by CAFile.
type TLSFiles struct{ CAFile, CertFile, KeyFile string }

// Options configure a broker.
type Options struct {
	Users map[string]string // username → password; empty: anonymous access
	TLS   *TLSFiles         // adds a TLS listener (TLSPort)
	// Verbose logs every connection (with its client id) and every publish
	// (with its topic), for tests that search Log for identifiers.
	Verbose bool
}

// Broker is a Mosquitto process.
type Broker struct {
	t       testing.TB
	bin     string
	dir     string
	conf    string
	Port    int // plain MQTT listener
	TLSPort int // TLS listener, when Options.TLS was set
	cmd     *exec.Cmd
	exited  chan struct{}
	log     logBuffer
}

// logBuffer is what the process writes while a test may read it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func (l *logBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// Binary returns the mosquitto executable, failing the test with the
// install command when it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Fatal("mosquitto not found: apt-get install mosquitto (make test installs it)")
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// New writes the broker's configuration without starting it.
func New(t testing.TB, opts Options) *Broker {
	t.Helper()
	b := &Broker{t: t, bin: Binary(t), dir: t.TempDir(), Port: FreePort(t)}
	var conf strings.Builder
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		conf.WriteString("user root\n") // mosquitto drops root for "mosquitto", who cannot read t.TempDir()
	}
	fmt.Fprintf(&conf, "per_listener_settings false\npersistence true\npersistence_location %s/\n", b.dir)
	conf.WriteString("max_queued_messages 0\nmax_inflight_messages 100\nlog_dest stderr\n")
	if opts.Verbose {
		conf.WriteString("log_type all\nconnection_messages true\n")
	} else {
		conf.WriteString("log_type error\nlog_type warning\n")
	}
	fmt.Fprintf(&conf, "listener %d 127.0.0.1\n", b.Port)
	if len(opts.Users) == 0 {
		conf.WriteString("allow_anonymous true\n")
	} else {
		pw := filepath.Join(b.dir, "passwd")
		for name, pass := range opts.Users {
			args := []string{"-b", pw, name, pass}
			if _, err := os.Stat(pw); err != nil {
				args = append([]string{"-c"}, args...)
			}
			if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
				t.Fatalf("mosquitto_passwd: %v: %s", err, out)
			}
		}
		fmt.Fprintf(&conf, "allow_anonymous false\npassword_file %s\n", pw)
	}
	if opts.TLS != nil {
		b.TLSPort = FreePort(t)
		fmt.Fprintf(&conf, "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n",
			b.TLSPort, opts.TLS.CAFile, opts.TLS.CertFile, opts.TLS.KeyFile)
	}
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(b.conf, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

// Start starts a broker with opts and waits until it accepts connections.
func Start(t testing.TB, opts Options) *Broker {
	t.Helper()
	b := New(t, opts)
	b.Start()
	return b
}

// Log is what the broker logged since it last started.
func (b *Broker) Log() []byte { return b.log.bytes() }

// URL is the plain listener's address.
func (b *Broker) URL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", b.Port) }

// TLSURL is the TLS listener's address.
func (b *Broker) TLSURL() string { return fmt.Sprintf("ssl://127.0.0.1:%d", b.TLSPort) }

// Start (re)starts the process on the same ports and waits until the plain
// listener accepts connections.
func (b *Broker) Start() {
	b.t.Helper()
	if b.cmd != nil {
		b.t.Fatal("brokertest: Start while running")
	}
	b.log.reset()
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Stderr = &b.log
	cmd.Stdout = &b.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start mosquitto: %v", err)
	}
	b.cmd, b.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(b.exited)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-b.exited:
			b.cmd = nil
			b.t.Fatalf("mosquitto exited at start: %s", b.log.bytes())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto did not listen on %d: %s", b.Port, b.log.bytes())
		}
	}
}

// Stop ends the process with SIGTERM (Mosquitto then saves its sessions)
// and waits for it to exit.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	b.cmd = nil
}

// Restart stops and starts the broker.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.Start()
}
