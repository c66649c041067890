//go:build linux

package gps

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// bauds maps the supported line speeds to their termios constants.
var bauds = map[int]uint32{
	4800: unix.B4800, 9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400,
	57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400, 460800: unix.B460800,
}

// speed is the termios constant of a baud rate, 0 when unsupported.
func speed(baud int) uint32 { return bauds[baud] }

func baudList() string {
	var l []string
	for b := range bauds {
		l = append(l, strconv.Itoa(b))
	}
	slices.SortFunc(l, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return strings.Join(l, ", ")
}

// openDevice opens an NMEA device for reading without making it the
// controlling terminal and without waiting for a carrier. A terminal is put
// in raw mode (8N1, no echo, no line editing, no CR/LF translation) at baud
// (0: as it is).
func openDevice(path string, baud int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var rawErr error
	if err := rc.Control(func(fd uintptr) { rawErr = makeRaw(int(fd), baud) }); err != nil {
		rawErr = err
	}
	if rawErr != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, rawErr)
	}
	return f, nil
}

// makeRaw sets a terminal to raw mode, as cfmakeraw does, with the receiver
// on; a file that is not a terminal (a FIFO) is left alone.
func makeRaw(fd, baud int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
		if baud != 0 {
			return errors.New("baud given but the device is not a terminal")
		}
		return nil
	}
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if s := speed(baud); s != 0 {
		t.Cflag &^= unix.CBAUD
		t.Cflag |= s
		t.Ispeed, t.Ospeed = s, s
	}
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
