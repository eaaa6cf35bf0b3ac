package calibrate

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/fastscaler/fastscaler/internal/chart"
)

const (
	// chartMaxPoints bounds each scatter: gonum's cost is per glyph, and beyond a few thousand they only overlap.
	chartMaxPoints = 4000
	// chartYQuantile caps the y axis so a few pathological minutes do not flatten the curve; points above are
	// drawn on the top edge.
	chartYQuantile = 0.995
)

// chartSize is the chart's geometry: a panel per service, under a header for the title and the one legend (up to 8
// entries).
var chartSize = chart.Size{WidthPx: 1200, HeaderPx: 120, PanelPx: 420, PadYPx: 12}

// Chart colours: the spread's shading is the only reddish fill, which the tests rely on to find it.
var (
	chartPointColor    = color.NRGBA{R: 31, G: 119, B: 180, A: 80}  // translucent blue: density shows
	chartMedianColor   = color.RGBA{R: 0, G: 0, B: 0, A: 255}       // black
	chartFitColor      = color.RGBA{R: 148, G: 103, B: 189, A: 255} // purple
	chartKneeColor     = color.RGBA{R: 200, G: 30, B: 30, A: 255}   // red
	chartSpreadColor   = color.RGBA{R: 255, G: 200, B: 200, A: 255} // light red
	chartCapacityColor = color.RGBA{R: 30, G: 130, B: 30, A: 255}   // green
	chartLimitColor    = color.RGBA{R: 150, G: 150, B: 150, A: 255} // grey
)

// WriteChart draws a chart in format f with one panel per history: per-task load against the signal each recommendation used
// (latency, 5xx % or CPU %), the bin medians, the fit, the knee with its spread shaded and the recommended
// capacity dashed. recs are matched to hs by service; a history without one (Estimate refused it) gets a panel
// with its data alone, which shows why.
func WriteChart(w io.Writer, f chart.Format, recs []Recommendation, hs []History) error {
	if len(hs) == 0 {
		return errors.New("drawing chart: no histories to draw")
	}
	if len(hs) > chart.MaxPanels {
		return fmt.Errorf("drawing chart: %d histories, at most %d fit one chart", len(hs), chart.MaxPanels)
	}
	byService := map[string]*Recommendation{}
	for i := range recs {
		r := &recs[i]
		if _, dup := byService[r.Service]; dup {
			return fmt.Errorf("drawing chart: two recommendations for %s", serviceName(r.Service))
		}
		byService[r.Service] = r
	}
	seen := map[string]bool{}
	for _, h := range hs {
		if seen[h.Service] {
			return fmt.Errorf("drawing chart: two histories for %s", serviceName(h.Service))
		}
		seen[h.Service] = true
	}
	for _, r := range recs {
		if !seen[r.Service] {
			return fmt.Errorf("drawing chart: recommendation for %s has no history", serviceName(r.Service))
		}
	}

	fig := chart.Figure{Title: "fastscaler calibrate: per-task load vs the signal that degrades", Size: chartSize}
	var legendParts chartParts
	for i, h := range hs {
		p, parts, err := chartPanel(h, byService[h.Service])
		if err != nil {
			return fmt.Errorf("drawing chart: %s: %w", serviceName(h.Service), err)
		}
		fig.Panels = append(fig.Panels, p)
		// The legend names the first complete panel's parts: one with a recommendation, else the first.
		if i == 0 || (legendParts.knee == nil && parts.knee != nil) {
			legendParts = parts
		}
	}
	fig.Legend = chartLegend(legendParts)
	if err := fig.Write(w, f); err != nil {
		return fmt.Errorf("drawing chart: %w", err)
	}
	return nil
}

// chartParts are a panel's plotters that the legend shows.
type chartParts struct {
	points    *plotter.Scatter
	medians   *plotter.Line
	fit       *plotter.Line
	threshold *plotter.Line
	knee      *plotter.Line
	spread    chart.Bands
	capacity  *plotter.Line
}

// chartPanel builds one service's panel.
func chartPanel(h History, rec *Recommendation) (*plot.Plot, chartParts, error) {
	var parts chartParts
	a, err := align(h)
	if err != nil {
		return nil, parts, err
	}
	signal := chartSignal(a, rec)
	pts := chartPoints(a, signal)

	p := chart.NewPanel("")
	p.X.Label.Text = "requests/s per task"
	p.Y.Label.Text = map[string]string{SignalLatency: "latency (ms)", Signal5xx: "5xx (% of requests)", SignalCPU: "CPU (%)"}[signal]
	if len(pts) == 0 {
		p.Title.Text = serviceName(h.Service) + ": no periods with a request rate, a running task and " + signal + " data"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return p, parts, nil
	}

	// Scale: 5xx are drawn in percent, the evidence holds fractions.
	scale := 1.0
	if signal == Signal5xx {
		scale = 100
	}
	var bins []Bin
	if rec != nil {
		bins = rec.Evidence.Bins
	} else {
		bins = chartBins(pts)
		scale = 1 // chartBins works on the drawn values already
	}
	maxX := pts[len(pts)-1].X
	if rec != nil {
		maxX = max(maxX, rec.KneeHigh, rec.CapacityRPS)
	}
	xMax := maxX * 1.05
	yMax := chartYMax(pts, bins, scale, rec)
	// p.Add widens the axes to fit what is added; the ranges are set last, and lines beyond them are clipped.
	defer func() { p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, xMax, 0, yMax }()

	// Spread first, so everything else stays visible on top of it.
	if rec != nil {
		parts.spread = chart.Bands{Spans: [][2]float64{{rec.KneeLow, rec.KneeHigh}}, Color: chartSpreadColor, MinWidthPx: 8}
		p.Add(parts.spread)
	}
	scatter, err := plotter.NewScatter(chartSample(pts, yMax))
	if err != nil {
		return nil, parts, fmt.Errorf("scatter: %w", err)
	}
	scatter.GlyphStyle = chart.Dots(chartPointColor, vg.Points(1.3))
	parts.points = scatter
	p.Add(scatter)

	var med plotter.XYs
	for _, b := range bins {
		if b.Periods > 0 && !math.IsNaN(b.Median) {
			med = append(med, plotter.XY{X: (b.Low + b.High) / 2, Y: min(b.Median*scale, yMax)})
		}
	}
	if len(med) > 0 {
		line, points, err := plotter.NewLinePoints(med)
		if err != nil {
			return nil, parts, fmt.Errorf("bin medians: %w", err)
		}
		line.Color, line.Width = chartMedianColor, vg.Points(1.5)
		points.GlyphStyle = chart.Dots(chartMedianColor, vg.Points(2.5))
		parts.medians = line
		p.Add(line, points)
	}

	if rec == nil {
		p.Title.Text = serviceName(h.Service) + ": no recommendation (see the refusal); " + chartSummary(a, pts)
		return p, parts, nil
	}

	if fitLine, ok := chartFitLine(rec, scale, xMax, yMax); ok {
		parts.fit = fitLine
		p.Add(fitLine)
	}
	if t := rec.Evidence.Threshold * scale; t > 0 && t < yMax {
		parts.threshold = chart.HLine(t, xMax, chartLimitColor, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(3)})
		p.Add(parts.threshold)
	}
	parts.knee = chart.VLine(rec.Knee, yMax, chartKneeColor, vg.Points(2), nil)
	parts.capacity = chart.VLine(rec.CapacityRPS, yMax, chartCapacityColor, vg.Points(2), []vg.Length{vg.Points(6), vg.Points(4)})
	p.Add(parts.knee, parts.capacity)
	p.Title.Text = fmt.Sprintf("%s: capacity %s rps/task (knee %s, 10–90%% %s–%s, from %s); %s",
		serviceName(rec.Service), formatRPS(rec.CapacityRPS), formatRPS(math.Round(rec.Knee)),
		formatRPS(math.Round(rec.KneeLow)), formatRPS(math.Round(rec.KneeHigh)), rec.Signal, chartSummary(a, pts))
	return p, parts, nil
}

// chartSignal is the recommendation's signal, or for a refused service the one Estimate would have tried first.
func chartSignal(a aligned, rec *Recommendation) string {
	if rec != nil && rec.Signal != "" {
		return rec.Signal
	}
	var lat, errs bool
	for _, o := range a.periods {
		lat = lat || o.hasLat
		errs = errs || o.hasErrs
	}
	switch {
	case lat:
		return SignalLatency
	case errs:
		return Signal5xx
	}
	return SignalCPU
}

// chartPoints returns (per-task load, signal) for every period carrying the signal, by ascending load.
func chartPoints(a aligned, signal string) plotter.XYs {
	var pts plotter.XYs
	for _, o := range a.periods {
		switch {
		case signal == SignalLatency && o.hasLat:
			pts = append(pts, plotter.XY{X: o.x, Y: o.lat})
		case signal == Signal5xx && o.hasErrs && o.reqs > 0:
			pts = append(pts, plotter.XY{X: o.x, Y: 100 * min(o.errs/o.reqs, 1)})
		case signal == SignalCPU && o.hasCPU:
			pts = append(pts, plotter.XY{X: o.x, Y: o.cpu})
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	return pts
}

// chartBins computes bin medians of drawn points (ascending x) for a panel without a recommendation.
func chartBins(pts plotter.XYs) []Bin {
	x := make([]float64, len(pts))
	y := make([]float64, len(pts))
	for i, p := range pts {
		x[i], y[i] = p.X, p.Y
	}
	w := ones(len(pts))
	var out []Bin
	for _, r := range makeBins(x, DefaultBins, DefaultMinBinPeriods) {
		med, _ := wMedian(y, byY(y, r.lo, r.hi), w)
		out = append(out, Bin{Low: r.low, High: r.high, Periods: r.hi - r.lo, Median: med})
	}
	return out
}

// chartYMax is the panel's y range: the chartYQuantile of the points, raised to show every bin median, the
// threshold and the fit at the knee.
func chartYMax(pts plotter.XYs, bins []Bin, scale float64, rec *Recommendation) float64 {
	ys := make([]float64, len(pts))
	for i, p := range pts {
		ys[i] = p.Y
	}
	slices.Sort(ys)
	top := quantile(ys, chartYQuantile)
	for _, b := range bins {
		if !math.IsNaN(b.Median) {
			top = max(top, b.Median*scale)
		}
	}
	if rec != nil {
		top = max(top, rec.Evidence.Threshold*scale*1.2)
	}
	if !(top > 0) || math.IsInf(top, 0) {
		top = 1
	}
	return top * 1.1
}

// chartSample returns at most chartMaxPoints of pts (ascending x): every point of the top tenth of the load,
// where the knee is and periods are few, and an even sample of the rest. Points above yMax sit on the top edge.
func chartSample(pts plotter.XYs, yMax float64) plotter.XYs {
	out := make(plotter.XYs, 0, min(len(pts), chartMaxPoints))
	keepTop := min(len(pts), chartMaxPoints/4, max(len(pts)/10, 1))
	rest := len(pts) - keepTop
	stride := 1
	if room := chartMaxPoints - keepTop; rest > room {
		stride = (rest + room - 1) / room
	}
	for i := 0; i < rest; i += stride {
		out = append(out, pts[i])
	}
	out = append(out, pts[rest:]...)
	for i := range out {
		out[i].Y = min(out[i].Y, yMax)
	}
	return out
}

// chartFitLine draws the fitted curve: a straight line for CPU, two segments meeting at the knee otherwise.
func chartFitLine(rec *Recommendation, scale, xMax, yMax float64) (*plotter.Line, bool) {
	f := rec.Evidence.Fit
	if f == (Fit{}) {
		return nil, false
	}
	var xs []float64
	if rec.Signal == SignalCPU {
		xs = []float64{0, xMax}
	} else {
		xs = []float64{0, rec.Knee, xMax}
	}
	var line plotter.XYs
	for _, x := range xs {
		y := f.At(x, rec.Knee) * scale
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, false
		}
		line = append(line, plotter.XY{X: x, Y: min(max(y, 0), yMax*2)}) // the axis range clips what goes above
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return nil, false
	}
	l.Color, l.Width = chartFitColor, vg.Points(1.5)
	return l, true
}

// chartSummary is a panel's evidence in brief: "336 h, 20160 periods, max 313 rps/task".
func chartSummary(a aligned, pts plotter.XYs) string {
	return fmt.Sprintf("%.0f h, %d periods, max %s rps/task", float64(len(pts))*a.period.Hours(), len(pts),
		formatRPS(math.Round(pts[len(pts)-1].X)))
}

// chartLegend is the chart's one legend, drawn in the header; it names what the first panel drew.
func chartLegend(parts chartParts) plot.Legend {
	l := chart.NewLegend()
	if parts.points != nil {
		l.Add("one period", parts.points)
	}
	if parts.medians != nil {
		l.Add("bin median", parts.medians)
	}
	if parts.fit != nil {
		l.Add("fit", parts.fit)
	}
	if parts.threshold != nil {
		l.Add("degraded above", parts.threshold)
	}
	if parts.knee != nil {
		l.Add("knee", parts.knee)
		l.Add("knee 10–90%", parts.spread)
		l.Add("recommended capacity", parts.capacity)
	}
	return l
}
