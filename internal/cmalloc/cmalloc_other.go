//go:build !linux || !cgo

package cmalloc

// Tune is a no-op where glibc's malloc is not in use.
func Tune() {}
