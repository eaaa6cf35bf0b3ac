package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution every length in pixels is meant at.
const DPI = 96

// MaxPanels bounds a figure, so that whatever a caller passes the image stays under a few hundred MB.
const MaxPanels = 24

// Format is a file format a figure is written in.
type Format int

// The formats a figure is written in.
const (
	PNG Format = iota + 1
	SVG
)

// String names the format.
func (f Format) String() string {
	switch f {
	case PNG:
		return "PNG"
	case SVG:
		return "SVG"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf returns the format a file name's extension asks for: .png or .svg, in any case.
func FormatOf(path string) (Format, error) {
	switch ext := filepath.Ext(path); strings.ToLower(ext) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	case "":
		return 0, fmt.Errorf("%s: no extension; a chart is written as .png or .svg", path)
	default:
		return 0, fmt.Errorf("%s: a chart is written as .png or .svg, not %s", path, ext)
	}
}

// Size is a figure's geometry, in pixels at DPI.
type Size struct {
	WidthPx  int // the image's width
	HeaderPx int // the header's height, for the title and the legend's entries
	PanelPx  int // each panel's height
	PadYPx   int // the space between two panels
}

// Figure is a chart: a title and a legend in the header, then the panels from top to bottom, their axes aligned.
type Figure struct {
	Title  string
	Legend plot.Legend
	Size
	Panels []*plot.Plot
}

// Write draws the figure in format f to w.
func (fig Figure) Write(w io.Writer, f Format) error {
	if len(fig.Panels) == 0 {
		return errors.New("no panels to draw")
	}
	if len(fig.Panels) > MaxPanels {
		return fmt.Errorf("%d panels, at most %d fit one chart", len(fig.Panels), MaxPanels)
	}
	if fig.WidthPx <= 0 || fig.HeaderPx < 0 || fig.PanelPx <= 0 {
		return fmt.Errorf("size %d px wide, header %d px, panels %d px: want positive sizes", fig.WidthPx, fig.HeaderPx, fig.PanelPx)
	}
	width, height := Px(fig.WidthPx), Px(fig.HeaderPx+fig.PanelPx*len(fig.Panels))
	var c vg.CanvasWriterTo
	switch f {
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI))}
	case SVG:
		svg := vgsvg.NewWith(vgsvg.UseWH(width, height))
		// An SVG is transparent where nothing is drawn; a page in dark mode would show black text on black.
		svg.SetColor(color.White)
		svg.Fill(rect(0, 0, width, height))
		c = svg
	default:
		return fmt.Errorf("writing %v: not a format charts are written in", f)
	}
	fig.draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("writing %v: %w", f, err)
	}
	return nil
}

// draw lays the figure out on dc: the header at the top, the panels in tiles below it.
func (fig Figure) draw(dc draw.Canvas) {
	n := len(fig.Panels)
	header := draw.Crop(dc, Px(12), -Px(12), Px(fig.PanelPx*n), -Px(6))
	body := draw.Crop(dc, 0, 0, 0, -Px(fig.HeaderPx))
	sty := text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 16),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
	header.FillText(sty, vg.Point{X: header.Min.X, Y: header.Max.Y}, fig.Title)
	fig.Legend.Draw(header)

	plots := make([][]*plot.Plot, n)
	for i, p := range fig.Panels {
		plots[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{
		Rows: n, Cols: 1,
		PadLeft: Px(8), PadRight: Px(16), PadY: Px(fig.PadYPx), PadBottom: Px(4),
	}
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
}

// NewPanel returns a panel styled like every other: a small title, axes flush with the data.
func NewPanel(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = Px(4)
	p.X.Padding, p.Y.Padding = 0, 0
	return p
}

// NewLegend returns the header's legend, entries stacked at its top right.
func NewLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top = true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(2)
	return l
}

// Px converts pixels to gonum's lengths (points) at DPI.
func Px(n int) vg.Length { return vg.Length(n) * vg.Inch / DPI }

// rect is the closed path around a rectangle.
func rect(x0, y0, x1, y1 vg.Length) vg.Path {
	var p vg.Path
	p.Move(vg.Point{X: x0, Y: y0})
	p.Line(vg.Point{X: x1, Y: y0})
	p.Line(vg.Point{X: x1, Y: y1})
	p.Line(vg.Point{X: x0, Y: y1})
	p.Close()
	return p
}

// HLine is a horizontal line at y from 0 to right, in the axes' units; dashes, if any, alternate drawn and blank
// lengths.
func HLine(y, right float64, c color.Color, width vg.Length, dashes []vg.Length) *plotter.Line {
	l := &plotter.Line{XYs: plotter.XYs{{X: 0, Y: y}, {X: right, Y: y}}}
	l.Color, l.Width, l.Dashes = c, width, dashes
	return l
}

// Dots is the style of a scatter's or a line's points: filled circles of radius r.
func Dots(c color.Color, r vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: c, Radius: r, Shape: draw.CircleGlyph{}}
}

// VLine is a vertical line at x from 0 to top, in the axes' units; dashes, if any, alternate drawn and blank lengths.
func VLine(x, top float64, c color.Color, width vg.Length, dashes []vg.Length) *plotter.Line {
	l := &plotter.Line{XYs: plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}}}
	l.Color, l.Width, l.Dashes = c, width, dashes
	return l
}
