package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Plot sizes and colours.
const (
	plotW, plotH                     = 800, 450
	marginL, marginR, marginT, margB = 80, 30, 40, 60
)

var (
	colBG     = color.RGBA{255, 255, 255, 255}
	colAxis   = color.RGBA{40, 40, 40, 255}
	colGrid   = color.RGBA{225, 225, 225, 255}
	colSeries = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}}
	colRef    = color.RGBA{214, 39, 40, 255}
)

// canvas is a plot being drawn: an image with a data area mapped to
// [x0,x1]×[y0,y1].
type canvas struct {
	img            *image.RGBA
	x0, x1, y0, y1 float64
}

func newCanvas(title, xLabel, yLabel string, x0, x1, y0, y1 float64) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, plotW, plotH)), x0: x0, x1: x1, y0: y0, y1: y1}
	draw.Draw(c.img, c.img.Bounds(), &image.Uniform{colBG}, image.Point{}, draw.Src)
	c.text(plotW/2-len(title)*7/2, 24, title, colAxis)
	c.text(plotW/2-len(xLabel)*7/2, plotH-14, xLabel, colAxis)
	c.text(8, marginT-8, yLabel, colAxis)
	return c
}

// px maps data coordinates to pixels.
func (c *canvas) px(x, y float64) (int, int) {
	fx := (x - c.x0) / (c.x1 - c.x0)
	fy := (y - c.y0) / (c.y1 - c.y0)
	return marginL + int(math.Round(fx*float64(plotW-marginL-marginR))),
		plotH - margB - int(math.Round(fy*float64(plotH-marginT-margB)))
}

// yAxis draws horizontal grid lines with labels at nice steps, and the axes.
func (c *canvas) yAxis() {
	for _, v := range ticks(c.y0, c.y1, 6) {
		_, y := c.px(c.x0, v)
		c.hline(marginL, plotW-marginR, y, colGrid, false)
		s := tickLabel(v)
		c.text(marginL-8-len(s)*7, y+4, s, colAxis)
	}
	c.hline(marginL, plotW-marginR, plotH-margB, colAxis, false)
	for y := marginT; y <= plotH-margB; y++ {
		c.img.Set(marginL, y, colAxis)
	}
}

// xAxis labels the x axis at nice steps.
func (c *canvas) xAxis() {
	for _, v := range ticks(c.x0, c.x1, 10) {
		x, _ := c.px(v, c.y0)
		for y := plotH - margB; y < plotH-margB+5; y++ {
			c.img.Set(x, y, colAxis)
		}
		s := tickLabel(v)
		c.text(x-len(s)*7/2, plotH-margB+18, s, colAxis)
	}
}

func (c *canvas) hline(x0, x1, y int, col color.RGBA, dashed bool) {
	for x := x0; x <= x1; x++ {
		if !dashed || (x/6)%2 == 0 {
			c.img.Set(x, y, col)
		}
	}
}

// line draws a 2-pixel line between two pixel points.
func (c *canvas) line(ax, ay, bx, by int, col color.RGBA) {
	n := max(abs(bx-ax), abs(by-ay), 1)
	for i := 0; i <= n; i++ {
		x := ax + (bx-ax)*i/n
		y := ay + (by-ay)*i/n
		c.img.Set(x, y, col)
		c.img.Set(x, y+1, col)
		c.img.Set(x+1, y, col)
	}
}

func (c *canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	draw.Draw(c.img, image.Rect(x0, y0, x1, y1), &image.Uniform{col}, image.Point{}, draw.Src)
}

func (c *canvas) text(x, y int, s string, col color.RGBA) {
	d := font.Drawer{Dst: c.img, Src: &image.Uniform{col}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// legend writes entry k of the legend, top right, with a colour swatch.
func (c *canvas) legend(k int, name string, col color.RGBA) {
	x, y := c.legendAt(k)
	c.rect(x, y-9, x+10, y+1, col)
	c.text(x+16, y, name, colAxis)
}

func (c *canvas) legendAt(k int) (int, int) { return plotW - marginR - 230, marginT + 16 + 16*k }

func (c *canvas) save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, c.img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Series is one line of a line plot.
type Series struct {
	Name string
	X, Y []float64
}

// Ref is a dashed horizontal reference line (a target); no line when Label
// is empty.
type Ref struct {
	Value float64
	Label string
}

// linePlot writes a PNG line plot of the series, with the reference line;
// the y axis starts at 0 so that a flat line looks flat. Points with a NaN y
// are left out.
func linePlot(path, title, xLabel, yLabel string, ref Ref, series ...Series) error {
	x1, y1 := 0.0, 0.0
	for _, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("plot %s: series %q has %d x and %d y", path, s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			x1 = math.Max(x1, s.X[i])
			if !math.IsNaN(s.Y[i]) {
				y1 = math.Max(y1, s.Y[i])
			}
		}
	}
	if ref.Label != "" {
		y1 = math.Max(y1, ref.Value)
	}
	c := newCanvas(title, xLabel, yLabel, 0, niceCeil(x1), 0, niceCeil(y1*1.1))
	c.yAxis()
	c.xAxis()
	if ref.Label != "" {
		_, y := c.px(0, ref.Value)
		c.hline(marginL+1, plotW-marginR, y, colRef, true)
		c.text(marginL+8, y-5, ref.Label, colRef)
	}
	for k, s := range series {
		col := colSeries[k%len(colSeries)]
		havePrev := false
		var px, py int
		for i := range s.X {
			if math.IsNaN(s.Y[i]) {
				havePrev = false
				continue
			}
			x, y := c.px(s.X[i], s.Y[i])
			if havePrev {
				c.line(px, py, x, y, col)
			}
			c.rect(x-2, y-2, x+3, y+3, col)
			px, py, havePrev = x, y, true
		}
		if len(series) > 1 {
			c.legend(k, s.Name, col)
		}
	}
	return c.save(path)
}

// BarGroup is one group of bars (e.g. one video) with one value per series.
type BarGroup struct {
	Name   string
	Values []float64
}

// barChart writes a PNG bar chart: one group per entry, one coloured bar
// per series in each, and a dashed reference line per group at refs[i]
// (NaN: none), labelled refLabel.
func barChart(path, title, yLabel string, seriesNames []string, groups []BarGroup, refs []float64, refLabel string) error {
	top := 0.0
	for i, g := range groups {
		if len(g.Values) != len(seriesNames) {
			return fmt.Errorf("plot %s: group %q has %d values for %d series", path, g.Name, len(g.Values), len(seriesNames))
		}
		for _, v := range g.Values {
			top = math.Max(top, v)
		}
		if i < len(refs) && !math.IsNaN(refs[i]) {
			top = math.Max(top, refs[i])
		}
	}
	c := newCanvas(title, "", yLabel, 0, 1, 0, niceCeil(top*1.1))
	c.yAxis()
	groupW := float64(plotW-marginL-marginR) / float64(max(len(groups), 1))
	barW := int(groupW * 0.7 / float64(max(len(seriesNames), 1)))
	for i, g := range groups {
		gx := marginL + int(groupW*float64(i)+groupW*0.15)
		refY := -100
		if i < len(refs) && !math.IsNaN(refs[i]) {
			_, refY = c.px(0, refs[i])
		}
		for k, v := range g.Values {
			_, y := c.px(0, v)
			x := gx + k*barW
			c.rect(x+2, y, x+barW-2, plotH-margB, colSeries[k%len(colSeries)])
			s := strconv.FormatFloat(v, 'f', 2, 64)
			ly := y - 4
			if ly > refY-4 && ly < refY+14 { // keep the value clear of the reference line
				ly = refY - 4
			}
			c.text(x+barW/2-len(s)*7/2, ly, s, colAxis)
		}
		c.text(gx+int(groupW*0.35)-len(g.Name)*7/2, plotH-margB+18, g.Name, colAxis)
		if refY >= 0 {
			c.hline(gx-4, gx+len(g.Values)*barW+4, refY, colRef, true)
		}
	}
	for k, name := range seriesNames {
		c.legend(k, name, colSeries[k%len(colSeries)])
	}
	if refLabel != "" {
		_, y := c.legendAt(len(seriesNames))
		c.hline(plotW-marginR-230, plotW-marginR-218, y-4, colRef, false)
		c.text(plotW-marginR-210, y, refLabel, colRef)
	}
	return c.save(path)
}

// ticks returns about n round values (1, 2 or 5 × 10^k apart) from lo to hi.
func ticks(lo, hi float64, n int) []float64 {
	if hi <= lo || n < 1 {
		return []float64{lo}
	}
	step := niceStep((hi - lo) / float64(n))
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// niceStep rounds d up to 1, 2 or 5 × 10^k.
func niceStep(d float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(d)))
	for _, m := range []float64{1, 2, 5, 10} {
		if d <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// niceCeil rounds v up to a multiple of a nice step of v/10 (1 when v ≤ 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	s := niceStep(v / 10)
	return math.Ceil(v/s) * s
}

func tickLabel(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
