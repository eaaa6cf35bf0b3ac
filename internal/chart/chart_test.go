package chart

import (
	"bytes"
	"errors"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path string
		want Format
		err  string
	}{
		{path: "sim.png", want: PNG},
		{path: "docs/SIM.PNG", want: PNG},
		{path: "sim.svg", want: SVG},
		{path: "sim.Svg", want: SVG},
		{path: "sim.jpg", err: "sim.jpg: a chart is written as .png or .svg, not .jpg"},
		{path: "sim", err: "sim: no extension; a chart is written as .png or .svg"},
		{path: "svg", err: "svg: no extension; a chart is written as .png or .svg"},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.path)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("FormatOf(%q) = %v, %v; want error %q", tt.path, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", tt.path, got, err, tt.want)
		}
	}
}

func figure(panels int) Figure {
	fig := Figure{Title: "test", Legend: NewLegend(), Size: Size{WidthPx: 400, HeaderPx: 40, PanelPx: 120, PadYPx: 8}}
	for range panels {
		p := NewPanel("panel")
		p.Add(Bands{Spans: [][2]float64{{0.2, 0.4}}, Color: color.RGBA{R: 255, G: 190, B: 190, A: 255}, MinWidthPx: 2})
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		fig.Panels = append(fig.Panels, p)
	}
	return fig
}

// TestWrite: each format writes what its name says, at the figure's size.
func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := figure(2).Write(&buf, PNG); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 40+2*120 {
		t.Errorf("PNG %dx%d, want 400x280", b.Dx(), b.Dy())
	}
	buf.Reset()
	if err := figure(2).Write(&buf, SVG); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// 400x280 px at 96 DPI are 300x210 pt.
	if !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, `<svg width="300pt" height="210pt"`) ||
		!strings.Contains(out, "fill:#FFBEBE") || !strings.Contains(out, ">panel</text>") || !strings.HasSuffix(out, "</svg>\n") {
		t.Errorf("not the SVG expected:\n%.600s", out)
	}
}

func TestWriteErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		fig  Figure
		f    Format
		want string
	}{
		{"no panels", figure(0), PNG, "no panels to draw"},
		{"too many panels", figure(MaxPanels + 1), PNG, "25 panels, at most 24 fit one chart"},
		{"no format", figure(1), 0, "writing Format(0): not a format charts are written in"},
		{"no size", Figure{Panels: []*plot.Plot{NewPanel("")}}, PNG, "size 0 px wide, header 0 px, panels 0 px: want positive sizes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fig.Write(&bytes.Buffer{}, tt.f); err == nil || err.Error() != tt.want {
				t.Errorf("Write = %v, want %q", err, tt.want)
			}
		})
	}
	for _, f := range []Format{PNG, SVG} {
		if err := figure(1).Write(failingWriter{boom}, f); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "writing "+f.String()+": ") {
			t.Errorf("%v to a failing writer = %v, want it to wrap %v", f, err, boom)
		}
	}
}

// TestLines: VLine and HLine run from the axis to where they are told, in the colour, width and dashes given; Dots
// are filled circles.
func TestLines(t *testing.T) {
	red := color.RGBA{R: 200, A: 255}
	dashes := []vg.Length{vg.Points(2), vg.Points(3)}
	tests := []struct {
		name string
		got  *plotter.Line
		want plotter.XYs
	}{
		{"vertical", VLine(3, 10, red, vg.Points(2), dashes), plotter.XYs{{X: 3, Y: 0}, {X: 3, Y: 10}}},
		{"horizontal", HLine(3, 10, red, vg.Points(2), dashes), plotter.XYs{{X: 0, Y: 3}, {X: 10, Y: 3}}},
	}
	for _, tt := range tests {
		l := tt.got
		if !slices.Equal(l.XYs, tt.want) || l.Color != red || l.Width != vg.Points(2) || !slices.Equal(l.Dashes, dashes) {
			t.Errorf("%s: %v in %v, %v wide, dashes %v; want %v in %v, 2pt wide, dashes %v",
				tt.name, l.XYs, l.Color, l.Width, l.Dashes, tt.want, red, dashes)
		}
	}
	if got := Dots(red, vg.Points(2)); got.Color != red || got.Radius != vg.Points(2) || got.Shape != (draw.CircleGlyph{}) {
		t.Errorf("Dots = %+v, want red circles of radius 2pt", got)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
