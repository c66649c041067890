// Package mattest lets tests assert that every gocv Mat they caused to be
// made was closed. The check is real only in builds with -tags matprofile,
// where gocv counts open Mats; elsewhere it does nothing.
package mattest

import "testing"

// Check fails t when Mats are open. Call it after the code under test has
// released everything (after Close); tests using it must not run in
// parallel, since the count is global.
func Check(t testing.TB) {
	t.Helper()
	if n, stacks := open(); n > 0 {
		t.Errorf("%d gocv Mats left open; created at:\n%s", n, stacks)
	}
}

// Open returns the number of open Mats, or -1 without -tags matprofile.
func Open() int {
	n, _ := open()
	return n
}
