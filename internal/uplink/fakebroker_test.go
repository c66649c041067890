package uplink

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// action is what the fake broker does with a PUBLISH.
type action int

const (
	ack    action = iota // PUBACK it
	ignore               // never PUBACK it
	hangUp               // close the connection without PUBACK
)

// fakeBroker is a minimal MQTT 3.1.1 broker on 127.0.0.1 with fault
// injection: decide picks the action for each PUBLISH.
type fakeBroker struct {
	ln     net.Listener
	decide func(payload []byte) action
	refuse atomic.Bool

	mu       sync.Mutex
	acked    [][]byte
	received int
	connects []time.Time
	clientID []string
}

func newFakeBroker(t *testing.T, decide func([]byte) action) *fakeBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{ln: ln, decide: decide}
	t.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

func (b *fakeBroker) url() string { return "tcp://" + b.ln.Addr().String() }

func (b *fakeBroker) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.handle(c)
	}
}

func (b *fakeBroker) handle(c net.Conn) {
	defer c.Close()
	for {
		cp, err := packets.ReadPacket(c)
		if err != nil {
			return
		}
		switch p := cp.(type) {
		case *packets.ConnectPacket:
			b.mu.Lock()
			b.connects = append(b.connects, time.Now())
			b.clientID = append(b.clientID, p.ClientIdentifier)
			b.mu.Unlock()
			ca := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
			if b.refuse.Load() {
				ca.ReturnCode = packets.ErrRefusedBadUsernameOrPassword
			}
			if ca.Write(c) != nil || b.refuse.Load() {
				return
			}
		case *packets.PublishPacket:
			b.mu.Lock()
			b.received++
			b.mu.Unlock()
			switch b.decide(p.Payload) {
			case hangUp:
				return
			case ignore:
				continue
			}
			b.mu.Lock()
			b.acked = append(b.acked, bytes.Clone(p.Payload))
			b.mu.Unlock()
			pa := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
			pa.MessageID = p.MessageID
			if pa.Write(c) != nil {
				return
			}
		case *packets.PingreqPacket:
			if packets.NewControlPacket(packets.Pingresp).Write(c) != nil {
				return
			}
		case *packets.DisconnectPacket:
			return
		}
	}
}

func (b *fakeBroker) ackedPayloads() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.acked...)
}

func (b *fakeBroker) connectTimes() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.connects...)
}
