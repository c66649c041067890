package uplink

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Identity is what the broker learns of the publisher besides the
// payloads: the names samples go out under. The agent records it in the
// improvement audit log; the password is never part of it.
type Identity struct {
	Broker      string   `json:"broker"`
	Topics      []string `json:"topics"`
	ClientID    string   `json:"client_id"`
	Username    string   `json:"username,omitempty"`
	CertSubject string   `json:"cert_subject,omitempty"`
	CertNames   []string `json:"cert_names,omitempty"` // the certificate's subject alternative names
	CertSHA256  string   `json:"cert_sha256,omitempty"`
}

// clientIDScheme describes the client ids clientID makes.
const clientIDScheme = "random for each connection: ea + 20 hex digits"

// maxClientIDDraws bounds the draws of a client id that the audit refuses
// (a random hex id holds a given 4-character id with a chance of about
// 1 in 3,000: a second draw practically always passes).
const maxClientIDDraws = 8

// WithTransportAudit makes the publisher check, like a payload, each name
// the broker sees: New refuses a topic, a username (credentials_file) or a
// client certificate (its subject and alternative names) that audit
// rejects, and each connection draws a client id that audit accepts.
func WithTransportAudit(audit func(name string) error) Option {
	return func(p *Publisher) { p.audit = audit }
}

// Identity returns the names the publisher's connections use.
func (p *Publisher) Identity() Identity {
	id := Identity{Broker: p.cfg.Broker, ClientID: clientIDScheme, Username: p.username}
	for _, r := range p.routes {
		id.Topics = append(id.Topics, r.Topic)
	}
	if c := p.leaf(); c != nil {
		sum := sha256.Sum256(c.Raw)
		id.CertSubject, id.CertNames, id.CertSHA256 = c.Subject.String(), certNames(c), hex.EncodeToString(sum[:])
	}
	return id
}

// leaf is the client certificate, or nil.
func (p *Publisher) leaf() *x509.Certificate {
	if p.tlsCfg == nil || len(p.tlsCfg.Certificates) == 0 {
		return nil
	}
	return p.tlsCfg.Certificates[0].Leaf // set by tls.LoadX509KeyPair
}

func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	names = append(names, c.EmailAddresses...)
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	return names
}

// auditTransport runs the audit over every name of Identity.
func (p *Publisher) auditTransport() error {
	if p.audit == nil {
		return nil
	}
	var errs []error
	for _, r := range p.routes {
		if err := p.audit(r.Topic); err != nil {
			errs = append(errs, fmt.Errorf("'%s' %q: %w", r.Key, r.Topic, err))
		}
	}
	if err := p.audit(p.username); p.username != "" && err != nil {
		errs = append(errs, fmt.Errorf("'%s.credentials_file': the username: %w", p.section, err))
	}
	if c := p.leaf(); c != nil {
		names := append([]string{c.Subject.String()}, certNames(c)...)
		if err := p.audit(strings.Join(names, "\n")); err != nil {
			errs = append(errs, fmt.Errorf("'%s.cert_file': the certificate's subject or names: %w", p.section, err))
		}
	}
	return errors.Join(errs...)
}

// newClientID draws client ids until the audit accepts one.
func (p *Publisher) newClientID() (string, error) {
	for range maxClientIDDraws {
		id := clientID()
		if p.audit == nil || p.audit(id) == nil {
			return id, nil
		}
	}
	return "", fmt.Errorf("no client id of %d drawn passed the identifier audit", maxClientIDDraws)
}
