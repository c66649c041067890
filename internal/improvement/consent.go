package improvement

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
)

// Withdraw withdraws the tenant's consent now: nothing more is made or
// released, every unsent sample is purged from the holding queue and from
// the sink, an entry is appended to improvement.audit_path, and the
// withdrawal is stored in the holding queue so that it holds across restarts
// whatever the configuration says, until "edge-agent improvement resume".
// It returns how many samples were purged.
func (p *Programme) Withdraw(reason string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return 0, ErrClosed
	default:
	}
	p.withdrawn = true
	p.setEnabled()
	return p.purgeLocked("withdraw", reason, true)
}

// purgeLocked deletes every held sample (and, with persist, records the
// withdrawal in the same transaction), then purges the sink, audits and
// counts. p.mu is held, or p is not shared yet. Nothing is audited when an
// automatic purge found nothing.
func (p *Programme) purgeLocked(event, reason string, persist bool) (int, error) {
	now := p.clock.Now()
	held, err := purgeHeld(p.db, now, reason, persist)
	if err != nil {
		return 0, err
	}
	sent := 0
	if pg, ok := p.sink.(Purger); ok {
		sent, err = pg.Purge()
	}
	if err != nil {
		err = fmt.Errorf("purge the outbox: %w", err)
	} else if _, err = p.db.Exec(`DELETE FROM owed_purge`); err != nil { // the sink holds nothing from before
		err = fmt.Errorf("improvement queue: %w", err)
	}
	total := held + sent
	if persist || total > 0 {
		p.m.purged.Add(float64(total))
		p.m.lastWithdrawal.Set(float64(now.Unix()))
		p.log.Info("improvement samples purged", "event", event, "held", held, "outbox", sent)
		a := auditEntry{Time: now, Event: event, Reason: reason, PurgedHeld: held, PurgedOutbox: sent}
		err = errors.Join(err, appendAudit(p.cfg.Load().AuditPath, a))
	}
	return total, err
}

// Consented is the uplink's gate: it reports whether a sample may be
// published now. That is so while the programme is on (improvement.enabled
// as last applied, no withdrawal followed, not closed), no withdrawal is
// recorded in the holding queue file, and no withdrawal's purge of the
// sink is owed there (one made and resumed by command before the programme
// saw it). The file is read at every call, so a withdrawal by "edge-agent
// improvement withdraw" from another process holds from the moment it is
// committed, not from the programme's next step. A withdrawal that the
// programme has not followed yet makes the release loop follow it now,
// which purges the sink.
func (p *Programme) Consented() (bool, error) {
	if !p.enabled.Load() {
		return false, nil
	}
	var closed bool
	err := p.consent.QueryRow(`SELECT EXISTS (SELECT 1 FROM consent) OR EXISTS (SELECT 1 FROM owed_purge)`).Scan(&closed)
	if err != nil {
		return false, fmt.Errorf("improvement consent: %w", err)
	}
	if closed {
		select {
		case p.resync <- struct{}{}:
		default:
		}
		return false, nil
	}
	return true, nil
}

// syncConsent follows a withdrawal or resumption made by command while the
// programme runs; a withdrawal and resumption both made since it last
// looked are followed in turn, so the sink is purged all the same. p.mu is
// held.
func (p *Programme) syncConsent() error {
	withdrawn, _, reason, err := consentMarker(p.db)
	if err != nil {
		return err
	}
	owed, err := purgeOwed(p.db)
	if err != nil {
		return err
	}
	if (withdrawn || owed) && !p.withdrawn {
		if !withdrawn {
			reason = "withdrawn and resumed by command"
		}
		p.withdrawn = true
		p.setEnabled()
		// The command purged the holding queue; the sink is ours to purge.
		if _, err := p.purgeLocked("withdraw", reason+" (seen by the running agent)", false); err != nil {
			return err
		}
	} else if owed {
		if _, err := p.purgeLocked("withdraw", "withdrawn again by command (seen by the running agent)", false); err != nil {
			return err
		}
	}
	if !withdrawn && p.withdrawn {
		p.withdrawn = false
		p.setEnabled()
		p.log.Info("improvement consent resumed")
	}
	return nil
}

// purgeHeld deletes every held sample, with persist recording the
// withdrawal in the same transaction, and truncates the WAL so that no
// payload stays readable in the files.
func purgeHeld(db *sql.DB, now time.Time, reason string, persist bool) (int, error) {
	var n int
	err := inTx(db, func(tx *sql.Tx) error {
		if persist {
			if _, err := tx.Exec(`INSERT INTO consent (id, withdrawn, reason) VALUES (1, ?, ?)
				ON CONFLICT (id) DO UPDATE SET withdrawn = excluded.withdrawn, reason = excluded.reason`, now.UnixNano(), reason); err != nil {
				return err
			}
		}
		if persist {
			// Owed until the outbox is purged: by the caller if it can,
			// else by the agent that holds it, even after a resume.
			if _, err := tx.Exec(`INSERT OR REPLACE INTO owed_purge (id, since) VALUES (1, ?)`, now.UnixNano()); err != nil {
				return err
			}
		}
		var err error
		n, err = purgeQueue(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge the improvement queue: %w", err)
	}
	if err := checkpoint(db); err != nil {
		return n, fmt.Errorf("purge the improvement queue: checkpoint: %w", err)
	}
	return n, nil
}

// auditEntry is one line of improvement.audit_path.
type auditEntry struct {
	Time         time.Time `json:"time"`
	Event        string    `json:"event"` // withdraw, opt-out, start, opt-in, resume, transport
	Reason       string    `json:"reason,omitempty"`
	PurgedHeld   int       `json:"purged_held"`
	PurgedOutbox int       `json:"purged_outbox"`
	Transport    any       `json:"transport,omitempty"` // event "transport": the names samples go out under
}

// RecordTransport appends to improvement.audit_path the transport identity
// (broker, topic, client id scheme, username, certificate; never a
// password) that samples go out under from now on: the agent records it
// at each start with the uplink on, outbox drain before it sends.
func RecordTransport(cfg config.Improvement, identity any, now time.Time) error {
	return appendAudit(cfg.AuditPath, auditEntry{Time: now, Event: "transport", Transport: identity})
}

// appendAudit appends e as one JSON line to the audit log (mode 0600) and
// syncs it to disk.
func appendAudit(path string, e auditEntry) error {
	e.Time = e.Time.UTC().Truncate(time.Second)
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("improvement audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("improvement audit log: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("improvement audit log %s: %w", path, err)
	}
	return nil
}

// Status is the state of the holding queue as the commands see it.
type Status struct {
	Withdrawn bool      // consent withdrawn by command
	Since     time.Time // when, if Withdrawn
	Reason    string    // why, if Withdrawn
	Held      int       // samples waiting for release
}

// WithdrawOffline withdraws consent without a programme in this process,
// for "edge-agent improvement withdraw": it records the withdrawal in the
// holding queue at cfg.QueuePath and purges it in one transaction, purges
// outbox when it is not nil, and audits. An agent running meanwhile stops
// making samples (each insert checks the record) and publishing them (its
// uplink's gate, Consented, reads the record) at once, and stops releasing
// and purges its own outbox within 30 s, sooner when its uplink asks the
// gate. It returns the samples purged from the queue and from the outbox.
func WithdrawOffline(cfg config.Improvement, reason string, outbox Purger, now time.Time) (held, sent int, err error) {
	db, err := openQueue(cfg.QueuePath)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if held, err = purgeHeld(db, now, reason, true); err != nil {
		return held, 0, err
	}
	if outbox != nil {
		if sent, err = outbox.Purge(); err != nil {
			err = fmt.Errorf("purge the outbox: %w", err)
		} else if _, err = db.Exec(`DELETE FROM owed_purge`); err != nil {
			err = fmt.Errorf("improvement queue: %w", err)
		}
	}
	a := auditEntry{Time: now, Event: "withdraw", Reason: reason, PurgedHeld: held, PurgedOutbox: sent}
	return held, sent, errors.Join(err, appendAudit(cfg.AuditPath, a))
}

// ErrNoConsent is wrapped by Consent.Check when samples may not be sent:
// improvement.enabled is false, consent was withdrawn, or a withdrawal's
// purge of the outbox is owed.
var ErrNoConsent = errors.New("no consent to send samples")

// Consent is the tenant's consent as a command that sends samples sees it
// without a programme in its process ("edge-agent outbox drain"):
// improvement.enabled of the config it was given, and the withdrawal and
// owed-purge records of the holding queue at improvement.queue_path, read
// at every check.
type Consent struct {
	cfg config.Improvement
	db  *sql.DB // nil until the holding queue exists
}

// OpenConsent opens the holding queue at cfg.QueuePath for Consent's
// checks. A queue that does not exist is not created: it holds no
// withdrawal, and is opened at a later check if it appears.
func OpenConsent(cfg config.Improvement) (*Consent, error) {
	c := &Consent{cfg: cfg}
	return c, c.open()
}

func (c *Consent) open() error {
	if c.db != nil {
		return nil
	}
	if _, err := os.Stat(c.cfg.QueuePath); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := openQueue(c.cfg.QueuePath)
	if err != nil {
		return err
	}
	c.db = db
	return nil
}

// Check returns nil while the tenant consents, an error wrapping
// ErrNoConsent that says why not, or the error that kept it from reading
// the record.
func (c *Consent) Check() error {
	if !c.cfg.Enabled {
		return fmt.Errorf("%w: improvement.enabled is false", ErrNoConsent)
	}
	if err := c.open(); err != nil || c.db == nil {
		return err
	}
	withdrawn, since, reason, err := consentMarker(c.db)
	if err != nil {
		return fmt.Errorf("improvement queue: %w", err)
	}
	if withdrawn {
		return fmt.Errorf("%w: withdrawn since %s (%s), until \"edge-agent improvement resume\"",
			ErrNoConsent, since.Format(time.RFC3339), reason)
	}
	switch owed, err := purgeOwed(c.db); {
	case err != nil:
		return fmt.Errorf("improvement queue: %w", err)
	case owed:
		return fmt.Errorf("%w: consent was withdrawn and the outbox not purged since; the agent purges it when it starts", ErrNoConsent)
	}
	return nil
}

// Given is Check as the uplink's gate (uplink.Gate).
func (c *Consent) Given() (bool, error) {
	err := c.Check()
	if errors.Is(err, ErrNoConsent) {
		return false, nil
	}
	return err == nil, err
}

// Close closes the holding queue.
func (c *Consent) Close() error {
	if c.db == nil {
		return nil
	}
	return c.db.Close()
}

// ResumeOffline takes back a withdrawal made by WithdrawOffline or
// Programme.Withdraw, and audits it. Samples are made again only while
// improvement.enabled is true; a running agent resumes within 30 s.
func ResumeOffline(cfg config.Improvement, now time.Time) error {
	db, err := openQueue(cfg.QueuePath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM consent`); err != nil {
		return fmt.Errorf("improvement queue: %w", err)
	}
	return appendAudit(cfg.AuditPath, auditEntry{Time: now, Event: "resume"})
}

// StatusOffline reads the holding queue at cfg.QueuePath.
func StatusOffline(cfg config.Improvement) (Status, error) {
	db, err := openQueue(cfg.QueuePath)
	if err != nil {
		return Status{}, err
	}
	defer db.Close()
	var st Status
	if st.Withdrawn, st.Since, st.Reason, err = consentMarker(db); err != nil {
		return Status{}, fmt.Errorf("improvement queue: %w", err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM samples`).Scan(&st.Held); err != nil {
		return Status{}, fmt.Errorf("improvement queue: %w", err)
	}
	return st, nil
}
