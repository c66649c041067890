package synth

import (
	"image"
	"image/color"
	"math"
)

// renderBackground draws the empty street the vehicles drive through: sky,
// a row of shops with signs, a pavement, a road with lane markings, a tree
// and street signs. The signs carry text that is not a plate, so a reader
// must tell plates from other text. The picture depends only on the seed.
func renderBackground(tf *typeface, w, h int, seed int64) *image.RGBA {
	r := newRNG(seed, 2)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	H := float64(h)
	px := func(v float64) int { return int(math.Round(v * H)) } // fractions of the height
	for y := 0; y < h; y++ {
		var c color.RGBA
		switch t := float64(y) / H; {
		case t < 0.47:
			c = mix(rgb(142, 176, 212), rgb(206, 216, 226), t/0.47)
		case t < 0.53:
			c = rgb(168, 168, 164)
		default:
			c = mix(rgb(104, 104, 108), rgb(78, 78, 82), (t-0.53)/0.47)
		}
		fillRect(img, image.Rect(0, y, w, y+1), c)
	}
	fillRect(img, image.Rect(0, px(0.525), w, px(0.535)), rgb(118, 118, 116)) // kerb
	drawBuildings(tf, img, r, px)
	// Lane markings: dashed lines along the road.
	for i, y := range []float64{0.64, 0.80} {
		th := px(0.008 + 0.006*float64(i))
		dash, gap := px(0.10+0.04*float64(i)), px(0.08+0.03*float64(i))
		for x := -r.intn(dash + gap); x < w; x += dash + gap {
			fillRect(img, image.Rect(x, px(y), x+dash, px(y)+th), rgb(222, 222, 210))
		}
	}
	// A tree, a hydrant and two street signs on poles.
	tx := int(0.70 * float64(w))
	fillRect(img, image.Rect(tx-px(0.012), px(0.22), tx+px(0.012), px(0.50)), rgb(84, 62, 44))
	for i := 0; i < 9; i++ {
		disc(img, tx+int(r.between(-0.09, 0.09)*H), px(r.between(0.10, 0.26)), px(r.between(0.05, 0.08)), mix(rgb(52, 96, 44), rgb(86, 128, 60), r.float()))
	}
	fillRect(img, image.Rect(int(0.33*float64(w)), px(0.475), int(0.33*float64(w))+px(0.02), px(0.51)), rgb(170, 30, 30))
	sign(tf, img, int(0.06*float64(w)), px, rgb(250, 250, 250), rgb(20, 20, 20), []string{"SPEED", "LIMIT", "35"}, 0.10, 0.13)
	sign(tf, img, int(0.90*float64(w)), px, rgb(24, 110, 60), rgb(250, 250, 250), []string{"MAIN ST"}, 0.16, 0.045)
	addTexture(img, newRNG(seed, 3), px(0.53))
	return img
}

// drawBuildings draws a row of facades with windows; the ground floors of some
// are shops with a sign board.
func drawBuildings(tf *typeface, img *image.RGBA, r *rng, px func(float64) int) {
	w := img.Bounds().Dx()
	walls := []color.RGBA{rgb(152, 86, 64), rgb(204, 190, 164), rgb(132, 136, 142), rgb(174, 154, 124), rgb(118, 96, 84)}
	shops := []struct {
		text   string
		board  color.RGBA
		letter color.RGBA
	}{
		{"BAKERY", rgb(150, 24, 30), rgb(250, 240, 220)},
		{"PHARMACY", rgb(20, 110, 70), rgb(250, 250, 250)},
		{"PIZZA OPEN 24H", rgb(30, 30, 36), rgb(250, 200, 40)},
		{"SALE 50% OFF", rgb(240, 200, 30), rgb(20, 20, 20)},
	}
	first, used := r.intn(len(shops)), 0
	for x := 0; x < w; {
		bw := int(float64(w) * r.between(0.13, 0.24))
		top := px(r.between(0.04, 0.20))
		wall := walls[r.intn(len(walls))]
		fillRect(img, image.Rect(x, top, x+bw, px(0.47)), wall)
		fillRect(img, image.Rect(x, top, x+bw, top+px(0.012)), shade(wall, 0.7))
		for y := top + px(0.04); y+px(0.05) < px(0.36); y += px(0.075) {
			for wx := x + px(0.03); wx+px(0.045) < x+bw-px(0.02); wx += px(0.075) {
				fillRect(img, image.Rect(wx-2, y-2, wx+px(0.045)+2, y+px(0.05)+2), rgb(226, 224, 216))
				fillRect(img, image.Rect(wx, y, wx+px(0.045), y+px(0.05)), mix(rgb(58, 70, 92), rgb(120, 140, 160), r.float()*0.5))
			}
		}
		// Shop window and door on the ground floor.
		fillRect(img, image.Rect(x+px(0.03), px(0.405), x+bw-px(0.03), px(0.47)), rgb(70, 82, 96))
		fillRect(img, image.Rect(x+bw/2-px(0.02), px(0.405), x+bw/2+px(0.02), px(0.47)), rgb(60, 44, 36))
		if used < len(shops) && r.float() < 0.75 {
			s := shops[(first+used)%len(shops)]
			used++
			board := image.Rect(x+px(0.02), px(0.365), x+bw-px(0.02), px(0.40))
			fillRect(img, board, s.board)
			tf.drawFit(img, board.Inset(px(0.006)), s.text, s.letter, 0.8)
		}
		x += bw
	}
}

// sign draws a rectangular sign with lines of text on a grey pole at x.
func sign(tf *typeface, img *image.RGBA, x int, px func(float64) int, board, ink color.RGBA, lines []string, bw, bh float64) {
	fillRect(img, image.Rect(x-px(0.006), px(0.20), x+px(0.006), px(0.51)), rgb(96, 98, 100))
	b := image.Rect(x-px(bw/2), px(0.12), x+px(bw/2), px(0.12+bh))
	fillRect(img, b, ink)
	fillRect(img, b.Inset(px(0.004)), board)
	lh := (b.Dy() - px(0.016)) / len(lines)
	for i, l := range lines {
		y := b.Min.Y + px(0.008) + i*lh
		tf.drawFit(img, image.Rect(b.Min.X+px(0.01), y+lh/8, b.Max.X-px(0.01), y+lh-lh/8), l, ink, 0.8)
	}
}

func disc(img *image.RGBA, cx, cy, rad int, c color.RGBA) {
	roundedRect(img, image.Rect(cx-rad, cy-rad, cx+rad, cy+rad), rad, c)
}

// addTexture adds fixed grain, stronger on the asphalt below road.
func addTexture(img *image.RGBA, r *rng, road int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		amp := 6.0
		if y >= road {
			amp = 14
		}
		for x := b.Min.X; x < b.Max.X; x++ {
			o := img.PixOffset(x, y)
			d := (r.float() - 0.5) * amp
			for c := 0; c < 3; c++ {
				img.Pix[o+c] = clamp8(float64(img.Pix[o+c]) + d)
			}
		}
	}
}

func clamp8(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}
