//go:build !linux || !cgo

package main

// tuneMalloc is a no-op where glibc's malloc is not in use.
func tuneMalloc() {}
