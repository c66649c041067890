package improvement

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/sanitize"
)

// errOff stops the making of a sample because the programme was turned off
// (or consent withdrawn) meanwhile; it is not a suppression.
var errOff = errors.New("programme is off")

// work turns offered records into held samples, one at a time.
func (p *Programme) work() {
	defer p.worker.Done()
	for {
		select {
		case <-p.done:
			return
		case j := <-p.intake:
			select {
			case p.room <- struct{}{}:
			default:
			}
			if j.flushed != nil {
				close(j.flushed)
				continue
			}
			p.make(j.rec, j.seq)
		}
	}
}

// beforeConsent reports whether rec, a read of the followed store (seq >
// 0), was stored before the tenant's current opt-in or resumption. Loaded
// after p.enabled, the boundary is the one set before the programme was
// turned on.
func (p *Programme) beforeConsent(rec read.Record, seq int64) bool {
	return seq > 0 && rec.ID <= p.boundary.Load()
}

// candidate is a record on its way into the holding queue.
type candidate struct {
	rec     read.Record
	seq     int64 // its final_seq (Follow), 0 when not followed
	start   int64 // bucket start, unix s
	seconds int64
	cell    string
	payload []byte
}

// make draws the sample rate, checks the caps (cheaply, before any image
// work), builds the sample, then checks again and inserts it in one
// transaction. Every decision about a stored read, a sample or a
// suppression, advances the cursor (Follow): the sample's in the same
// transaction. A read the holding queue failed on (reason "error") does
// not, but the next decision does.
func (p *Programme) make(rec read.Record, seq int64) {
	cfg := p.cfg.Load()
	if !p.enabled.Load() {
		return
	}
	if p.beforeConsent(rec, seq) {
		p.decided(seq, ReasonBeforeConsent, nil)
		return
	}
	if rate := cfg.SampleRate; rate < 1 && mrand.Float64() >= rate {
		p.decided(seq, ReasonSampleRate, nil)
		return
	}
	now := p.clock.Now()
	if err := checkStamp(rec.CapturedAt, now); err != nil {
		p.decided(seq, ReasonClock, err)
		return
	}
	start, err := sanitize.FloorToBucket(rec.CapturedAt, cfg.TimeBucket)
	if err != nil {
		p.decided(seq, ReasonInvalid, err)
		return
	}
	c := candidate{rec: rec, seq: seq, start: start.Unix(), seconds: int64(cfg.TimeBucket / time.Second)}
	if reason, err := p.admit(c, cfg, now, false); reason != "" || err != nil {
		p.dropped(reason, err)
		return
	}
	s, payload, err := sanitize.Make(rec, sanitize.Policy{Improvement: *cfg, Identity: p.id})
	if err != nil {
		reason := ReasonInvalid
		if errors.Is(err, sanitize.ErrIdentifier) {
			reason = ReasonIdentifier
		}
		p.decided(seq, reason, err)
		return
	}
	c.cell, c.payload = s.Geohash, payload
	if reason, err := p.admit(c, cfg, now, true); reason != "" || err != nil {
		p.dropped(reason, err)
		return
	}
	p.m.made.Inc()
}

// futureSkew is how far in the future of the programme's clock a capture
// stamp may lie: frames are stamped by the same clock a moment before they
// are offered, so more means one of the two clocks was wrong.
const futureSkew = time.Minute

// checkStamp refuses a capture stamp that no bucket can be trusted with:
// before read.ClockFloor (the clock was not set yet), or in the future (a
// bucket that closes only then would hold the sample, or, once the clock is
// set back, a bucket released by a wrong clock).
func checkStamp(at, now time.Time) error {
	switch {
	case at.Before(read.ClockFloor):
		return fmt.Errorf("captured at %s, before the clock was set", at.UTC().Format(time.RFC3339))
	case at.After(now.Add(futureSkew)):
		return fmt.Errorf("captured at %s, %s in the future", at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second))
	}
	return nil
}

// decided records that the final read seq will not become a sample, for
// reason, and counts it.
func (p *Programme) decided(seq int64, reason string, err error) {
	if cerr := advanceCursor(p.db, seq); cerr != nil {
		p.log.Warn("improvement holding queue failed", "err", cerr)
	}
	p.dropped(reason, err)
}

// dropped counts a record that did not become a held sample. The error is
// logged at debug level only: it may name a position.
func (p *Programme) dropped(reason string, err error) {
	if errors.Is(err, errOff) {
		return
	}
	if reason == "" {
		reason = ReasonError
		p.log.Warn("improvement holding queue failed", "err", err)
	} else if err != nil {
		p.log.Debug("improvement sample dropped", "reason", reason, "err", err)
	}
	p.m.suppress(reason)
}

// admit checks, in one transaction, that a sample of c may join the holding
// queue: consent, bucket not yet released, daily cap, same read event not
// offered before, per-plate cap. With insert, it then stores c. It returns
// the reason a sample is refused, or "". A refusal, or the sample stored,
// advances the cursor in the same transaction.
func (p *Programme) admit(c candidate, cfg *config.Improvement, now time.Time, insert bool) (reason string, err error) {
	err = inTx(p.db, func(tx *sql.Tx) error {
		var err error
		if reason, err = p.check(tx, c, cfg, now, insert); err != nil || (reason == "" && !insert) {
			return err
		}
		return advanceCursor(tx, c.seq)
	})
	return reason, err
}

// check is admit's transaction up to the cursor: it returns the reason a
// sample of c is refused, or "" and, with insert, stores c.
func (p *Programme) check(tx *sql.Tx, c candidate, cfg *config.Improvement, now time.Time, insert bool) (string, error) {
	if withdrawn, _, _, err := consentMarker(tx); err != nil {
		return "", err
	} else if withdrawn || !p.enabled.Load() {
		return "", errOff
	}
	if p.beforeConsent(c.rec, c.seq) {
		// The tenant withdrew and resumed since make's first look.
		return ReasonBeforeConsent, nil
	}
	var decided sql.NullInt64
	err := tx.QueryRow(`SELECT decided FROM buckets WHERE start = ? AND seconds = ?`, c.start, c.seconds).Scan(&decided)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if decided.Valid {
		return ReasonLate, nil
	}
	day := now.UTC().Format(time.DateOnly)
	var made int
	if err := tx.QueryRow(`SELECT coalesce(max(made), 0) FROM daily WHERE day = ?`, day).Scan(&made); err != nil {
		return "", err
	}
	if made >= cfg.DailyCap {
		return ReasonDailyCap, nil
	}
	if reason, err := matchKeys(tx, c, cfg.MaxPerPlate); reason != "" || err != nil || !insert {
		return reason, err
	}
	return "", store(tx, c, cfg, now, day)
}

// matchKeys hashes the plate and the read event with every salt the bucket's
// samples were stored under and refuses a repeated event or a plate that
// reached its cap.
func matchKeys(tx *sql.Tx, c candidate, maxPerPlate int) (string, error) {
	rows, err := tx.Query(`SELECT id, key FROM salts WHERE id IN
		(SELECT DISTINCT salt FROM samples WHERE bucket_start = ? AND bucket_seconds = ?)`, c.start, c.seconds)
	if err != nil {
		return "", err
	}
	type salt struct {
		id  int64
		key []byte
	}
	var salts []salt
	for rows.Next() {
		var s salt
		if err := rows.Scan(&s.id, &s.key); err != nil {
			rows.Close()
			return "", err
		}
		salts = append(salts, s)
	}
	if err := rows.Close(); err != nil {
		return "", err
	}
	plates := 0
	for _, s := range salts {
		var dup, n int
		if ev := eventKey(s.key, c.rec); ev != nil {
			if err := tx.QueryRow(`SELECT count(*) FROM samples WHERE salt = ? AND event = ?`, s.id, ev).Scan(&dup); err != nil {
				return "", err
			}
			if dup > 0 {
				return ReasonDuplicate, nil
			}
		}
		if err := tx.QueryRow(`SELECT count(*) FROM samples WHERE bucket_start = ? AND bucket_seconds = ? AND salt = ? AND plate = ?`,
			c.start, c.seconds, s.id, plateKey(s.key, c.rec.Plate)).Scan(&n); err != nil {
			return "", err
		}
		plates += n
	}
	if plates >= maxPerPlate {
		return ReasonPlateCap, nil
	}
	return "", nil
}

// store inserts c with its keys under its bucket's salt, opens its bucket
// with a random release delay, and counts it for the day.
func store(tx *sql.Tx, c candidate, cfg *config.Improvement, now time.Time, day string) error {
	id, key, err := bucketSalt(tx, c, now, cfg.SaltRotation)
	if err != nil {
		return err
	}
	var jitter int64
	if cfg.ReleaseJitter > 0 {
		jitter = mrand.Int64N(int64(cfg.ReleaseJitter) + 1)
	}
	if _, err := tx.Exec(`INSERT INTO buckets (start, seconds, jitter, last_offer) VALUES (?, ?, ?, ?)
		ON CONFLICT (start, seconds) DO UPDATE SET last_offer = max(last_offer, excluded.last_offer)`,
		c.start, c.seconds, jitter, now.UnixNano()); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO samples (bucket_start, bucket_seconds, cell, event, plate, salt, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.start, c.seconds, c.cell, eventKey(key, c.rec), plateKey(key, c.rec.Plate), id, c.payload); err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO daily (day, made) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET made = made + 1`, day)
	return err
}

// bucketSalt is the salt of the samples of c's bucket, or for its first
// sample the current salt (replaced once it is older than
// improvement.salt_rotation). One salt per bucket: the k-threshold counts
// distinct plates by their keys, which two salts would tell apart.
func bucketSalt(tx *sql.Tx, c candidate, now time.Time, rotation time.Duration) (int64, []byte, error) {
	var id int64
	var key []byte
	err := tx.QueryRow(`SELECT id, key FROM salts WHERE id = (SELECT salt FROM samples
		WHERE bucket_start = ? AND bucket_seconds = ? AND salt IS NOT NULL ORDER BY id LIMIT 1)`, c.start, c.seconds).Scan(&id, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return currentSalt(tx, now, rotation)
	}
	return id, key, err
}

// currentSalt returns the newest salt, first making a new one when there is
// none or it is older than rotation.
func currentSalt(tx *sql.Tx, now time.Time, rotation time.Duration) (int64, []byte, error) {
	var id, created int64
	var key []byte
	err := tx.QueryRow(`SELECT id, key, created FROM salts ORDER BY id DESC LIMIT 1`).Scan(&id, &key, &created)
	if err == nil && now.Sub(time.Unix(0, created)) < rotation {
		return id, key, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	key = make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	res, err := tx.Exec(`INSERT INTO salts (key, created) VALUES (?, ?)`, key, now.UnixNano())
	if err != nil {
		return 0, nil, err
	}
	id, err = res.LastInsertId()
	return id, key, err
}

// plateKey is the salted HMAC of a plate text; it never leaves the device.
func plateKey(salt []byte, plate read.Plate) []byte {
	m := hmac.New(sha256.New, salt)
	fmt.Fprintf(m, "plate\x00%s", string(plate))
	return m.Sum(nil)[:16]
}

// eventKey is the salted HMAC of a read event (store id, capture time and
// camera), or nil for a record that was not stored (ID 0).
func eventKey(salt []byte, rec read.Record) []byte {
	if rec.ID == 0 {
		return nil
	}
	m := hmac.New(sha256.New, salt)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(rec.ID))
	binary.BigEndian.PutUint64(b[8:], uint64(rec.CapturedAt.UnixNano()))
	m.Write([]byte("event\x00"))
	m.Write(b[:])
	m.Write([]byte(rec.Camera))
	return m.Sum(nil)[:16]
}
