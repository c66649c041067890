package synth

import (
	"image"
	"image/color"
	"strings"
)

// plateStyle is the look of one US state's plate.
type plateStyle struct {
	State, Slogan   string
	Paper, PaperLow color.RGBA // background, top and bottom (a vertical gradient)
	Ink, StateInk   color.RGBA
	Border          color.RGBA
	GroupGap        bool // a space between the letter and digit groups
}

var plateStyles = []plateStyle{
	{"TEXAS", "THE LONE STAR STATE", rgb(250, 250, 248), rgb(236, 238, 240), rgb(18, 18, 22), rgb(20, 40, 110), rgb(25, 25, 30), true},
	{"OHIO", "BIRTHPLACE OF AVIATION", rgb(252, 250, 238), rgb(246, 240, 214), rgb(22, 28, 80), rgb(170, 25, 30), rgb(22, 28, 80), false},
	{"CALIFORNIA", "DMV.CA.GOV", rgb(252, 252, 252), rgb(242, 242, 246), rgb(16, 30, 110), rgb(190, 28, 36), rgb(16, 30, 110), false},
	{"FLORIDA", "SUNSHINE STATE", rgb(250, 252, 246), rgb(232, 242, 226), rgb(10, 80, 40), rgb(230, 110, 20), rgb(10, 80, 40), false},
	{"NEVADA", "THE SILVER STATE", rgb(232, 240, 250), rgb(250, 250, 252), rgb(18, 36, 90), rgb(18, 36, 90), rgb(18, 36, 90), true},
	{"ARIZONA", "GRAND CANYON STATE", rgb(250, 246, 236), rgb(240, 222, 196), rgb(92, 20, 24), rgb(20, 60, 120), rgb(92, 20, 24), false},
	{"OREGON", "PACIFIC WONDERLAND", rgb(246, 250, 252), rgb(226, 236, 244), rgb(14, 60, 40), rgb(20, 50, 110), rgb(14, 60, 40), true},
	{"COLORADO", "COLORFUL COLORADO", rgb(250, 252, 250), rgb(206, 226, 206), rgb(14, 70, 30), rgb(14, 70, 30), rgb(14, 70, 30), false},
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

// Plate geometry in metres (US plates are 12 × 6 inches).
const (
	plateW = 0.305
	plateH = 0.1525
)

// plateMasterW and plateMasterH are the size in pixels at which plate images
// are drawn; frames scale them down.
const (
	plateMasterW = 640
	plateMasterH = 320
)

// plateLetters leaves out I, O and Q, as many states do, so that no plate
// hangs on the 0/O or 1/I confusion.
const plateLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// plateFormats are patterns of L (letter) and D (digit).
var plateFormats = []string{"LLLDDDD", "DLLLDDD", "LLDDDDD", "LLLDDD", "LLLDDDD", "DLLLDDD"}

// plateText draws a plate text of one of plateFormats.
func plateText(r *rng) string {
	f := plateFormats[r.intn(len(plateFormats))]
	var b strings.Builder
	for _, c := range f {
		if c == 'L' {
			b.WriteByte(plateLetters[r.intn(len(plateLetters))])
		} else {
			b.WriteByte(byte('0' + r.intn(10)))
		}
	}
	return b.String()
}

// spaced inserts the gap between the letter and digit groups of a
// LLLDDDD or LLDDDDD text; other formats stay as they are.
func spaced(text string) string {
	i := strings.IndexAny(text, "0123456789")
	if i < 2 || strings.ContainsAny(text[:i], "0123456789") {
		return text
	}
	return text[:i] + " " + text[i:]
}

// renderPlate draws a plate: light paper with a dark rounded border, the state
// name on top, the characters across the middle and the slogan below.
func renderPlate(tf *typeface, text string, st plateStyle) *image.RGBA {
	w, h := plateMasterW, plateMasterH
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	roundedRect(img, img.Bounds(), 26, st.Border)
	inner := img.Bounds().Inset(9)
	for y := inner.Min.Y; y < inner.Max.Y; y++ {
		t := float64(y-inner.Min.Y) / float64(inner.Dy())
		c := mix(st.Paper, st.PaperLow, t)
		fillRect(img, image.Rect(inner.Min.X, y, inner.Max.X, y+1), c)
	}
	inner = img.Bounds().Inset(20)
	roundedRect(img, image.Rect(inner.Min.X, inner.Min.Y, inner.Max.X, inner.Min.Y+3), 1, st.StateInk)
	tf.drawFit(img, image.Rect(110, 26, w-110, 74), st.State, st.StateInk, 0.8)
	main := text
	if st.GroupGap {
		main = spaced(text)
	}
	tf.drawFit(img, image.Rect(34, 100, w-34, 236), main, st.Ink, 0.62)
	tf.drawFit(img, image.Rect(120, 262, w-120, 290), st.Slogan, st.StateInk, 0.75)
	return img
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}
