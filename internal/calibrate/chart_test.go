package calibrate

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/internal/chart"
)

var chartOut = flag.String("chart.out", "", "also write TestWriteChart's chart to this file, to look at it")

// chartHistories returns a service with a latency knee, one with CPU only, and one whose load never reached its
// knee, with the recommendations for the first two.
func chartHistories(t *testing.T) ([]Recommendation, []History) {
	t.Helper()
	var recs []Recommendation
	var hs []History
	for _, mod := range []func(*Synth){
		nil,
		func(s *Synth) { s.Service, s.NoLatency, s.NoErrors, s.Seed = "worker", true, true, 11 },
		func(s *Synth) { s.Service, s.SurgeFactor, s.Seed = "quiet", 1.2, 12 },
	} {
		h, _ := synth(mod).History()
		hs = append(hs, h)
		if h.Service != "quiet" {
			rec, err := Estimate(h, Options{})
			if err != nil {
				t.Fatalf("Estimate %s: %v", h.Service, err)
			}
			recs = append(recs, rec)
		}
	}
	return recs, hs
}

func TestWriteChart(t *testing.T) {
	recs, hs := chartHistories(t)
	var buf bytes.Buffer
	if err := WriteChart(&buf, chart.PNG, recs, hs); err != nil {
		t.Fatalf("WriteChart: %v", err)
	}
	if *chartOut != "" {
		if err := os.WriteFile(*chartOut, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
	wantW, wantH := chartSize.WidthPx, chartSize.HeaderPx+chartSize.PanelPx*len(hs)
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	// The knee, its spread and the capacity line appear in the panels that have a recommendation (the first two),
	// not in the refused one's.
	for _, c := range []struct {
		name string
		c    color.Color
	}{{"knee", chartKneeColor}, {"spread", chartSpreadColor}, {"capacity", chartCapacityColor}} {
		for panel := range hs {
			top := chartSize.HeaderPx + panel*chartSize.PanelPx
			n := countColor(img, c.c, image.Rect(0, top, wantW, top+chartSize.PanelPx))
			if want := panel < 2; (n > 0) != want {
				t.Errorf("panel %d (%s): %d %s pixels, want some: %v", panel, hs[panel].Service, n, c.name, want)
			}
		}
	}
}

// countColor counts the pixels of exactly colour c within r.
func countColor(img image.Image, c color.Color, r image.Rectangle) int {
	wr, wg, wb, wa := c.RGBA()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if r, g, b, a := img.At(x, y).RGBA(); r == wr && g == wg && b == wb && a == wa {
				n++
			}
		}
	}
	return n
}

func TestWriteChartErrors(t *testing.T) {
	h := History{Service: "api", Period: time.Minute}
	tests := []struct {
		name string
		recs []Recommendation
		hs   []History
		want string
	}{
		{name: "nothing", want: "no histories to draw"},
		{name: "too many", hs: make([]History, chart.MaxPanels+1), want: "25 histories, at most 24 fit one chart"},
		{name: "recommendation without history", recs: []Recommendation{{Service: "web"}}, hs: []History{h},
			want: "recommendation for web has no history"},
		{name: "two recommendations", recs: []Recommendation{{Service: "api"}, {Service: "api"}}, hs: []History{h},
			want: "two recommendations for api"},
		{name: "two histories", hs: []History{h, h}, want: "two histories for api"},
		{name: "bad history", hs: []History{{Service: "api"}}, want: "drawing chart: api: period 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteChart(&bytes.Buffer{}, chart.PNG, tt.recs, tt.hs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteChart error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteChartEmptyHistory(t *testing.T) {
	// A service without data still gets a panel saying so, rather than failing the whole chart.
	var buf bytes.Buffer
	if err := WriteChart(&buf, chart.PNG, nil, []History{{Service: "new", Period: time.Minute}}); err != nil {
		t.Fatalf("WriteChart: %v", err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
}
