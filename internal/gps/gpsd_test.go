package gps

import (
	"bufio"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/read"
)

// fakeGPSD accepts connections on 127.0.0.1 and hands each to the test
// through conns once the client sent its WATCH command.
type fakeGPSD struct {
	ln      net.Listener
	conns   chan net.Conn
	watches chan string
}

func newFakeGPSD(t *testing.T) *fakeGPSD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGPSD{ln: ln, conns: make(chan net.Conn, 4), watches: make(chan string, 4)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				c.Close()
				continue
			}
			g.watches <- line
			fmt.Fprintln(c, `{"class":"VERSION","release":"3.25","rev":"3.25","proto_major":3,"proto_minor":15}`)
			fmt.Fprintln(c, `{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyACM0","driver":"u-blox"}]}`)
			g.conns <- c
		}
	}()
	return g
}

func tpv(mode int, at time.Time, lat, lon float64) string {
	return fmt.Sprintf(`{"class":"TPV","device":"/dev/ttyACM0","mode":%d,"time":%q,"ept":0.005,"lat":%v,"lon":%v,"alt":34.2,"speed":12.1}`,
		mode, at.UTC().Format(time.RFC3339Nano), lat, lon)
}

// waitFix polls src until its fix nearest to at has latitude lat.
func waitFix(t *testing.T, src Source, at time.Time, lat float64) *read.Fix {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if f := src.Nearest(at); f != nil && f.Lat == lat {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fix with lat %v near %v; have %+v", lat, at, src.Nearest(at))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestGPSDFixesAndReconnect(t *testing.T) {
	g := newFakeGPSD(t)
	var clock atomic.Int64
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	clock.Store(base.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	reg := prometheus.NewRegistry()
	src, err := Open("gpsd://"+g.ln.Addr().String(), testCfg, testLog(t), reg,
		withClock(now), withBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)

	if w := <-g.watches; w != `?WATCH={"enable":true,"json":true}`+"\n" {
		t.Fatalf("client sent %q", w)
	}
	c := <-g.conns
	// No fix yet (mode 1), a garbage line, then a 3D fix stamped 300 ms
	// before it is received.
	fmt.Fprintln(c, `{"class":"TPV","device":"/dev/ttyACM0","mode":1}`)
	fmt.Fprintln(c, `{"class":"TPV","mode":3,"lat":`)
	fmt.Fprintln(c, `{"class":"SKY","satellites":[{"PRN":5,"used":true}]}`)
	fixAt := base.Add(-300 * time.Millisecond)
	fmt.Fprintln(c, tpv(3, fixAt, 48.1351, 11.582))
	f := waitFix(t, src, base, 48.1351)
	if !f.Time.Equal(fixAt) || f.Lon != 11.582 {
		t.Fatalf("fix %+v, want lon 11.582 at gpsd's time %v", f, fixAt)
	}
	if got := src.Nearest(base.Add(6 * time.Second)); got != nil {
		t.Fatalf("fix 6.3 s away returned with max_age 5s: %+v", got)
	}
	if v, _ := gather(t, reg, "edge_gps_sentences_total", "result", "bad"); v != 1 {
		t.Errorf("bad reports %v, want 1", v)
	}
	clock.Store(base.Add(2 * time.Second).UnixNano())
	if v, ok := gather(t, reg, "edge_gps_fix_age_seconds", "", ""); !ok || v != 2.3 {
		t.Errorf("fix age %v (exported %v), want 2.3", v, ok)
	}

	// gpsd restarts: the client reconnects, asks again, and takes new fixes.
	c.Close()
	if w := <-g.watches; w == "" {
		t.Fatal("no WATCH after reconnect")
	}
	c = <-g.conns
	defer c.Close()
	// A receiver whose clock is an hour off: the receive time is used.
	fmt.Fprintln(c, tpv(2, base.Add(time.Hour), 48.2, 11.6))
	f = waitFix(t, src, now(), 48.2)
	if !f.Time.Equal(now()) {
		t.Fatalf("fix with a wrong receiver clock stamped %v, want the receive time %v", f.Time, now())
	}
}

func TestGPSDStopsWhileUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every attempt is refused
	src, err := Open("gpsd://"+addr, testCfg, testLog(t), nil, withBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if f := src.Nearest(time.Now()); f != nil {
		t.Fatalf("fix without gpsd: %+v", f)
	}
	stop(t, src) // returns while every attempt is refused
}
