//go:build !matprofile

package mattest

func open() (int, string) { return -1, "" }
