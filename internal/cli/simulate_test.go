package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastscaler/fastscaler/internal/cli"
)

func simulate(t *testing.T, environ []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{Args: append([]string{"simulate"}, args...), Environ: environ,
		Stdout: &out, Stderr: &errb})
	return result{code, out.String(), errb.String()}
}

func TestSimulateDefaultScenarioWritesTableAndChart(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "sim.png")
	r := simulate(t, nil, "--chart", chart)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"broadcast-end", "fastscaler", "target-tracking", "step-scaling", "pahud", "static", "oracle", "VS ORACLE", "chart: " + chart} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 800 {
		t.Errorf("chart is not a usable PNG: %v", err)
	}
}

func TestSimulateJSONAndKnobs(t *testing.T) {
	run := func(environ []string, args ...string) map[string]float64 {
		t.Helper()
		r := simulate(t, environ, append([]string{"--json", "--chart", "", "--scenario", "double", "--policies", "fastscaler,oracle"}, args...)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var out struct {
			Results []struct {
				Policy      string  `json:"policy"`
				TaskMinutes float64 `json:"task_minutes"`
				UnservedPct float64 `json:"unserved_pct"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Results) != 2 {
			t.Fatalf("--json output %v:\n%s", err, r.stdout)
		}
		return map[string]float64{"task_minutes": out.Results[0].TaskMinutes, "unserved": out.Results[0].UnservedPct}
	}
	base := run(nil)
	// A flag and its variable change the run the same way, and the flag wins over the variable.
	byFlag := run(nil, "--min-tasks", "router:2,api:20,api-canary:1")
	byEnv := run([]string{"FASTSCALER_MIN_TASKS=router:2,api:20,api-canary:1"})
	overridden := run([]string{"FASTSCALER_MIN_TASKS=router:2,api:20,api-canary:1"}, "--min-tasks", "router:2,api:4,api-canary:1")
	if byFlag["task_minutes"] <= base["task_minutes"] || !maps.Equal(byFlag, byEnv) || !maps.Equal(overridden, base) {
		t.Errorf("base %v, flag %v, env %v, env overridden by flag %v", base, byFlag, byEnv, overridden)
	}
}

func TestSimulateBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("seconds,rps\n0,100\n1,abc\n2,100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"--trace", bad}, `line 3: rps "abc" is not a number`},
		{[]string{"--trace", filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"--scenario", "double", "--trace", bad}, "not both"},
		{[]string{"--lead-time", "soon"}, "FASTSCALER_LEAD_TIME"},
		{[]string{"--policies", "fastscaler,magic"}, `unknown policy "magic"`},
		{[]string{"--target-cpu", "0.5", "--target-cpu", "150"}, "--target-cpu 150"},
	} {
		if r := simulate(t, nil, append(tc.args, "--chart", "")...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("simulate %v = exit %d %q, want 2 containing %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := simulate(t, nil, "--list"); r.code != 0 || !strings.Contains(r.stdout, "noisy") {
		t.Errorf("--list = %d %q", r.code, r.stdout)
	}
}
