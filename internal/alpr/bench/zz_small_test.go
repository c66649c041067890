package bench

import (
	"context"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/edge-agent/edge-agent/internal/synth"
)

func TestZZSmall(t *testing.T) {
	ws := os.Getenv("ZZ_WIDTHS")
	if ws == "" {
		t.Skip()
	}
	limit, _ := strconv.Atoi(os.Getenv("ZZ_LIMIT"))
	e := openEngine(t, "eu")
	street, err := synth.Street(1920, 1080, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	bgs := map[string]image.Image{"grey": nil, "street": street}
	for _, bg := range strings.Split(os.Getenv("ZZ_BG"), ",") {
		for _, w := range strings.Split(ws, ",") {
			n, _ := strconv.Atoi(w)
			s, err := Small(context.Background(), e, "/work/shared/datasets/openalpr-eu", SmallOptions{Frame: image.Pt(1920, 1080), PlateWidth: n, Background: bgs[bg], Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("%s %dpx: images %d detected %.1f%% exact %.1f%% folded %.1f%% median %v mean %v\n", bg, n, s.Images, pct(s.Detected, s.Images), pct(s.Exact, s.Images), pct(s.Folded, s.Images), s.Median.Milliseconds(), s.Mean.Milliseconds())
		}
	}
}
