package bench

import (
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"path/filepath"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/alpr"
)

// SmallOptions set up a small-plate run (see Small).
type SmallOptions struct {
	Frame      image.Point // frame size, e.g. 1920×1080
	PlateWidth int         // width the labelled plate box is scaled to, in frame pixels
	Limit      int         // stop after this many labelled images (0: all)
	// Background, when not nil, is drawn under the photo (scaled to Frame)
	// instead of a plain grey: a street with signs gives the reader text
	// that is not a plate to tell apart, as road views have.
	Background image.Image
}

// Small measures the recogniser on plates smaller than a dataset has them:
// each labelled photo of dir (one plate per image: its first label) is
// scaled so that its plate box is PlateWidth pixels wide and placed on a
// frame of size Frame (grey, or opts.Background), the plate's centre at a
// point of the frame's lower part drawn from the photo's name (plateSpot). The
// whole frame is searched, as a still. It returns the score of the best
// plates against the scaled labels.
func Small(ctx context.Context, rec alpr.Recognizer, dir string, opts SmallOptions) (Score, error) {
	if opts.Frame.X < 64 || opts.Frame.Y < 64 || opts.PlateWidth < 8 || opts.PlateWidth > opts.Frame.X/2 {
		return Score{}, fmt.Errorf("bench: small plates need a frame of at least 64×64 and a plate width in 8..frame/2, got %v and %d", opts.Frame, opts.PlateWidth)
	}
	labels, err := ReadManifest(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		return Score{}, err
	}
	if labels == nil {
		return Score{}, fmt.Errorf("bench: %s has no manifest.tsv: small plates need labelled boxes", dir)
	}
	names, err := listImages(dir)
	if err != nil {
		return Score{}, err
	}
	bg, err := background(opts)
	if err != nil {
		return Score{}, err
	}
	defer bg.Close()
	var results []Result
	for _, name := range names {
		ls := labels[name]
		if len(ls) == 0 {
			continue
		}
		if opts.Limit > 0 && len(results) == opts.Limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return Score{}, err
		}
		r, err := runSmall(rec, filepath.Join(dir, name), ls[0], bg, opts)
		if err != nil {
			return Score{}, err
		}
		results = append(results, r)
	}
	return score(fmt.Sprintf("%dpx", opts.PlateWidth), results), nil
}

// runSmall places one photo, scaled, on a frame and reads it. The result's
// Labels hold the label moved to the frame.
func runSmall(rec alpr.Recognizer, path string, l Label, bg gocv.Mat, opts SmallOptions) (Result, error) {
	img := gocv.IMRead(path, gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		return Result{}, fmt.Errorf("%s: cannot decode image", path)
	}
	s := float64(opts.PlateWidth) / float64(l.Box.Dx())
	scaled := gocv.NewMat()
	defer scaled.Close()
	size := image.Pt(max(1, int(math.Round(float64(img.Cols())*s))), max(1, int(math.Round(float64(img.Rows())*s))))
	gocv.Resize(img, &scaled, size, 0, 0, gocv.InterpolationArea)
	// Where the scaled photo's origin lands so that the plate centre is at
	// the target point, and the part of it inside the frame.
	target := plateSpot(filepath.Base(path), opts.Frame)
	cx, cy := float64(l.Box.Min.X+l.Box.Max.X)/2*s, float64(l.Box.Min.Y+l.Box.Max.Y)/2*s
	origin := image.Pt(target.X-int(math.Round(cx)), target.Y-int(math.Round(cy)))
	frameRect := image.Rectangle{Max: opts.Frame}
	dst := image.Rectangle{Min: origin, Max: origin.Add(size)}.Intersect(frameRect)
	frame := bg.Clone()
	defer frame.Close()
	src := scaled.Region(dst.Sub(origin))
	defer src.Close()
	to := frame.Region(dst)
	src.CopyTo(&to)
	to.Close()
	box := image.Rect(int(float64(l.Box.Min.X)*s), int(float64(l.Box.Min.Y)*s), int(math.Ceil(float64(l.Box.Max.X)*s)), int(math.Ceil(float64(l.Box.Max.Y)*s))).Add(origin)
	start := time.Now()
	plates, err := rec.Recognize(frame, nil)
	r := Result{Image: filepath.Base(path), Time: time.Since(start), Labels: []Label{{Text: l.Text, Box: box}}}
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if len(plates) > 0 {
		r.Plate, r.Found = plates[0], true
	}
	return r, nil
}

// plateSpot is where a photo's plate centre is placed in the frame: a point
// in the lower part of the frame, where a vehicle's plate sits in a road
// view, drawn from the photo's name, so that a photo lands at the same
// place in every run and the photos of a set at many places: a search
// measured with one plate position would be measured against one tiling.
func plateSpot(name string, frame image.Point) image.Point {
	h := fnv.New64a()
	h.Write([]byte(name))
	v := h.Sum64()
	fx := float64(v&0xffff) / 0xffff       // 0..1
	fy := float64((v>>16)&0xffff) / 0xffff // 0..1
	return image.Pt(int(float64(frame.X)*(0.15+0.7*fx)), int(float64(frame.Y)*(0.45+0.45*fy)))
}

// background returns the frame the photos are pasted on: opts.Background
// scaled to opts.Frame, or grey.
func background(opts SmallOptions) (gocv.Mat, error) {
	if opts.Background == nil {
		return gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 110, 110, 0), opts.Frame.Y, opts.Frame.X, gocv.MatTypeCV8UC3), nil
	}
	rgb, err := gocv.ImageToMatRGB(opts.Background)
	defer rgb.Close() // gocv returns a Mat to close even with an error
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("bench: small plates: background: %w", err)
	}
	out := gocv.NewMat()
	gocv.Resize(rgb, &out, opts.Frame, 0, 0, gocv.InterpolationArea)
	return out, nil
}
