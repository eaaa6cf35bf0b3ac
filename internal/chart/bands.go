package chart

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bands is a plot.Plotter filling full-height vertical bands over spans of x, in one path (a flapping day can
// have thousands). A band narrower than MinWidthPx is widened about its middle, so a lone second of 503s on a
// day-long axis, or a knee's narrow spread, still shows.
type Bands struct {
	Spans      [][2]float64 // [from, to] in x's units
	Color      color.Color
	MinWidthPx int
}

// Plot fills the bands, clipped to the panel.
func (b Bands) Plot(c draw.Canvas, p *plot.Plot) {
	if len(b.Spans) == 0 || b.Color == nil {
		return
	}
	trX, _ := p.Transforms(&c)
	minWidth := Px(b.MinWidthPx)
	var path vg.Path
	for _, sp := range b.Spans {
		x0, x1 := trX(sp[0]), trX(sp[1])
		if x1-x0 < minWidth {
			mid := (x0 + x1) / 2
			x0, x1 = mid-minWidth/2, mid+minWidth/2
		}
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		if x1 <= x0 {
			continue // wholly outside the panel
		}
		path.Move(vg.Point{X: x0, Y: c.Min.Y})
		path.Line(vg.Point{X: x1, Y: c.Min.Y})
		path.Line(vg.Point{X: x1, Y: c.Max.Y})
		path.Line(vg.Point{X: x0, Y: c.Max.Y})
		path.Close()
	}
	if len(path) == 0 {
		return
	}
	c.SetColor(b.Color)
	c.Fill(path)
}

// Thumbnail draws the legend's swatch for the bands.
func (b Bands) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.Color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}
