// Package scripts holds the install script and the systemd unit; its test
// checks what the unit promises.
package scripts

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unitValues reads the [Service] settings of a unit file: each key's values
// in order (a key may repeat).
func unitValues(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			out[k] = append(out[k], v)
		}
	}
	return out
}

// modelsDir is where install.sh puts the models.
const modelsDir = "/var/lib/edge-agent/models"

// TestUnit: the unit lets the agent open every kind of serial port a GPS
// receiver sits on (USB serial and the onboard UARTs of x86, Raspberry Pi
// and Jetson boards) and nothing else; the models are read-only to it; its
// memory cap is 512M, the measured peak with headroom.
func TestUnit(t *testing.T) {
	u := unitValues(t, "edge-agent.service")
	if got := u["DevicePolicy"]; !slices.Equal(got, []string{"closed"}) {
		t.Errorf("DevicePolicy %v, want closed", got)
	}
	for _, class := range []string{"video4linux", "ttyUSB", "ttyACM", "ttyS", "ttyAMA", "ttyTHS"} {
		if !slices.Contains(u["DeviceAllow"], "char-"+class+" rw") {
			t.Errorf("DeviceAllow lacks char-%s rw: %v", class, u["DeviceAllow"])
		}
	}
	if !slices.Contains(strings.Fields(strings.Join(u["ReadOnlyPaths"], " ")), modelsDir) {
		t.Errorf("ReadOnlyPaths %v does not hold %s", u["ReadOnlyPaths"], modelsDir)
	}
	install, err := os.ReadFile("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`install -m 0644 -o root -g root models/\* ` + modelsDir + `/`).Match(install) {
		t.Errorf("install.sh does not install the models root-owned into %s", modelsDir)
	}
	if got := u["MemoryMax"]; !slices.Equal(got, []string{"512M"}) {
		t.Errorf("MemoryMax %v, want 512M", got)
	}
}

// maxExposure is the highest `systemd-analyze security` exposure the unit
// may have (0 best, 10 worst); the README reports the figure.
const maxExposure = 2.0

// TestUnitSecurityExposure rates the unit with systemd-analyze, offline (no
// systemd needed as PID 1).
func TestUnitSecurityExposure(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian: systemd)")
	}
	out, err := exec.Command(bin, "security", "--offline=true", "edge-agent.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for edge-agent.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	level, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security exposure: %.1f", level)
	if level > maxExposure {
		t.Errorf("exposure %.1f, want at most %.1f", level, maxExposure)
	}
}
