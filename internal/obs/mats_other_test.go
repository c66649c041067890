//go:build !matprofile

package obs

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestOpenMatsOnlyWithMatprofile(t *testing.T) {
	reg := prometheus.NewRegistry()
	if got := WithOpenMats(reg); got != reg {
		t.Fatal("WithOpenMats returned another registry")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 0 {
		t.Errorf("a build without -tags matprofile registered %d metric families, want none", len(mfs))
	}
}
