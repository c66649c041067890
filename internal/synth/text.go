package synth

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"os"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// DefaultFont is the bold sans font used for plates and signs, from Debian's
// fonts-dejavu-core package.
const DefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

// renderSize is the font size at which text is rasterised before it is
// scaled into place; large enough that scaling down keeps edges clean.
const renderSize = 160

// typeface rasterises text with one font.
type typeface struct {
	face font.Face
}

// loadTypeface opens a TrueType or OpenType font file.
func loadTypeface(path string) (*typeface, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("font %s not found (install Debian's fonts-dejavu-core or pass another TTF)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	f, err := opentype.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: renderSize, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", path, err)
	}
	return &typeface{face: face}, nil
}

// ink renders text and returns its coverage cropped to the inked pixels.
func (tf *typeface) ink(text string) *image.Alpha {
	bounds, _ := font.BoundString(tf.face, text)
	r := image.Rect(bounds.Min.X.Floor()-1, bounds.Min.Y.Floor()-1, bounds.Max.X.Ceil()+1, bounds.Max.Y.Ceil()+1)
	mask := image.NewAlpha(r)
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: tf.face, Dot: fixed.Point26_6{}}
	d.DrawString(text)
	return mask
}

// drawFit draws text in colour c centred in box so that its ink fills the
// box's height. When the text is too wide it is first narrowed, down to
// minSqueeze of its natural width (plates use condensed lettering), and then
// shrunk as a whole.
func (tf *typeface) drawFit(dst *image.RGBA, box image.Rectangle, text string, c color.Color, minSqueeze float64) {
	if text == "" || box.Empty() {
		return
	}
	m := tf.ink(text)
	mw, mh := float64(m.Bounds().Dx()), float64(m.Bounds().Dy())
	h := float64(box.Dy())
	w := mw * h / mh
	if w > float64(box.Dx()) {
		squeeze := float64(box.Dx()) / w
		if squeeze < minSqueeze {
			h *= squeeze / minSqueeze
			squeeze = minSqueeze
		}
		w = mw * h / mh * squeeze
	}
	iw, ih := int(w+0.5), int(h+0.5)
	x0 := box.Min.X + (box.Dx()-iw)/2
	y0 := box.Min.Y + (box.Dy()-ih)/2
	target := image.Rect(x0, y0, x0+iw, y0+ih)
	scaled := image.NewAlpha(target)
	draw.CatmullRom.Scale(scaled, target, m, m.Bounds(), draw.Src, nil)
	draw.DrawMask(dst, target, image.NewUniform(c), image.Point{}, scaled, target.Min, draw.Over)
}

// fillRect paints r in colour c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// roundedRect paints a rectangle with corners of radius rad in colour c.
func roundedRect(dst *image.RGBA, r image.Rectangle, rad int, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dx := max(r.Min.X+rad-x, x-(r.Max.X-1-rad), 0)
			dy := max(r.Min.Y+rad-y, y-(r.Max.Y-1-rad), 0)
			if dx*dx+dy*dy <= rad*rad {
				dst.SetRGBA(x, y, c)
			}
		}
	}
}

// toBGR returns the pixels of img as packed BGR bytes, the layout of an
// OpenCV CV_8UC3 Mat.
func toBGR(img *image.RGBA) []byte {
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, row[4*x+2], row[4*x+1], row[4*x])
		}
	}
	return out
}
