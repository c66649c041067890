package uplink

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/config"
)

// TestTransportAudit: the names the broker sees are checked like a
// payload: a topic, a username or a client certificate that holds an
// identifier is refused, naming its key; the client id drawn for a
// connection passes the audit; Identity tells all of them but the password.
func TestTransportAudit(t *testing.T) {
	dir := t.TempDir()
	p := makePKI(t, dir, "id") // client certificate: CN=edge-client
	creds := filepath.Join(dir, "creds")
	ob := openTest(t, filepath.Join(dir, "o.db"), OutboxOptions{})
	banned := ""
	audit := func(name string) error {
		if banned != "" && strings.Contains(name, banned) {
			return errors.New("holds " + banned)
		}
		return nil
	}
	cfg := config.Defaults().Uplink
	cfg.Broker, cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.CredentialsFile = "ssl://127.0.0.1:8883", p.CA, p.ClientCert, p.ClientKey, creds
	for _, tc := range []struct {
		banned, user, topic, want string
	}{
		{"gw-0042", "fleet-gw-0042", "alpr/samples", "'uplink.credentials_file': the username: holds gw-0042"},
		{"gw-0042", "fleet", "alpr/gw-0042/samples", `'uplink.topic' "alpr/gw-0042/samples": holds gw-0042`},
		{"edge-client", "fleet", "alpr/samples", "'uplink.cert_file': the certificate's subject or names: holds edge-client"},
	} {
		banned, cfg.Topic = tc.banned, tc.topic
		if err := os.WriteFile(creds, []byte(tc.user+"\nsecret-password\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg, ob, nil, nil, WithTransportAudit(audit)); err == nil || err.Error() != tc.want {
			t.Errorf("banned %q: got %v, want %s", tc.banned, err, tc.want)
		}
	}

	banned = "gw-0042"
	pub, err := New(cfg, ob, nil, nil, WithTransportAudit(audit))
	if err != nil {
		t.Fatal(err)
	}
	id := pub.Identity()
	if id.Broker != cfg.Broker || len(id.Topics) != 1 || id.Topics[0] != "alpr/samples" || id.Username != "fleet" ||
		id.CertSubject != "CN=edge-client" || len(id.CertSHA256) != 64 || id.ClientID != clientIDScheme {
		t.Errorf("identity %+v", id)
	}
	if strings.Contains(strings.Join(append(id.Topics, id.Username, id.CertSubject), " "), "secret-password") {
		t.Error("the identity holds the password")
	}
	// Every client id drawn goes through the audit; refused ones are
	// drawn again.
	var drawn []string
	pub.audit = func(name string) error {
		drawn = append(drawn, name)
		if len(drawn) < 3 {
			return errors.New("refused")
		}
		return nil
	}
	cid, err := pub.newClientID()
	if err != nil || len(drawn) != 3 || cid != drawn[2] || !strings.HasPrefix(cid, "ea") || len(cid) != 22 {
		t.Errorf("client id %q (%v) after draws %v", cid, err, drawn)
	}
}
