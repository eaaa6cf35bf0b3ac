package sim

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/fastscaler/fastscaler/internal/chart"
)

var chartOut = flag.String("chart.out", "", "also write TestWriteChart's charts to files with this prefix, to look at them")

// chartRun is a synthetic policy run: a surge from 100 to 1000 rps at a third of the run, and a fleet that
// catches up after lag seconds (lag < 0: capacity always ahead of the load, so nothing is unserved).
func chartRun(policy string, seconds, lag int) Result {
	r := Result{Summary: Summary{Policy: policy, CostVsOracle: 1 + float64(max(lag, 0))/100}}
	surgeAt := seconds / 3
	for s := range seconds {
		load := 100.0
		if s >= surgeAt {
			load = 1000
		}
		capacity := 1200.0
		if lag >= 0 {
			capacity = 150
			if s >= surgeAt+lag {
				capacity = 1100
			}
		}
		unserved := max(load-capacity, 0)
		if unserved > 0 {
			r.Summary.SecondsWith503++
			r.Summary.Unserved += unserved
		}
		r.Summary.Requests += load
		r.Points = append(r.Points, Point{Load: load, Capacity: capacity, Unserved: unserved})
	}
	r.Summary.UnservedPct = 100 * r.Summary.Unserved / r.Summary.Requests
	return r
}

func TestWriteChart(t *testing.T) {
	day := chartRun("one bad second", 86400, -1)
	day.Points[50000].Unserved = 1
	tests := []struct {
		name    string
		start   time.Time
		results []Result
	}{
		{
			name:    "minutes",
			results: []Result{chartRun("oracle", 1800, -1), chartRun("fastscaler", 1800, 60), chartRun("aws", 1800, 400)},
		},
		{
			name:    "clock",
			start:   time.Date(2026, 11, 22, 20, 7, 0, 0, time.UTC),
			results: []Result{chartRun("fastscaler", 7200, 30), chartRun("static", 7200, -1)},
		},
		{name: "lone 503 second in a day", results: []Result{day}},
		{name: "one second of nothing", results: []Result{{Points: []Point{{}}}}},
		{
			name:    "runs of different lengths, one shorter",
			results: []Result{chartRun("long", 600, 20), chartRun("short", 300, -1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tr := Trace{Name: tt.name, Start: tt.start}
			if err := WriteChart(&buf, chart.PNG, "chart test: "+tt.name, tr, tt.results); err != nil {
				t.Fatalf("WriteChart: %v", err)
			}
			if *chartOut != "" {
				if err := os.WriteFile(*chartOut+strings.ReplaceAll(tt.name, " ", "-")+".png", buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("decoding the PNG: %v", err)
			}
			wantH := chartSize.HeaderPx + chartSize.PanelPx*len(tt.results)
			if got := img.Bounds().Size(); got != (image.Point{X: chartSize.WidthPx, Y: wantH}) {
				t.Errorf("size = %v, want %dx%d", got, chartSize.WidthPx, wantH)
			}
			for i, r := range tt.results {
				// The middle of the panel: clear of titles and tick labels, which are not red anyway.
				top := chartSize.HeaderPx + i*chartSize.PanelPx
				red := reddishPixels(img, image.Rect(0, top+80, chartSize.WidthPx, top+chartSize.PanelPx-80))
				hasUnserved := false
				for _, pt := range r.Points {
					hasUnserved = hasUnserved || pt.Unserved > 0
				}
				if (red > 0) != hasUnserved {
					t.Errorf("panel %d (%s): %d reddish pixels, want some only if it has unserved seconds (%v)",
						i, r.Summary.Policy, red, hasUnserved)
				}
			}
		})
	}
}

// reddishPixels counts pixels of the shading's light red (or lines drawn over it), which no other ink is.
func reddishPixels(img image.Image, in image.Rectangle) int {
	n := 0
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			if r >= 230 && g <= 225 && b <= 225 && r-g >= 30 && r-b >= 30 {
				n++
			}
		}
	}
	return n
}

func TestWriteChartErrors(t *testing.T) {
	nan := chartRun("nan", 10, 2)
	nan.Points[7].Capacity = math.NaN()
	tests := []struct {
		name    string
		results []Result
		want    string
	}{
		{"no results", nil, "drawing chart: no results to draw"},
		{"no points", []Result{chartRun("a", 10, 2), {Summary: Summary{Policy: "empty"}}}, "drawing chart: result 1 (empty) has no points"},
		{"unnamed, no points", []Result{{}}, "drawing chart: result 0 (policy 1) has no points"},
		{"NaN", []Result{nan}, "drawing chart: result 0 (nan), second 7: load 1000, capacity NaN, unserved 0: not all finite"},
		{"too many", make([]Result, chart.MaxPanels+1), "drawing chart: 25 results, at most 24 fit one chart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteChart(io.Discard, chart.PNG, "t", Trace{}, tt.results)
			if err == nil || err.Error() != tt.want {
				t.Errorf("WriteChart error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriteChartWriteError(t *testing.T) {
	err := WriteChart(failingWriter{io.ErrClosedPipe}, chart.PNG, "t", Trace{}, []Result{chartRun("a", 60, 5)})
	if err == nil || !strings.HasPrefix(err.Error(), "drawing chart: writing PNG: ") {
		t.Errorf("WriteChart error = %v, want a PNG writing error", err)
	}
}

func TestChartDownsample(t *testing.T) {
	pts := []Point{{Load: 1, Capacity: 9}, {Load: 5, Capacity: 7}, {Load: 2, Capacity: 3}, {Load: 4, Capacity: 8}, {Load: 3, Capacity: 6}}
	load, capacity := chartDownsample(pts, 2)
	wantLoad := plotter.XYs{{X: 0, Y: 5}, {X: 2.0 / 60, Y: 4}, {X: 4.0 / 60, Y: 3}}
	wantCap := plotter.XYs{{X: 0, Y: 7}, {X: 2.0 / 60, Y: 3}, {X: 4.0 / 60, Y: 6}}
	if diff := cmp.Diff(wantLoad, load); diff != "" {
		t.Errorf("load (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCap, capacity); diff != "" {
		t.Errorf("capacity (-want +got):\n%s", diff)
	}
}

func TestChartSpans(t *testing.T) {
	u := func(vals ...float64) []Point {
		pts := make([]Point, len(vals))
		for i, v := range vals {
			pts[i].Unserved = v
		}
		return pts
	}
	m := func(s float64) float64 { return s / 60 }
	tests := []struct {
		name   string
		pts    []Point
		bucket int
		want   [][2]float64
	}{
		{"none", u(0, 0, 0), 1, nil},
		{"runs kept apart at 1 s resolution", u(1, 1, 0, 2, 0, 0, 3), 1, [][2]float64{{0, m(2)}, {m(3), m(4)}, {m(6), m(7)}}},
		{"gaps under a bucket merged", u(1, 1, 0, 2, 0, 0, 3), 2, [][2]float64{{0, m(4)}, {m(6), m(7)}}},
		{"everything merged", u(0, 1, 0, 1, 0, 1), 3, [][2]float64{{m(1), m(6)}}},
		{"to the end", u(0, 0, 5, 5), 1, [][2]float64{{m(2), m(4)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, chartSpans(tt.pts, tt.bucket, func(pt Point) bool { return pt.Unserved > 0 })); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChartTimeTicker(t *testing.T) {
	tests := []struct {
		name   string
		start  time.Time
		lo, hi float64
		// want: a tick at first, then one every step minutes, labelled so
		first, step float64
		labels      []string
	}{
		{
			name: "minutes from start",
			lo:   0, hi: 60,
			first: 0, step: 5,
			labels: []string{"0", "5", "10", "15", "20", "25", "30", "35", "40", "45", "50", "55", "60"},
		},
		{
			// Ticks on the clock's quarter hours, not on quarters since 20:07.
			name:  "clock",
			start: time.Date(2026, 11, 22, 20, 7, 0, 0, time.UTC),
			lo:    0, hi: 150,
			first: 8, step: 15,
			labels: []string{"20:15", "20:30", "20:45", "21:00", "21:15", "21:30", "21:45", "22:00", "22:15", "22:30"},
		},
		{
			name:  "clock across days, by the hour",
			start: time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC),
			lo:    0, hi: 2 * 1440,
			first: 240, step: 360,
			labels: []string{"Nov 23 00:00", "Nov 23 06:00", "Nov 23 12:00", "Nov 23 18:00",
				"Nov 24 00:00", "Nov 24 06:00", "Nov 24 12:00", "Nov 24 18:00"},
		},
		{
			name:  "clock across days, by the day",
			start: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC),
			lo:    0, hi: 10 * 1440,
			first: 240, step: 1440,
			labels: []string{"Nov 28", "Nov 29", "Nov 30", "Dec 1", "Dec 2", "Dec 3", "Dec 4", "Dec 5", "Dec 6", "Dec 7"},
		},
		{
			name:  "seconds",
			start: time.Date(2026, 11, 22, 20, 0, 10, 0, time.UTC),
			lo:    0, hi: 1,
			first: 0.25 - 10.0/60, step: 0.25,
			labels: []string{"20:00:15", "20:00:30", "20:00:45", "20:01:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := make([]plot.Tick, len(tt.labels))
			for i, label := range tt.labels {
				want[i] = plot.Tick{Value: tt.first + float64(i)*tt.step, Label: label}
			}
			got := chartTimeTicker{start: tt.start}.Ticks(tt.lo, tt.hi)
			approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })
			if diff := cmp.Diff(want, got, approx); diff != "" {
				t.Errorf("Ticks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChartSummary(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{UnservedPct: 0.4213, CostVsOracle: 1.1249}, "0.42% unserved, 1.12x oracle cost"},
		{Summary{UnservedPct: 0, CostVsOracle: 1}, "0% unserved, 1.00x oracle cost"},
		{Summary{UnservedPct: 0.004, CostVsOracle: 2}, "<0.01% unserved, 2.00x oracle cost"},
		{Summary{UnservedPct: 12.5, TaskMinutes: 1234.4}, "12.50% unserved, 1234 task-minutes"},
	}
	for _, tt := range tests {
		if got := chartSummary(tt.s); got != tt.want {
			t.Errorf("chartSummary(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func BenchmarkWriteChart24h(b *testing.B) {
	const day = 86400
	results := []Result{
		chartRun("fastscaler", day, 40), chartRun("target-tracking", day, 600), chartRun("step-scaling", day, 300),
		chartRun("pahud", day, 120), chartRun("static", day, -1), chartRun("oracle", day, 0),
	}
	// A flapping run: the worst case for the shading, one 503 second in every three.
	for s := range results[2].Points {
		if s%3 == 0 {
			results[2].Points[s].Unserved = 1
		}
	}
	tr := Trace{Name: "24h", Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteChart(io.Discard, chart.PNG, "24 hours", tr, results); err != nil {
			b.Fatal(err)
		}
	}
}

// TestChartPerPanelScale: each panel is scaled to its own load and capacity, so a policy that overshoots stays in
// its panel; capacity beyond chartCapacityLimit × the peak load is clipped, and the panel says so.
func TestChartPerPanelScale(t *testing.T) {
	withCapacity := func(name string, capacity float64) Result {
		r := chartRun(name, 600, -1)
		for i := range r.Points {
			r.Points[i].Capacity = capacity
		}
		return r
	}
	results := []Result{withCapacity("tight", 1100), withCapacity("twice", 2000), withCapacity("far above", 10_000)}
	fig, err := chartFigure("t", Trace{}, results)
	if err != nil {
		t.Fatal(err)
	}
	// The peak load is 1000 rps; tops are 5% above what the panel shows.
	for i, want := range []float64{1100 * 1.05, 2000 * 1.05, chartCapacityLimit * 1000 * 1.05} {
		p := fig.Panels[i]
		if math.Abs(p.Y.Max-want) > 1e-9 || p.Y.Min != 0 {
			t.Errorf("panel %d (%s): y from %v to %v, want 0 to %v", i, results[i].Summary.Policy, p.Y.Min, p.Y.Max, want)
		}
		for s, pt := range results[i].Points {
			if pt.Load > p.Y.Max || (i < 2 && pt.Capacity > p.Y.Max) {
				t.Fatalf("panel %d, second %d: %+v outside the panel's 0–%v", i, s, pt, p.Y.Max)
			}
		}
		clipped := strings.Contains(p.Title.Text, "capacity above the scale up to 10,000 rps")
		if clipped != (i == 2) {
			t.Errorf("panel %d title %q: want the clipped capacity named only on the far-above panel", i, p.Title.Text)
		}
	}
}

// TestWriteChartSVG: an SVG chart is well-formed SVG with every panel's title, the 503 and floor shading.
func TestWriteChartSVG(t *testing.T) {
	tr := Trace{Name: "svg", Floors: []Floor{{Service: "api", Count: 4, From: time.Minute, Until: 3 * time.Minute}}}
	var buf bytes.Buffer
	if err := WriteChart(&buf, chart.SVG, "svg test", tr, []Result{chartRun("fastscaler", 600, 60), chartRun("static", 600, -1)}); err != nil {
		t.Fatal(err)
	}
	if *chartOut != "" {
		if err := os.WriteFile(*chartOut+"svg.svg", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	if doc.XMLName.Local != "svg" || !strings.HasSuffix(out, "</svg>\n") {
		t.Errorf("root element %q, want svg, and nothing after it", doc.XMLName.Local)
	}
	for _, want := range []string{"svg test", "fastscaler: ", "static: ", "fill:#FFBEBE", "fill:#FFF0C4", "pre-scale floor"} {
		if !strings.Contains(out, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if bytes.HasPrefix(buf.Bytes(), []byte("\x89PNG")) {
		t.Error("SVG chart holds PNG bytes")
	}
}

// TestWriteChartMarks: floors are shaded, surge starts and restarts are marked and in the legend,
// whose extra entries make the header taller.
func TestWriteChartMarks(t *testing.T) {
	rps := make([]float64, 1200)
	for s := range rps {
		rps[s] = 100
		if s >= 600 {
			rps[s] = 300
		}
	}
	tr := Trace{Name: "marks", RPS: rps, Floors: []Floor{{Service: "api", Count: 4, From: 2 * time.Minute, Until: 4 * time.Minute}}}
	fs := chartRun("fastscaler", 1200, 30)
	fs.Restarts = []time.Duration{15 * time.Minute}
	results := []Result{fs, chartRun("static", 1200, -1)}

	var svg bytes.Buffer
	if err := WriteChart(&svg, chart.SVG, "marks", tr, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"surge start", "daemon restart", "pre-scale floor", "stroke:#787878", "stroke:#9467BD"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}

	var buf bytes.Buffer
	if err := WriteChart(&buf, chart.PNG, "marks", tr, results); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	header := chartSize.HeaderPx + 3*chartEntryPx // three entries more than the header holds: floor, surge, restart
	if got := img.Bounds().Dy(); got != header+2*chartSize.PanelPx {
		t.Errorf("height %d, want %d: a header for 6 legend entries and 2 panels", got, header+2*chartSize.PanelPx)
	}
	// Without floors, no floor shading.
	tr.Floors = nil
	svg.Reset()
	if err := WriteChart(&svg, chart.SVG, "marks", tr, results); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(svg.String(), "fill:#FFF0C4") || strings.Contains(svg.String(), "pre-scale floor") {
		t.Error("floor shading without a floor")
	}
}

func TestChartRateTicks(t *testing.T) {
	var labels []string
	for _, tk := range (chartRateTicks{}).Ticks(0, 12_600) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0 4,000 8,000 12,000" {
		t.Errorf("labels %q, want whole numbers with thousands separators", got)
	}
}
