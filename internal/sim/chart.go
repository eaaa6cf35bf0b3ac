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
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fastscaler/fastscaler/internal/chart"
)

const (
	chartEntryPx = 16 // the header's height for each legend entry beyond the three chartSize.HeaderPx holds
	// chartMaxPoints bounds each line: a 1600 px wide panel cannot show more, and gonum's cost is per point.
	chartMaxPoints = 2000
	// chartCapacityLimit bounds a panel's scale: capacity counts only up to this many times the trace's peak
	// load, so that a fleet sized far above the load does not flatten its panel; above it the capacity line
	// leaves the panel, and the top edge is marked where it does.
	chartCapacityLimit = 2.5
)

// chartSize is the chart's geometry: a panel per policy, under a header for the title and the legend's first three
// entries (chartEntryPx more for each further one).
var chartSize = chart.Size{WidthPx: 1600, HeaderPx: 72, PanelPx: 300, PadYPx: 8}

// Chart colours: the 503 shading is the only reddish ink, which the tests rely on to find it.
var (
	chartLoadColor     = color.RGBA{R: 31, G: 119, B: 180, A: 255}  // blue
	chartCapacityColor = color.RGBA{R: 30, G: 130, B: 30, A: 255}   // green
	chartUnservedColor = color.RGBA{R: 255, G: 190, B: 190, A: 255} // light red
	chartFloorColor    = color.RGBA{R: 255, G: 240, B: 196, A: 255} // light amber
	chartSurgeColor    = color.RGBA{R: 120, G: 120, B: 120, A: 255} // grey
	chartRestartColor  = color.RGBA{R: 148, G: 103, B: 189, A: 255} // purple
)

// WriteChart draws a chart in format f with one panel per policy: load and ready capacity on the panel's own
// scale, the seconds with 503s and the pre-scale floors shaded, the surges' starts and the daemon's restarts marked.
func WriteChart(w io.Writer, f chart.Format, title string, tr Trace, results []Result) error {
	fig, err := chartFigure(title, tr, results)
	if err != nil {
		return err
	}
	if err := fig.Write(w, f); err != nil {
		return fmt.Errorf("drawing chart: %w", err)
	}
	return nil
}

// chartMarks is what every panel shows besides its own run: when the floors held and when surges started, in
// minutes from the trace's start.
type chartMarks struct {
	floors [][2]float64
	surges []float64
}

// chartFigure lays out WriteChart's figure.
func chartFigure(title string, tr Trace, results []Result) (chart.Figure, error) {
	var fig chart.Figure
	if len(results) == 0 {
		return fig, errors.New("drawing chart: no results to draw")
	}
	if len(results) > chart.MaxPanels {
		return fig, fmt.Errorf("drawing chart: %d results, at most %d fit one chart", len(results), chart.MaxPanels)
	}
	seconds := 0
	peakLoad := 0.0
	for i, r := range results {
		if len(r.Points) == 0 {
			return fig, fmt.Errorf("drawing chart: result %d (%s) has no points", i, chartPolicyName(i, r))
		}
		for s, pt := range r.Points {
			if !chartFinite(pt.Load) || !chartFinite(pt.Capacity) || !chartFinite(pt.Unserved) {
				return fig, fmt.Errorf("drawing chart: result %d (%s), second %d: load %v, capacity %v, unserved %v: not all finite",
					i, chartPolicyName(i, r), s, pt.Load, pt.Capacity, pt.Unserved)
			}
			peakLoad = max(peakLoad, pt.Load)
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
	ticker := chartTimeTicker{start: tr.Start}
	var marks chartMarks
	for _, fl := range tr.Floors {
		marks.floors = append(marks.floors, [2]float64{fl.From.Minutes(), fl.Until.Minutes()})
	}
	for _, at := range Surges(tr.RPS) {
		marks.surges = append(marks.surges, at.Minutes())
	}

	var legend chartLegendParts
	for i, r := range results {
		p, parts, err := chartPanel(i, r, bucket, peakLoad, marks)
		if err != nil {
			return fig, err
		}
		p.X.Min, p.X.Max = 0, xMax
		p.X.Tick.Marker = ticker
		if i == len(results)-1 {
			p.X.Label.Text = ticker.label()
		}
		fig.Panels = append(fig.Panels, p)
		legend.merge(parts)
	}
	fig.Title = title
	var entries int
	fig.Legend, entries = legend.legend()
	fig.Size = chartSize
	fig.HeaderPx += chartEntryPx * max(0, entries-3)
	return fig, nil
}

// chartLegendParts are the plotters the legend shows, each the first of its kind drawn in any panel.
type chartLegendParts struct {
	load, capacity, unserved, floors, surge, restart, overshoot plot.Thumbnailer
}

// merge keeps what p has that l lacks.
func (l *chartLegendParts) merge(p chartLegendParts) {
	if l.load == nil {
		l.load, l.capacity, l.unserved = p.load, p.capacity, p.unserved
	}
	if l.floors == nil {
		l.floors = p.floors
	}
	if l.surge == nil {
		l.surge = p.surge
	}
	if l.restart == nil {
		l.restart = p.restart
	}
	if l.overshoot == nil {
		l.overshoot = p.overshoot
	}
}

// legend is the chart's one legend, drawn in the header rather than repeated over every panel's data, and the
// number of its entries.
func (l chartLegendParts) legend() (plot.Legend, int) {
	lg := chart.NewLegend()
	n := 0
	add := func(name string, t plot.Thumbnailer) {
		if t != nil {
			lg.Add(name, t)
			n++
		}
	}
	add("offered load", l.load)
	add("ready capacity (end to end)", l.capacity)
	add("seconds with 503s", l.unserved)
	add("pre-scale floor", l.floors)
	add("surge start", l.surge)
	add("daemon restart", l.restart)
	add("capacity above the panel's scale", l.overshoot)
	return lg, n
}

// chartPanel builds one policy's panel on its own y scale (chartYMax): shading first, then the marks, so that
// the lines stay visible on top of them.
func chartPanel(i int, r Result, bucket int, peakLoad float64, marks chartMarks) (*plot.Plot, chartLegendParts, error) {
	var parts chartLegendParts
	load, capacity := chartDownsample(r.Points, bucket)
	loadLine, err := plotter.NewLine(load)
	if err != nil {
		return nil, parts, fmt.Errorf("drawing chart: result %d (%s): load line: %w", i, chartPolicyName(i, r), err)
	}
	loadLine.Color = chartLoadColor
	loadLine.Width = vg.Points(1.5)
	capLine, err := plotter.NewLine(capacity)
	if err != nil {
		return nil, parts, fmt.Errorf("drawing chart: result %d (%s): capacity line: %w", i, chartPolicyName(i, r), err)
	}
	capLine.Color = chartCapacityColor
	capLine.Width = vg.Points(1.5)
	yMax := chartYMax(r.Points, peakLoad)

	p := chart.NewPanel(chartPolicyName(i, r) + ": " + chartSummary(r.Summary))
	p.Y.Label.Text = "requests/s"
	p.Y.Tick.Marker = chartRateTicks{}
	if len(marks.floors) > 0 {
		floors := chart.Bands{Spans: marks.floors, Color: chartFloorColor, MinWidthPx: 2}
		parts.floors = floors
		p.Add(floors)
	}
	unserved := chart.Bands{Spans: chartSpans(r.Points, bucket, func(pt Point) bool { return pt.Unserved > 0 }),
		Color: chartUnservedColor, MinWidthPx: 2}
	p.Add(unserved)
	for _, at := range marks.surges {
		l := chart.VLine(at, yMax, chartSurgeColor, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(3)})
		if parts.surge == nil {
			parts.surge = l
		}
		p.Add(l)
	}
	for _, at := range r.Restarts {
		l := chart.VLine(at.Minutes(), yMax, chartRestartColor, vg.Points(1.5), []vg.Length{vg.Points(6), vg.Points(3)})
		if parts.restart == nil {
			parts.restart = l
		}
		p.Add(l)
	}
	p.Add(loadLine, capLine)
	if over := chartSpans(r.Points, bucket, func(pt Point) bool { return pt.Capacity > yMax }); len(over) > 0 {
		o := chartOvershoot{spans: over, color: chartCapacityColor}
		parts.overshoot = o
		p.Add(o)
		peak := 0.0
		for _, pt := range r.Points {
			peak = max(peak, pt.Capacity)
		}
		p.Title.Text += "; capacity above the scale up to " + chartRPS(peak) + " rps"
	}
	parts.load, parts.capacity, parts.unserved = loadLine, capLine, unserved
	// p.Add widened the axes to fit the lines; the ranges are set last, and what goes beyond them is clipped.
	p.Y.Min, p.Y.Max = 0, yMax
	return p, parts, nil
}

// chartYMax is a panel's y range: its own peak load and capacity, capacity counting only up to chartCapacityLimit
// times the trace's peak load (peakLoad, over every panel).
func chartYMax(pts []Point, peakLoad float64) float64 {
	var load, capacity float64
	for _, pt := range pts {
		load = max(load, pt.Load)
		capacity = max(capacity, pt.Capacity)
	}
	top := max(load, min(capacity, chartCapacityLimit*peakLoad))
	if top <= 0 {
		top = max(capacity, 1)
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

// chartSpans returns the runs of seconds for which in holds, in minutes [from, to). Runs less than a bucket apart
// are merged: the chart cannot tell them apart, and a flapping day would otherwise draw tens of thousands of bands.
func chartSpans(pts []Point, bucket int, in func(Point) bool) [][2]float64 {
	var runs [][2]int
	for s := 0; s < len(pts); s++ {
		if !in(pts[s]) {
			continue
		}
		end := s + 1
		for end < len(pts) && in(pts[end]) {
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

// chartOvershoot marks, on a panel's top edge, the spans of x where the capacity line is above the panel's scale:
// a thick bar over each, with a triangle at its start.
type chartOvershoot struct {
	spans [][2]float64
	color color.Color
}

// Plot draws the marks.
func (o chartOvershoot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	bar := draw.LineStyle{Color: o.color, Width: chart.Px(4)}
	glyph := draw.GlyphStyle{Color: o.color, Radius: chart.Px(5), Shape: draw.TriangleGlyph{}}
	y := c.Max.Y - chart.Px(2)
	for _, sp := range o.spans {
		x0, x1 := trX(sp[0]), max(trX(sp[1]), trX(sp[0])+chart.Px(2))
		c.StrokeLine2(bar, x0, y, min(x1, c.Max.X), y)
		c.DrawGlyph(glyph, vg.Point{X: x0, Y: y - chart.Px(6)})
	}
}

// Thumbnail draws the legend's swatch: the bar with its triangle.
func (o chartOvershoot) Thumbnail(c *draw.Canvas) {
	y := c.Max.Y - chart.Px(2)
	c.StrokeLine2(draw.LineStyle{Color: o.color, Width: chart.Px(4)}, c.Min.X, y, c.Max.X, y)
	c.DrawGlyph(draw.GlyphStyle{Color: o.color, Radius: chart.Px(4), Shape: draw.TriangleGlyph{}},
		vg.Point{X: c.Min.X + chart.Px(4), Y: y - chart.Px(5)})
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

// chartRateTicks labels the y axis where gonum would, whole numbers without decimals and with thousands
// separators ("7,500", not "7500.00").
type chartRateTicks struct{}

// Ticks returns gonum's default ticks, relabelled.
func (chartRateTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" && t.Value == math.Trunc(t.Value) && math.Abs(t.Value) < 1e15 {
			ticks[i].Label = chartRPS(t.Value)
		}
	}
	return ticks
}

// chartRPS writes a rate rounded, with thousands separators: 12,345.
func chartRPS(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func chartFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
