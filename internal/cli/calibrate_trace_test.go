package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastscaler/fastscaler/internal/trace"
)

// TestCalibrateExportIsWhatSimulateReads: the trace calibrate exports (here from 3 hours of history, too little
// for a recommendation, which does not stop the export) is one `simulate --trace` replays, minute by minute.
func TestCalibrateExportIsWhatSimulateReads(t *testing.T) {
	u, seed := calibrateUnit(t, 3*60)
	path := filepath.Join(t.TempDir(), "evening.csv")
	if r := calibrateRun(t, u, "--export-trace", path); r.code != 1 || !strings.Contains(r.stdout, "trace: "+path) {
		t.Fatalf("calibrate --export-trace: exit %d, want 1 (no recommendation) with the trace written:\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), trace.Header+"\n") {
		t.Errorf("export starts %.40q, want the header %q", b, trace.Header)
	}

	r := simulate(t, nil, "--trace", path, "--policies", "oracle", "--json")
	if r.code != 0 {
		t.Fatalf("simulate --trace %s: exit %d: %s", path, r.code, r.stderr)
	}
	var out struct {
		Trace   string `json:"trace"`
		Seconds int    `json:"seconds"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if want := (len(seed.routerRPS)-1)*60 + 1; out.Trace != path || out.Seconds != want {
		t.Errorf("simulate read %q as %d seconds, want %d: a row a minute from the first to the last", out.Trace, out.Seconds, want)
	}
	r = simulate(t, nil, "--trace", path, "--policies", "oracle", "--chart", "")
	if r.code != 0 || !strings.Contains(r.stdout, "2h59m of traffic") {
		t.Errorf("simulate --trace: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCalibrateChartFormat: --chart FILE.svg writes SVG; another extension is a usage error before any AWS call.
func TestCalibrateChartFormat(t *testing.T) {
	u, _ := calibrateUnit(t, 3*60)
	dir := t.TempDir()
	bad := filepath.Join(dir, "calibrate.gif")
	if r := calibrateRun(t, u, "--chart", bad); r.code != 2 || !strings.Contains(r.stderr, "--chart "+bad+": a chart is written as .png or .svg, not .gif") {
		t.Errorf("--chart %s: exit %d %q, want 2 naming the extension", bad, r.code, r.stderr)
	}
	if calls := u.CW.Calls(); len(calls) != 0 {
		t.Errorf("a bad --chart reached CloudWatch: %+v", calls)
	}
	svg := filepath.Join(dir, "calibrate.svg")
	if r := calibrateRun(t, u, "--chart", svg); !strings.Contains(r.stdout, "chart: "+svg) {
		t.Errorf("--chart %s: exit %d, output lacks the chart:\n%s%s", svg, r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.HasPrefix(string(b), "<?xml") || !strings.Contains(string(b), "<svg ") {
		t.Errorf("%s is not an SVG (%v): %.100q", svg, err, b)
	}
}
