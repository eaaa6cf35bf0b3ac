package sim

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart geometry, in pixels at chartDPI.
const (
	chartDPI      = 96
	chartWidthPx  = 1600
	chartPanelPx  = 300 // per policy
	chartHeaderPx = 72  // title and the one legend
	// chartMaxPoints bounds each line: a 1600 px wide panel cannot show more, and gonum's cost is per point.
	chartMaxPoints = 2000
	// chartMaxPanels keeps the image (4 bytes a pixel) under 200 MB whatever the caller passes.
	chartMaxPanels = 24
)

// Chart colours: the shading is the only reddish ink, which the tests rely on to find it.
var (
	chartLoadColor     = color.RGBA{R: 31, G: 119, B: 180, A: 255}  // blue
	chartCapacityColor = color.RGBA{R: 30, G: 130, B: 30, A: 255}   // green
	chartUnservedColor = color.RGBA{R: 255, G: 190, B: 190, A: 255} // light red
)

// WriteChart draws a PNG with one panel per policy: load, ready capacity and the seconds with 503s shaded.
func WriteChart(w io.Writer, title string, tr Trace, results []Result) error {
	if len(results) == 0 {
		return errors.New("drawing chart: no results to draw")
	}
	if len(results) > chartMaxPanels {
		return fmt.Errorf("drawing chart: %d results, at most %d fit one chart", len(results), chartMaxPanels)
	}
	seconds := 0
	for i, r := range results {
		if len(r.Points) == 0 {
			return fmt.Errorf("drawing chart: result %d (%s) has no points", i, chartPolicyName(i, r))
		}
		for s, pt := range r.Points {
			if !chartFinite(pt.Load) || !chartFinite(pt.Capacity) || !chartFinite(pt.Unserved) {
				return fmt.Errorf("drawing chart: result %d (%s), second %d: load %v, capacity %v, unserved %v: not all finite",
					i, chartPolicyName(i, r), s, pt.Load, pt.Capacity, pt.Unserved)
			}
		}
		seconds = max(seconds, len(r.Points))
	}
	if title == "" {
		title = tr.Name
	}

	// One x per chartMaxPoints-th of the longest run, the same for every panel so they line up.
	bucket := (seconds + chartMaxPoints - 1) / chartMaxPoints
	xMax := float64(seconds-1) / 60
	if xMax <= 0 {
		xMax = 1.0 / 60 // a one-second run still needs an axis with some width
	}
	yMax := chartYMax(results)
	ticker := chartTimeTicker{start: tr.Start}

	plots := make([][]*plot.Plot, len(results))
	var legend plot.Legend
	for i, r := range results {
		p, load, capacity, shade, err := chartPanel(i, r, bucket)
		if err != nil {
			return err
		}
		p.X.Min, p.X.Max = 0, xMax
		p.X.Tick.Marker = ticker
		p.Y.Min, p.Y.Max = 0, yMax
		p.Y.Label.Text = "requests/s"
		if i == len(results)-1 {
			p.X.Label.Text = ticker.label()
		}
		plots[i] = []*plot.Plot{p}
		if i == 0 {
			legend = chartLegend(load, capacity, shade)
		}
	}

	img := vgimg.NewWith(
		vgimg.UseWH(chartPx(chartWidthPx), chartPx(chartHeaderPx+chartPanelPx*len(results))),
		vgimg.UseDPI(chartDPI),
	)
	dc := draw.New(img)
	header := draw.Crop(dc, chartPx(12), -chartPx(12), chartPx(chartPanelPx*len(results)), -chartPx(6))
	body := draw.Crop(dc, 0, 0, 0, -chartPx(chartHeaderPx))
	chartDrawHeader(header, title, legend)
	tiles := draw.Tiles{
		Rows: len(results), Cols: 1,
		PadLeft: chartPx(8), PadRight: chartPx(16), PadY: chartPx(8), PadBottom: chartPx(4),
	}
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}

	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("drawing chart: writing PNG: %w", err)
	}
	return nil
}

// chartPanel builds one policy's panel: shading first so the lines stay visible on top of it.
func chartPanel(i int, r Result, bucket int) (*plot.Plot, *plotter.Line, *plotter.Line, chartShading, error) {
	load, capacity := chartDownsample(r.Points, bucket)
	loadLine, err := plotter.NewLine(load)
	if err != nil {
		return nil, nil, nil, chartShading{}, fmt.Errorf("drawing chart: result %d (%s): load line: %w", i, chartPolicyName(i, r), err)
	}
	loadLine.Color = chartLoadColor
	loadLine.Width = vg.Points(1.5)
	capLine, err := plotter.NewLine(capacity)
	if err != nil {
		return nil, nil, nil, chartShading{}, fmt.Errorf("drawing chart: result %d (%s): capacity line: %w", i, chartPolicyName(i, r), err)
	}
	capLine.Color = chartCapacityColor
	capLine.Width = vg.Points(1.5)
	shade := chartShading{spans: chartUnservedSpans(r.Points, bucket), color: chartUnservedColor}

	p := plot.New()
	p.Title.Text = chartPolicyName(i, r) + ": " + chartSummary(r.Summary)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = chartPx(4)
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(shade, loadLine, capLine)
	return p, loadLine, capLine, shade, nil
}

// chartYMax is the y range shared by every panel, so their heights compare. Capacity counts only up to
// twice the peak load: a static fleet sized far above the load would otherwise flatten every curve.
func chartYMax(results []Result) float64 {
	var peakLoad, peakCap float64
	for _, r := range results {
		for _, pt := range r.Points {
			peakLoad = max(peakLoad, pt.Load)
			peakCap = max(peakCap, pt.Capacity)
		}
	}
	top := max(peakLoad, min(peakCap, 2*peakLoad))
	if top <= 0 {
		top = max(peakCap, 1)
	}
	return top * 1.05
}

// chartDownsample returns the load and capacity lines at one point per bucket of seconds: the bucket's highest
// load and lowest capacity, so a short peak or a short dip in capacity still shows.
func chartDownsample(pts []Point, bucket int) (load, capacity plotter.XYs) {
	n := (len(pts) + bucket - 1) / bucket
	load = make(plotter.XYs, n)
	capacity = make(plotter.XYs, n)
	for j := range n {
		from, to := j*bucket, min((j+1)*bucket, len(pts))
		hi, lo := pts[from].Load, pts[from].Capacity
		for _, pt := range pts[from+1 : to] {
			hi = max(hi, pt.Load)
			lo = min(lo, pt.Capacity)
		}
		x := float64(from) / 60
		load[j] = plotter.XY{X: x, Y: hi}
		capacity[j] = plotter.XY{X: x, Y: lo}
	}
	return load, capacity
}

// chartUnservedSpans returns the runs of seconds with Unserved > 0, in minutes [from, to). Runs less than a
// bucket apart are merged: the chart cannot tell them apart, and a flapping day would otherwise draw tens of
// thousands of bands.
func chartUnservedSpans(pts []Point, bucket int) [][2]float64 {
	var runs [][2]int
	for s := 0; s < len(pts); s++ {
		if pts[s].Unserved <= 0 {
			continue
		}
		end := s + 1
		for end < len(pts) && pts[end].Unserved > 0 {
			end++
		}
		if k := len(runs) - 1; k >= 0 && s-runs[k][1] < bucket {
			runs[k][1] = end
		} else {
			runs = append(runs, [2]int{s, end})
		}
		s = end
	}
	if len(runs) == 0 {
		return nil
	}
	spans := make([][2]float64, len(runs))
	for i, r := range runs {
		spans[i] = [2]float64{float64(r[0]) / 60, float64(r[1]) / 60}
	}
	return spans
}

// chartShading is a plot.Plotter filling full-height vertical bands, one per span of x.
type chartShading struct {
	spans [][2]float64
	color color.Color
}

// Plot fills the bands in one path, each at least two pixels wide so a lone second of 503s on a day-long
// axis still shows.
func (s chartShading) Plot(c draw.Canvas, p *plot.Plot) {
	if len(s.spans) == 0 {
		return
	}
	trX, _ := p.Transforms(&c)
	minWidth := chartPx(2)
	var path vg.Path
	for _, sp := range s.spans {
		x0, x1 := max(trX(sp[0]), c.Min.X), min(trX(sp[1]), c.Max.X)
		if x1-x0 < minWidth {
			x1 = min(x0+minWidth, c.Max.X)
			x0 = x1 - minWidth
		}
		path.Move(vg.Point{X: x0, Y: c.Min.Y})
		path.Line(vg.Point{X: x1, Y: c.Min.Y})
		path.Line(vg.Point{X: x1, Y: c.Max.Y})
		path.Line(vg.Point{X: x0, Y: c.Max.Y})
		path.Close()
	}
	c.SetColor(s.color)
	c.Fill(path)
}

// Thumbnail draws the legend's swatch for the shading.
func (s chartShading) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}

// chartLegend is the chart's one legend, drawn in the header rather than repeated over every panel's data.
func chartLegend(load, capacity *plotter.Line, shade chartShading) plot.Legend {
	l := plot.NewLegend()
	l.Top = true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(2)
	l.Add("offered load", load)
	l.Add("ready capacity (end to end)", capacity)
	l.Add("seconds with 503s", shade)
	return l
}

// chartDrawHeader writes the title on the left of the header and the legend on its right.
func chartDrawHeader(c draw.Canvas, title string, legend plot.Legend) {
	sty := text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 16),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
	c.FillText(sty, vg.Point{X: c.Min.X, Y: c.Max.Y}, title)
	legend.Draw(c)
}

// chartTimeTicker labels the x axis, in minutes from the start, with clock times when the trace has a start time
// (in that time's zone; across a DST change the labels follow the clock).
type chartTimeTicker struct{ start time.Time }

// chartTickSteps are the candidate spacings between labels, in minutes: round clock intervals.
var chartTickSteps = []float64{0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 43200}

// chartMaxTicks keeps labels like "Nov 22 20:00" from overlapping on a 1600 px axis.
const chartMaxTicks = 12

// Ticks returns labelled ticks on round minutes or round clock times.
func (t chartTimeTicker) Ticks(lo, hi float64) []plot.Tick {
	step := chartTickSteps[len(chartTickSteps)-1]
	for _, s := range chartTickSteps {
		if (hi-lo)/s <= chartMaxTicks {
			step = s
			break
		}
	}
	// Clock ticks fall on multiples of the step since the start's midnight, not since the start.
	var phase float64
	if !t.start.IsZero() {
		h, m, s := t.start.Clock()
		phase = float64(h*60+m) + (float64(s)+float64(t.start.Nanosecond())/1e9)/60
	}
	var ticks []plot.Tick
	for k := math.Ceil((lo + phase) / step); k*step-phase <= hi; k++ {
		v := k*step - phase
		ticks = append(ticks, plot.Tick{Value: v, Label: t.format(v, step, hi-lo)})
	}
	return ticks
}

// format labels a tick at v minutes: the minutes themselves, or the clock time precise enough for the step.
func (t chartTimeTicker) format(v, step, span float64) string {
	if t.start.IsZero() {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	at := t.start.Add(time.Duration(math.Round(v * 60 * 1e9)))
	switch {
	case step >= 1440:
		return at.Format("Jan 2")
	case span > 1440:
		return at.Format("Jan 2 15:04")
	case step < 1:
		return at.Format("15:04:05")
	}
	return at.Format("15:04")
}

// label names the x axis.
func (t chartTimeTicker) label() string {
	if t.start.IsZero() {
		return "minutes from start"
	}
	return "time (" + t.start.Format("2006-01-02 MST") + ")"
}

// chartSummary is a panel's short summary: "0.42% unserved, 1.12x oracle cost".
func chartSummary(s Summary) string {
	var unserved string
	switch {
	case s.UnservedPct <= 0:
		unserved = "0%"
	case s.UnservedPct < 0.01:
		unserved = "<0.01%"
	default:
		unserved = strconv.FormatFloat(s.UnservedPct, 'f', 2, 64) + "%"
	}
	if s.CostVsOracle > 0 {
		return fmt.Sprintf("%s unserved, %.2fx oracle cost", unserved, s.CostVsOracle)
	}
	return fmt.Sprintf("%s unserved, %.0f task-minutes", unserved, s.TaskMinutes)
}

// chartPolicyName names a result in a title or an error, even when the engine left Policy empty.
func chartPolicyName(i int, r Result) string {
	if r.Summary.Policy != "" {
		return r.Summary.Policy
	}
	return "policy " + strconv.Itoa(i+1)
}

// chartPx converts pixels to gonum's lengths (points) at the chart's DPI.
func chartPx(n int) vg.Length { return vg.Length(n) * vg.Inch / chartDPI }

func chartFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
