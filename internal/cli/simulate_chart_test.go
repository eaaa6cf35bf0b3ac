package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateJSONWritesNoChartUnlessAsked: --json alone writes nothing into the working directory; with --chart
// it writes the chart asked for, and says so.
func TestSimulateJSONWritesNoChartUnlessAsked(t *testing.T) {
	cwd := emptyWorkDir(t)
	r := simulate(t, nil, "--json", "--scenario", "double", "--policies", "oracle")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	wroteNothing(t, cwd, "simulate --json")
	var out struct {
		Chart string `json:"chart"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Chart != "" {
		t.Errorf("--json: chart %q, %v; want none", out.Chart, err)
	}

	r = simulate(t, nil, "--json", "--chart", "double.svg", "--scenario", "double", "--policies", "oracle")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Chart != "double.svg" {
		t.Errorf("--json --chart double.svg: chart %q, %v", out.Chart, err)
	}
	svg, err := os.ReadFile(filepath.Join(cwd, "double.svg"))
	if err != nil || !bytes.HasPrefix(svg, []byte("<?xml")) || !bytes.Contains(svg, []byte("<svg ")) {
		t.Errorf("double.svg is not an SVG (%v): %.100q", err, svg)
	}
}

// TestSimulateChartFormat: .png writes PNG, .svg SVG, and any other name is refused before any work.
func TestSimulateChartFormat(t *testing.T) {
	dir := t.TempDir()
	for name, magic := range map[string]string{"sim.png": "\x89PNG\r\n\x1a\n", "sim.SVG": "<?xml"} {
		path := filepath.Join(dir, name)
		if r := simulate(t, nil, "--scenario", "double", "--policies", "oracle", "--chart", path); r.code != 0 {
			t.Fatalf("--chart %s: exit %d: %s", name, r.code, r.stderr)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("--chart %s: %v, starts %.8q, want %q", name, err, b, magic)
		}
	}
	for _, name := range []string{"sim.jpg", "sim"} {
		path := filepath.Join(dir, name)
		r := simulate(t, nil, "--scenario", "double", "--chart", path)
		if r.code != 2 || !strings.Contains(r.stderr, "--chart "+path+": ") || !strings.Contains(r.stderr, "a chart is written as .png or .svg") ||
			r.stdout != "" {
			t.Errorf("--chart %s: exit %d, stdout %q, stderr %q; want 2 naming the file, before any result", name, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("--chart %s: a file was created: %v", name, err)
		}
	}
}

// TestSimulateResultsBeforeChart: a chart that cannot be written fails the command (exit 1, naming the file),
// after the results were printed, as a table or as JSON.
func TestSimulateResultsBeforeChart(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "no", "such", "dir", "sim.png")
	r := simulate(t, nil, "--scenario", "double", "--policies", "fastscaler,oracle", "--chart", chart)
	if r.code != 1 || !strings.Contains(r.stderr, chart) {
		t.Errorf("exit %d, stderr %q; want 1 naming %s", r.code, r.stderr, chart)
	}
	if !strings.Contains(r.stdout, "POLICY") || !strings.Contains(r.stdout, "fastscaler") || strings.Contains(r.stdout, "chart: ") {
		t.Errorf("stdout lacks the results, or claims a chart:\n%s", r.stdout)
	}
	r = simulate(t, nil, "--json", "--scenario", "double", "--policies", "oracle", "--chart", chart)
	var out struct {
		Results []struct{ Policy string } `json:"results"`
	}
	if r.code != 1 || !strings.Contains(r.stderr, chart) || json.Unmarshal([]byte(r.stdout), &out) != nil || len(out.Results) != 1 {
		t.Errorf("--json: exit %d, stderr %q, stdout %q; want 1 naming the chart after the JSON results", r.code, r.stderr, r.stdout)
	}
}

// TestSimulateEveningPerSurge: the evening's two broadcast ends each get their first scale-out, in the table and
// in the JSON, instead of one figure measured from the evening's slow rise.
func TestSimulateEveningPerSurge(t *testing.T) {
	r := simulate(t, nil, "--scenario", "evening", "--policies", "fastscaler,target-tracking,static", "--chart", "")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The README's figures.
	for _, want := range []string{"per surge", "The trace has 2 surges, so FIRST SCALE-OUT is per surge", "SURGE 1 AT 20:54:10  SURGE 2 AT 22:54:22",
		"fastscaler                  +3s                 +17s", "target-tracking                +230s                +218s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FIRST SCALE-OUT is measured from when the load first exceeded the starting capacity") {
		t.Errorf("output still gives the whole-trace definition:\n%s", r.stdout)
	}
	var raw struct {
		Results []struct {
			First *float64 `json:"first_scale_out_s"`
		} `json:"results"`
		Surges []struct {
			StartSecs float64 `json:"start_s"`
			Start     string  `json:"start"`
			ScaleOuts []struct {
				Policy  string   `json:"policy"`
				Seconds *float64 `json:"first_scale_out_s"`
			} `json:"first_scale_outs"`
		} `json:"surges"`
	}
	r = simulate(t, nil, "--json", "--scenario", "evening", "--policies", "fastscaler,static")
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil || len(raw.Results) != 2 {
		t.Fatalf("--json: %v:\n%s", err, r.stdout)
	}
	if len(raw.Surges) != 2 || raw.Results[0].First != nil || !strings.HasPrefix(raw.Surges[0].Start, "2026-11-22T20:54:") {
		t.Fatalf("--json: results %+v, surges %+v; want no whole-trace figure and two surges", raw.Results, raw.Surges)
	}
	for _, s := range raw.Surges {
		if len(s.ScaleOuts) != 2 || s.ScaleOuts[0].Policy != "fastscaler" || s.ScaleOuts[0].Seconds == nil || s.ScaleOuts[1].Seconds != nil {
			t.Errorf("surge at %v s: %+v; want fastscaler's first scale-out and none for static", s.StartSecs, s.ScaleOuts)
		}
	}
}
