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
	for _, want := range []string{"broadcast-end", "fastscaler", "target-tracking", "target-tracking-hr", "step-scaling", "pahud", "static", "oracle", "VS ORACLE", "chart: " + chart} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Tens of tasks never meet Fargate's launch rate limit, and nothing restarted.
	for _, unwanted := range []string{"launch rate limit", "restarted"} {
		if strings.Contains(r.stdout, unwanted) {
			t.Errorf("output mentions %q:\n%s", unwanted, r.stdout)
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
		{[]string{"--restart-at", "soon"}, `invalid value "soon" for flag -restart-at`},
		{[]string{"--restart-at", "-1m"}, "--restart-at -1m0s must be ≥ 0"},
		{[]string{"--scenario", "double", "--restart-at", "10m", "--restart-at", "40m"}, "--restart-at 40m0s is not within the trace's 40m0s"},
		{[]string{"--launch-rate", "-1"}, "--launch-rate -1"},
		{[]string{"--launch-burst", "-5"}, "--launch-burst -5"},
		{[]string{"--worker-connections", "0"}, "--worker-connections 0 must be ≥ 1"},
		{[]string{"--hr-metric-delay", "-20s"}, "--hr-metric-delay must be ≥ 0"},
	} {
		if r := simulate(t, nil, append(tc.args, "--chart", "")...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("simulate %v = exit %d %q, want 2 containing %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := simulate(t, nil, "--list"); r.code != 0 || !strings.Contains(r.stdout, "noisy") {
		t.Errorf("--list = %d %q", r.code, r.stdout)
	}
}

// simJSON runs simulate --json and decodes what the flags below look at.
type simJSONOut struct {
	Platform struct {
		HRDelay     string   `json:"hr_metric_delay"`
		LaunchBurst float64  `json:"launch_burst"`
		LaunchRate  float64  `json:"launch_rate"`
		WorkerConns int      `json:"worker_connections"`
		RestartAt   []string `json:"restart_at"`
	} `json:"platform"`
	Results []struct {
		Policy          string  `json:"policy"`
		UnservedPct     float64 `json:"unserved_pct"`
		TaskMinutes     float64 `json:"task_minutes"`
		LaunchesDelayed int     `json:"launches_delayed"`
		MaxLaunchDelay  float64 `json:"max_launch_delay_s"`
	} `json:"results"`
}

func simJSON(t *testing.T, args ...string) simJSONOut {
	t.Helper()
	r := simulate(t, nil, append([]string{"--json", "--chart", ""}, args...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out simJSONOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output %v:\n%s", err, r.stdout)
	}
	return out
}

func TestSimulatePlatformFlagsAndDefaults(t *testing.T) {
	out := simJSON(t, "--scenario", "double", "--policies", "oracle")
	p := out.Platform
	if p.HRDelay != "20s" || p.LaunchBurst != 100 || p.LaunchRate != 20 || p.WorkerConns != 4096 || p.RestartAt != nil {
		t.Errorf("default platform %+v; want a 20s high-resolution delay, 100 launches at once then 20/s, 4096 connections, no restart", p)
	}
	out = simJSON(t, "--scenario", "double", "--policies", "oracle", "--hr-metric-delay", "40s", "--launch-burst", "10",
		"--launch-rate", "0.5", "--worker-connections", "1024", "--restart-at", "90s", "--restart-at", "10m")
	p = out.Platform
	if p.HRDelay != "40s" || p.LaunchBurst != 10 || p.LaunchRate != 0.5 || p.WorkerConns != 1024 ||
		strings.Join(p.RestartAt, " ") != "1m30s 10m0s" {
		t.Errorf("platform %+v does not follow the flags", p)
	}
}

// TestSimulateLaunchLimitIsReportedWhenItBinds: a bucket of 1 refilled every 50 s makes the oracle's scale-outs
// wait; the output says so, with the policy; --launch-rate 0 lifts the limit.
func TestSimulateLaunchLimitIsReportedWhenItBinds(t *testing.T) {
	r := simulate(t, nil, "--chart", "", "--scenario", "double", "--policies", "oracle,static", "--launch-burst", "1", "--launch-rate", "0.02")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Fargate launch rate limit (1 tasks at once, 0.02 a second) delayed") || !strings.Contains(r.stdout, "(policy oracle)") ||
		strings.Contains(r.stdout, "(policy static)") {
		t.Errorf("output does not report the oracle's delayed launches (and only those):\n%s", r.stdout)
	}
	limited := simJSON(t, "--scenario", "double", "--policies", "oracle", "--launch-burst", "1", "--launch-rate", "0.02")
	free := simJSON(t, "--scenario", "double", "--policies", "oracle", "--launch-rate", "0")
	if l := limited.Results[0]; l.LaunchesDelayed == 0 || l.MaxLaunchDelay < 50 {
		t.Errorf("limited oracle %+v: want delayed launches, waits of 50 s and more", l)
	}
	if f := free.Results[0]; f.LaunchesDelayed != 0 || f.MaxLaunchDelay != 0 {
		t.Errorf("--launch-rate 0 still delayed launches: %+v", f)
	}
}

// TestSimulateRestartAt: a restart changes fastscaler's run only, and the output says when it happened.
func TestSimulateRestartAt(t *testing.T) {
	r := simulate(t, nil, "--chart", "", "--scenario", "double", "--policies", "fastscaler,target-tracking", "--restart-at", "10m")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "The fastscaler daemon restarted at 10m0s: its policy state and stub_status rates were lost") {
		t.Errorf("output does not report the restart:\n%s", r.stdout)
	}
	plain := simJSON(t, "--scenario", "double", "--policies", "fastscaler,target-tracking")
	restarted := simJSON(t, "--scenario", "double", "--policies", "fastscaler,target-tracking", "--restart-at", "10m")
	if plain.Results[1] != restarted.Results[1] {
		t.Errorf("target tracking changed with a fastscaler restart: %+v vs %+v", plain.Results[1], restarted.Results[1])
	}
	if plain.Results[0] == restarted.Results[0] {
		t.Errorf("a restart at the surge changed nothing for fastscaler: %+v", plain.Results[0])
	}
}
