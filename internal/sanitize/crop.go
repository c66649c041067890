package sanitize

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
)

// JPEGQuality is the quality sample images are encoded with.
const JPEGQuality = 85

// maxCropPixels bounds the stored crop a sample is cut from, so that a
// corrupt record cannot make the encoder allocate without limit.
const maxCropPixels = 4096 * 4096

// Recrop cuts a sample image out of a stored crop: it decodes crop (a JPEG),
// keeps the plate box grown by margin (a share of the box's width on the left
// and right and of its height above and below, at most 0.1) and clamped to the
// crop, scales it down to at most maxWidth px wide, and encodes the raw pixels
// again with image/jpeg, which writes no metadata segment of any kind.
func Recrop(crop []byte, box image.Rectangle, margin float64, maxWidth int) ([]byte, error) {
	if !(margin >= 0 && margin <= 0.1) {
		return nil, fmt.Errorf("margin %v is outside 0..0.1", margin)
	}
	if maxWidth < 1 {
		return nil, fmt.Errorf("max width %d is not positive", maxWidth)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(crop))
	if err != nil {
		return nil, fmt.Errorf("crop is not a JPEG: %w", err)
	}
	if cfg.Width*cfg.Height > maxCropPixels {
		return nil, fmt.Errorf("crop of %dx%d px is larger than %d px", cfg.Width, cfg.Height, maxCropPixels)
	}
	src, err := jpeg.Decode(bytes.NewReader(crop))
	if err != nil {
		return nil, fmt.Errorf("crop is not a JPEG: %w", err)
	}
	plate := box.Canon().Intersect(src.Bounds())
	if plate.Empty() {
		return nil, fmt.Errorf("plate box %v is empty or outside the crop %v", box, src.Bounds())
	}
	box = plate
	mx, my := int(margin*float64(box.Dx())), int(margin*float64(box.Dy()))
	r := image.Rect(box.Min.X-mx, box.Min.Y-my, box.Max.X+mx, box.Max.Y+my).Intersect(src.Bounds())

	// Copy the kept pixels into a fresh RGBA image: only pixel values cross
	// from the stored crop into the sample.
	rgba := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(rgba, rgba.Bounds(), src, r.Min, draw.Src)
	out := rgba
	if r.Dx() > maxWidth {
		h := max(1, (r.Dy()*maxWidth+r.Dx()/2)/r.Dx())
		out = downscale(rgba, maxWidth, h)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, fmt.Errorf("encode sample image: %w", err)
	}
	return buf.Bytes(), nil
}

// downscale shrinks src to w×h px (each no larger than src's) by averaging
// the source pixels that fall into each destination pixel.
func downscale(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var sum [4]int
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					sum[0] += int(p[0])
					sum[1] += int(p[1])
					sum[2] += int(p[2])
					sum[3] += int(p[3])
				}
			}
			n := (y1 - y0) * (x1 - x0)
			d := dst.Pix[y*dst.Stride+x*4:]
			for c := range 4 {
				d[c] = uint8((sum[c] + n/2) / n)
			}
		}
	}
	return dst
}
