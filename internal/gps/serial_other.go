//go:build !linux

package gps

import (
	"errors"
	"os"
)

func speed(int) uint32 { return 0 }
func baudList() string { return "none (serial devices need Linux)" }

func openDevice(string, int) (*os.File, error) {
	return nil, errors.New("NMEA serial devices are supported on Linux only")
}
