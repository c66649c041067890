package uplink

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/secret"
)

// brokerURL checks 'SEC.broker'.
func brokerURL(sec, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("'%s.broker' must be a URL such as tcp://host:1883 or ssl://host:8883, not %q", sec, secret.Redact(s))
	}
	if u.Scheme != "tcp" && u.Scheme != "ssl" {
		return nil, fmt.Errorf("'%s.broker' must start with tcp:// or ssl://, not %s://", sec, u.Scheme)
	}
	if u.User != nil {
		return nil, fmt.Errorf("'%[1]s.broker' must not hold credentials; put them in '%[1]s.credentials_file'", sec)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("'%s.broker' must name a port (%s://%s:PORT)", sec, u.Scheme, u.Hostname())
	}
	return u, nil
}

// tlsConfig builds the TLS settings of an ssl:// broker: the CA of
// 'SEC.ca_file' is the only trusted root when set (pinned), the system
// roots otherwise; a client certificate is presented when cert_file is set.
func tlsConfig(sec string, cfg config.MQTTLink, u *url.URL) (*tls.Config, error) {
	if u.Scheme != "ssl" {
		for key, v := range map[string]string{"ca_file": cfg.CAFile, "cert_file": cfg.CertFile, "key_file": cfg.KeyFile} {
			if v != "" {
				return nil, fmt.Errorf("'%s.%s' needs an ssl:// broker, and '%s.broker' is %s://", sec, key, sec, u.Scheme)
			}
		}
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	if cfg.CAFile != "" {
		pool, err := LoadCA(sec+".ca_file", cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, fmt.Errorf("'%[1]s.cert_file' and '%[1]s.key_file' must be set together", sec)
	}
	if cfg.CertFile != "" {
		if err := secret.CheckFile(sec+".key_file", cfg.KeyFile); err != nil {
			return nil, err
		}
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("'%[1]s.cert_file'/'%[1]s.key_file': %[2]w", sec, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// LoadCA reads the PEM CA file path, named by its config key in errors.
func LoadCA(key, path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("'%s': %w", key, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("'%s' %s holds no PEM certificate", key, path)
	}
	return pool, nil
}

// credentials is a username and password; it never prints its password.
type credentials struct{ user, password string }

// String shows the username only.
func (c credentials) String() string { return "user " + c.user + " (password redacted)" }

// readCredentials reads 'SEC.credentials_file': the username on the
// first line, the password on the second. An empty path means none.
func readCredentials(sec, path string) (credentials, error) {
	if path == "" {
		return credentials{}, nil
	}
	b, err := secret.ReadFile(sec+".credentials_file", path)
	if err != nil {
		return credentials{}, err
	}
	lines := strings.SplitN(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", 3)
	if len(lines) < 2 || lines[0] == "" {
		return credentials{}, fmt.Errorf("'%s.credentials_file' %s must hold the username on line 1 and the password on line 2", sec, path)
	}
	return credentials{user: lines[0], password: lines[1]}, nil
}

// clientID is random for every connection: nothing on the wire names the
// device. 22 characters of [0-9a-f], within MQTT 3.1.1's guaranteed 23.
func clientID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return "ea" + hex.EncodeToString(b)
}

// newClient makes a paho client for one connection. Our loop owns
// reconnects, so paho's are off; sessions are clean, so nothing of a
// previous connection is resent by paho (the outbox resends instead).
func (p *Publisher) newClient(lost chan<- error) (mqtt.Client, error) {
	creds, err := readCredentials(p.section, p.cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	if p.audit != nil && creds.user != "" && creds.user != p.username {
		// The file changed since New: audit the new username too.
		if err := p.audit(creds.user); err != nil {
			return nil, fmt.Errorf("'%s.credentials_file': the username: %w", p.section, err)
		}
	}
	id, err := p.newClientID()
	if err != nil {
		return nil, err
	}
	o := mqtt.NewClientOptions().
		AddBroker(p.cfg.Broker).
		SetClientID(id).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(p.cfg.ConnectTimeout).
		SetKeepAlive(p.cfg.KeepAlive).
		SetPingTimeout(p.cfg.ConnectTimeout).
		SetWriteTimeout(p.cfg.AckTimeout).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		})
	if p.tlsCfg != nil {
		o.SetTLSConfig(p.tlsCfg.Clone())
	}
	if creds.user != "" {
		o.SetUsername(creds.user)
		o.SetPassword(creds.password)
	}
	return mqtt.NewClient(o), nil
}

// explainConnectError adds what to check to the broker's refusals.
func explainConnectError(sec string, err error) error {
	switch {
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword):
		return fmt.Errorf("%w: the broker refused the credentials of '%s.credentials_file'", err, sec)
	case errors.Is(err, packets.ErrorRefusedNotAuthorised):
		return fmt.Errorf("%w: the broker does not authorise this client; check '%s.credentials_file' or the client certificate", err, sec)
	}
	var uerr x509.UnknownAuthorityError
	if errors.As(err, &uerr) {
		return fmt.Errorf("%w: the broker's certificate does not chain to '%s.ca_file'", err, sec)
	}
	return err
}
