package gps

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the master for the test to write to,
// and the path of the slave, a real terminal device for the source to read.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var name string
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ioErr error
	rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
			return
		}
		var n int
		n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		name = fmt.Sprintf("/dev/pts/%d", n)
	})
	if ioErr != nil {
		t.Fatal(ioErr)
	}
	return m, name
}

func TestNMEADeviceOnTerminal(t *testing.T) {
	master, slave := openPTY(t)
	var clock atomic.Int64
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	clock.Store(base.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	reg := prometheus.NewRegistry()
	src, err := Open("nmea:"+slave+"?baud=9600", testCfg, testLog(t), reg,
		withClock(now), withBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)

	// Write until the source has opened the terminal and read a fix. The
	// receiver's time is 400 ms before the receive time.
	rmc := sentence("GPRMC,075959.600,A,4807.0380,N,01131.0000,E,022.4,084.4,010625,003.1,W") + "\r\n"
	deadline := time.Now().Add(10 * time.Second)
	for src.Nearest(base) == nil {
		if time.Now().After(deadline) {
			t.Fatal("no fix from the terminal")
		}
		if _, err := master.WriteString("garbage\r\n" + rmc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f := src.Nearest(base)
	if !f.Time.Equal(base.Add(-400*time.Millisecond)) || abs(f.Lat-48.1173) > 1e-9 || abs(f.Lon-11.5166666667) > 1e-9 {
		t.Fatalf("fix %+v", f)
	}
	if v, _ := gather(t, reg, "edge_gps_sentences_total", "result", "bad"); v < 1 {
		t.Errorf("garbage lines not counted: bad = %v", v)
	}

	// The source put the terminal in raw mode at 9600 baud.
	fd, err := unix.Open(slave, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&(unix.ICANON|unix.ECHO) != 0 || tio.Iflag&unix.ICRNL != 0 || tio.Cflag&unix.CBAUD != unix.B9600 {
		t.Fatalf("terminal not raw at 9600: lflag %#o iflag %#o cflag %#o", tio.Lflag, tio.Iflag, tio.Cflag)
	}
}

func TestNMEADeviceFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gps.fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	src, err := Open("nmea:"+path, testCfg, testLog(t), nil,
		withClock(func() time.Time { return now }), withBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	w, err := os.OpenFile(path, os.O_RDWR, 0) // RDWR: does not wait for a reader
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// GGA only: the time of day is placed on today's date; the receiver
	// clock (midnight) is far from now, so the receive time is used.
	gga := sentence("GPGGA,000000.000,5230.0000,N,01324.0000,E,1,8,1.0,34.0,M,39.0,M,,") + "\n"
	deadline := time.Now().Add(10 * time.Second)
	for src.Nearest(now) == nil {
		if time.Now().After(deadline) {
			t.Fatal("no fix from the FIFO")
		}
		if _, err := w.WriteString(gga); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f := src.Nearest(now); f.Lat != 52.5 {
		t.Fatalf("fix %+v", f)
	}
}

func TestNMEADeviceNotYetPresent(t *testing.T) {
	// A USB receiver that is not plugged in yet: Open waits for it instead
	// of failing, and Run still returns when its context ends.
	src, err := Open("nmea:/dev/edge-agent-test-no-such-gps", testCfg, testLog(t), nil,
		withBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if f := src.Nearest(time.Now()); f != nil {
		t.Fatalf("fix from a missing device: %+v", f)
	}
	stop(t, src)
}
