//go:build !cgo

package synth

import (
	"context"
	"errors"
	"log/slog"
)

var errNoCgo = errors.New("synth: compiled without cgo; the video generators need OpenCV (build with CGO_ENABLED=1)")

// Synthetic needs OpenCV; without cgo it returns an error.
func Synthetic(context.Context, string, SyntheticOptions, *slog.Logger) (*Result, error) {
	return nil, errNoCgo
}

// Photos needs OpenCV; without cgo it returns an error.
func Photos(context.Context, PhotoOptions, *slog.Logger) (*Result, error) {
	return nil, errNoCgo
}

// Stills needs OpenCV; without cgo it returns an error.
func Stills(context.Context, string, string) (int, error) {
	return 0, errNoCgo
}
