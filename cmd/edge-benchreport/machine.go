package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPUs     int
	CPUModel string
	MemTotal string
}

func readMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = cpuModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = memTotal(procField(string(b), "MemTotal"))
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo, or else its first
// "Hardware" or "Processor" line (ARM), or "unknown".
func cpuModel(cpuinfo string) string {
	for _, key := range []string{"model name", "Hardware", "Processor"} {
		if v := procField(cpuinfo, key); v != "" {
			return v
		}
	}
	return "unknown"
}

// procField returns the value of the first "key: value" line.
func procField(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg is the 1, 5 and 15 minute load average from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// memTotal turns the "N kB" of /proc/meminfo into GiB.
func memTotal(v string) string {
	kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
	if err != nil {
		return "unknown"
	}
	return strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
}
