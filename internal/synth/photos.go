//go:build cgo

package synth

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

// Photos turns the photos of a dataset folder (see ReadManifest) into a video
// for replays: each photo stays on screen for SecondsPerPhoto, letterboxed to
// 16:9, while the camera zooms and pans towards the plate; photos fade
// through black into each other. The truth file (one pass per photo, with
// the plate box of every frame) and an NMEA track are written beside the
// video, named after it.
func Photos(ctx context.Context, opt PhotoOptions, log *slog.Logger) (*Result, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	photos, err := ReadManifest(opt.Dataset)
	if err != nil {
		return nil, err
	}
	if opt.Limit > 0 && opt.Limit < len(photos) {
		photos = photos[:opt.Limit]
	}
	for _, p := range photos {
		if _, err := os.Stat(filepath.Join(opt.Dataset, p.Image)); err != nil {
			return nil, fmt.Errorf("photo %s: %w", filepath.Join(opt.Dataset, p.Image), err)
		}
	}
	w, h := widthFor(opt.Height), opt.Height
	pt := newPhotoTiming(opt.FPS, opt.SecondsPerPhoto, opt.GapSeconds)
	base := strings.TrimSuffix(opt.Out, filepath.Ext(opt.Out))
	res := &Result{Video: opt.Out, TruthFile: base + ".truth.json", NMEAFile: base + ".nmea"}
	total := pt.total(len(photos))
	res.Truth = &Truth{
		Version: TruthVersion, Generator: "photos", Video: filepath.Base(opt.Out), Width: w, Height: h,
		FPS: opt.FPS, Frames: total, DurationS: seconds(total, opt.FPS), Seed: opt.Seed, Start: DefaultStart,
	}
	if dir := filepath.Dir(opt.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	pr := &photoRenderer{opt: opt, photos: photos, pt: pt, w: w, h: h, truth: res.Truth, rng: newRNG(opt.Seed, 5), cur: -1}
	defer pr.Close()
	if err := encode(ctx, res, opt.FPS, opt.Encoder, pr.draw, log.With("generator", "photos")); err != nil {
		return nil, err
	}
	return res, nil
}

// photoRenderer draws the frames of a photo video and fills in its truth as
// each photo is loaded.
type photoRenderer struct {
	opt    PhotoOptions
	photos []Photo
	pt     photoTiming
	w, h   int
	truth  *Truth
	rng    *rng

	cur    int      // photo loaded, -1 for none
	img    gocv.Mat // photo cur, pre-scaled by pre
	pre    float64
	camera camera
}

// Close releases the loaded photo.
func (pr *photoRenderer) Close() {
	if pr.cur >= 0 {
		pr.img.Close()
		pr.cur = -1
	}
}

func (pr *photoRenderer) draw(f int, dst *gocv.Mat) error {
	dst.SetTo(gocv.NewScalar(0, 0, 0, 0))
	period := pr.pt.Frames + pr.pt.Gap
	i, j := (f-pr.pt.Gap)/period, (f-pr.pt.Gap)%period
	if f < pr.pt.Gap || i >= len(pr.photos) || j >= pr.pt.Frames {
		return nil // black gap
	}
	if pr.cur != i {
		if err := pr.load(i); err != nil {
			return err
		}
	}
	t := float64(j) / float64(max(1, pr.pt.Frames-1))
	k, ctr := pr.camera.at(t)
	kp := k / pr.pre
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	m.SetDoubleAt(0, 0, kp)
	m.SetDoubleAt(0, 2, float64(pr.w)/2-k*ctr.X)
	m.SetDoubleAt(1, 1, kp)
	m.SetDoubleAt(1, 2, float64(pr.h)/2-k*ctr.Y)
	gocv.WarpAffineWithParams(pr.img, dst, m, image.Pt(pr.w, pr.h), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	if a := pr.pt.alpha(j); a < 1 {
		dst.ConvertToWithParams(dst, gocv.MatTypeCV8UC3, float32(a), 0)
	}
	return nil
}

// load reads photo i, draws its camera move and adds its pass to the truth.
func (pr *photoRenderer) load(i int) error {
	pr.Close()
	p := pr.photos[i]
	path := filepath.Join(pr.opt.Dataset, p.Image)
	img := gocv.IMRead(path, gocv.IMReadColor)
	if img.Empty() {
		img.Close()
		return fmt.Errorf("photo %s: cannot be read as an image", path)
	}
	iw, ih := img.Cols(), img.Rows()
	if p.Box = p.Box.Intersect(image.Rect(0, 0, iw, ih)); p.Box.Empty() {
		img.Close()
		return fmt.Errorf("photo %s: the plate box %v lies outside the %dx%d image", path, pr.photos[i].Box, iw, ih)
	}
	pr.camera = newCamera(pr.rng, pr.w, pr.h, iw, ih, p.Box)
	// Shrink large photos once with area averaging so the per-frame warp
	// never shrinks by much.
	pr.pre = math.Min(1, pr.camera.fit()*pr.camera.ZoomMax*1.2)
	if pr.pre < 1 {
		small := gocv.NewMat()
		gocv.Resize(img, &small, image.Pt(int(math.Round(float64(iw)*pr.pre)), int(math.Round(float64(ih)*pr.pre))), 0, 0, gocv.InterpolationArea)
		pr.pre = float64(small.Cols()) / float64(iw)
		img.Close()
		img = small
	}
	pr.img, pr.cur = img, i
	pass := photoPass(i, p, pr.camera, pr.pt, pr.truth)
	pass.Others = otherPlates(pr.photos, i)
	pr.truth.Passes = append(pr.truth.Passes, pass)
	return nil
}

// photoPass is the truth of photo i: its frames and the plate box in each.
func photoPass(i int, p Photo, c camera, pt photoTiming, t *Truth) Pass {
	first := pt.first(i)
	pass := Pass{
		Index: i, Plate: p.Plate, Source: p.Image, Motion: MotionPhoto,
		FirstFrame: first, LastFrame: first + pt.Frames - 1,
		StartS: seconds(first, t.FPS), EndS: seconds(first+pt.Frames-1, t.FPS),
		Blur: "none", Light: "photo",
	}
	for j := 0; j < pt.Frames; j++ {
		hm := c.toFrame(float64(j) / float64(max(1, pt.Frames-1)))
		b := p.Box
		q := quad{
			hm.apply(vec{float64(b.Min.X), float64(b.Min.Y)}), hm.apply(vec{float64(b.Max.X), float64(b.Min.Y)}),
			hm.apply(vec{float64(b.Max.X), float64(b.Max.Y)}), hm.apply(vec{float64(b.Min.X), float64(b.Max.Y)}),
		}
		if !q.inside(t.Width, t.Height) {
			continue
		}
		x0, y0, x1, y1 := q.bounds()
		pass.Boxes = append(pass.Boxes, Box{Frame: first + j, X: x0, Y: y0, W: x1 - x0, H: y1 - y0})
		pass.PlateWidthPx = max(pass.PlateWidthPx, x1-x0)
	}
	return pass
}
