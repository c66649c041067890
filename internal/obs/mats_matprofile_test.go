//go:build matprofile

package obs

import (
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gocv.io/x/gocv"
)

func TestOpenMatsGaugeCountsUnclosedMats(t *testing.T) {
	reg := WithOpenMats(prometheus.NewRegistry())
	base := gocv.MatProfile.Count()
	want := func(n int) string {
		return "# HELP edge_gocv_open_mats gocv Mats created and not yet closed (builds with -tags matprofile only).\n" +
			"# TYPE edge_gocv_open_mats gauge\n" +
			"edge_gocv_open_mats " + strconv.Itoa(base+n) + "\n"
	}
	m1, m2 := gocv.NewMat(), gocv.NewMat()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(2)), "edge_gocv_open_mats"); err != nil {
		t.Error(err)
	}
	m1.Close()
	m2.Close()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(0)), "edge_gocv_open_mats"); err != nil {
		t.Error(err)
	}
}
