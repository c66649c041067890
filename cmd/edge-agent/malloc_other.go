//go:build !linux || !cgo

package main

// limitMallocArenas is a no-op where glibc's malloc is not in use.
func limitMallocArenas(int) {}
