package brokertest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Subscriber records the messages that arrive on a topic filter and counts
// the samples among them by sample_id. Its session is persistent (QoS 1,
// clean session off) and it reconnects on its own, so with the broker's
// persistence it misses nothing across restarts.
type Subscriber struct {
	mu      sync.Mutex
	msgs    []Message
	counts  map[string]int
	total   int
	bad     int
	changed chan struct{}
	cli     mqtt.Client
}

// Message is one message the subscriber received.
type Message struct {
	Topic   string
	Payload []byte
	At      time.Time // when the subscriber received it
}

// Subscribe connects a subscriber to url and subscribes to topic (a filter:
// "#" is every topic).
func Subscribe(t testing.TB, url, topic string, tc *tls.Config) *Subscriber {
	t.Helper()
	s := &Subscriber{counts: map[string]int{}, changed: make(chan struct{})}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	handler := func(_ mqtt.Client, m mqtt.Message) { s.add(m.Topic(), m.Payload()) }
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID("sub" + hex.EncodeToString(id)).
		SetCleanSession(false).SetAutoReconnect(true).SetMaxReconnectInterval(100 * time.Millisecond).
		SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetOnConnectHandler(func(c mqtt.Client) { c.Subscribe(topic, 1, handler) })
	if tc != nil {
		opts.SetTLSConfig(tc)
	}
	s.cli = mqtt.NewClient(opts)
	if tok := s.cli.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	// The subscription is made in the OnConnect handler; make sure it is in
	// place before the test publishes.
	if tok := s.cli.Subscribe(topic, 1, handler); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	t.Cleanup(func() { s.cli.Disconnect(100) })
	return s
}

func (s *Subscriber) add(topic string, payload []byte) {
	var v struct {
		SampleID string `json:"sample_id"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, Message{Topic: topic, Payload: bytes.Clone(payload), At: time.Now()})
	if json.Unmarshal(payload, &v) != nil || v.SampleID == "" {
		s.bad++
	} else {
		s.counts[v.SampleID]++
	}
	s.total++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Counts returns how many times each sample_id arrived, the total number of
// messages, and how many of those had no sample_id.
func (s *Subscriber) Counts() (counts map[string]int, total, bad int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		c[k] = v
	}
	return c, s.total, s.bad
}

// Messages returns every message received so far, in arrival order.
func (s *Subscriber) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitCount waits until at least n messages arrived or timeout passed, and
// returns the messages received.
func (s *Subscriber) WaitCount(n int, timeout time.Duration) []Message {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.Messages()
		}
	}
}

// WaitFor waits until every id arrived at least once and returns the ids
// still missing when timeout passed (nil when all arrived).
func (s *Subscriber) WaitFor(ids []string, timeout time.Duration) []string {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		var missing []string
		for _, id := range ids {
			if s.counts[id] == 0 {
				missing = append(missing, id)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			sort.Strings(missing)
			return missing
		}
	}
}

// SampleID is the id of sample n as tests make them: 32 hex digits.
func SampleID(n int) string { return fmt.Sprintf("%032x", n) }

// Sample is a JSON payload carrying SampleID(n) and pad bytes of filler.
func Sample(n, pad int) []byte {
	filler := make([]byte, pad)
	for i := range filler {
		filler[i] = 'a' + byte(i%26)
	}
	return fmt.Appendf(nil, `{"sample_id":%q,"n":%d,"crop":%q}`, SampleID(n), n, filler)
}

// Publish sends one message to topic at QoS 1 from a client of its own and
// returns once the broker has acknowledged it (PUBACK): a subscriber with a
// session on the topic then receives it after every message the broker
// acknowledged before.
func Publish(t testing.TB, url, topic string, payload []byte) {
	t.Helper()
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	cli := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("pub" + hex.EncodeToString(id)))
	if tok := cli.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	defer cli.Disconnect(100)
	if tok := cli.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}
