//go:build matprofile

package mattest

import (
	"bytes"

	"gocv.io/x/gocv"
)

func open() (int, string) {
	n := gocv.MatProfile.Count()
	if n == 0 {
		return 0, ""
	}
	var b bytes.Buffer
	_ = gocv.MatProfile.WriteTo(&b, 1)
	return n, b.String()
}
