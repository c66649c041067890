package uplink

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
)

// TestSecretFilesWiderThan0600Refused: the broker credentials, the client
// key and the webhook token are refused, naming the key and the mode, when
// a group or everyone may read them; at 0600 they are taken.
func TestSecretFilesWiderThan0600Refused(t *testing.T) {
	dir := t.TempDir()
	p := makePKI(t, dir, "m")
	creds := filepath.Join(dir, "creds")
	token := filepath.Join(dir, "token")
	for path, body := range map[string]string{creds: "edge\npass\n", token: "tok\n"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ob := openTest(t, filepath.Join(dir, "o.db"), OutboxOptions{})
	link := config.Defaults().Uplink
	link.Broker = "ssl://127.0.0.1:8883"
	link.CAFile, link.CertFile, link.KeyFile, link.CredentialsFile = p.CA, p.ClientCert, p.ClientKey, creds
	open := map[string]func() error{
		"uplink.credentials_file": func() error { _, err := New(link, ob, nil, nil); return err },
		"uplink.key_file":         func() error { _, err := New(link, ob, nil, nil); return err },
		"events.webhook.token_file": func() error {
			_, err := NewPoster(config.Webhook{URL: "https://fleet.example/hook", TokenFile: token, Timeout: time.Second},
				time.Second, time.Minute, []*Outbox{ob}, "edge_x", nil, nil)
			return err
		},
	}
	files := map[string]string{"uplink.credentials_file": creds, "uplink.key_file": p.ClientKey, "events.webhook.token_file": token}
	for key, fn := range open {
		if err := fn(); err != nil {
			t.Fatalf("%s at 0600: %v", key, err)
		}
		for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
			if err := os.Chmod(files[key], mode); err != nil {
				t.Fatal(err)
			}
			err := fn()
			want := fmt.Sprintf("'%s' %s has mode %04o", key, files[key], mode)
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("%s at %04o: %v; want %s…", key, mode, err, want)
			}
		}
		if err := os.Chmod(files[key], 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
