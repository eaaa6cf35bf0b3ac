package cli_test

import (
	"encoding/json"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/calibrate"
	"github.com/fastscaler/fastscaler/internal/cli"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/sim"
)

// dataEnd is where calibrateUnit's history ends: calibrate's window ends there too.
var dataEnd = daemontest.T0.Add(-calibrate.DeliveryDelay)

var calibrateChartOut = flag.String("calibrate.chart", "", "also write TestCalibrateTableChartAndTrace's chart to this file (the README's)")

// calibrateEnv is an SRE's shell for calibrate: the daemon's cluster, router, capacities and weights.
var calibrateEnv = []string{
	"FASTSCALER_CLUSTER=" + daemontest.Cluster,
	"FASTSCALER_ROUTER_SERVICE=router",
	"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
	"FASTSCALER_WEIGHTS=api:90,api-canary:10",
}

// Shapes of the seeded services besides api.
const (
	apiWeight        = 0.9 // api's share of the router's requests, as in calibrateEnv
	canaryWeight     = 0.1
	canaryMinutes    = 180  // api-canary was created 3 hours ago
	routerPerTask    = 800  // what the router's autoscaler sizes its fleet for
	routerCPUPerRPS  = 0.03 // router CPU % per rps per task: 70% only at about 2,233 rps per task
	canaryPerTask    = 200
	canaryLatencyMS  = 30
	synthKneeLowest  = 0.9 // the knee found must lie within 10% of the true one
	synthKneeHighest = 1.1
)

// seededHistory is what calibrateUnit put into the CloudWatch fake.
type seededHistory struct {
	synth      calibrate.Synth
	start      time.Time
	routerRPS  []float64 // the router's RequestRate, one per minute from start
	routerMaxX float64   // the router's highest per-task load
}

// calibrateUnit returns a unit whose CloudWatch fake holds the given minutes of cluster history, ending
// calibrate.DeliveryDelay before the clock's now (where calibrate's window ends: the rest is still being delivered): api's from calibrate.Synth (latency knee at 180 rps per task, reached in surges) under the discovery name
// api-http; the router's, whose CPU stays far below its 70% target (its knee is never reached); and api-canary's
// last 3 hours at most (it was created then), under its default discovery name. The SDK's default chain points at
// the unit's fakes, CloudWatch included.
func calibrateUnit(t *testing.T, minutes int) (*daemontest.Unit, seededHistory) {
	t.Helper()
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", u.CWURL)

	s := calibrate.DefaultSynth()
	s.Minutes = minutes
	s.Start = dataEnd.Add(-time.Duration(minutes) * time.Minute)
	api, truth := s.History()
	seed := seededHistory{synth: s, start: s.Start}

	times := api.RequestRate.Times
	for _, v := range truth.RouterRPS {
		seed.routerRPS = append(seed.routerRPS, v/apiWeight)
	}
	var routerTasks, routerCPU []float64
	for i, rps := range seed.routerRPS {
		tasks := math.Max(2, math.Ceil(seed.routerRPS[max(0, i-5)]/routerPerTask)) // five minutes late, like api's
		seed.routerMaxX = max(seed.routerMaxX, rps/tasks)
		routerTasks = append(routerTasks, tasks)
		routerCPU = append(routerCPU, 3+routerCPUPerRPS*rps/tasks)
	}
	var canaryTimes []time.Time
	var canaryTasks, canaryCPU, canaryLatency []float64
	for i := max(0, minutes-canaryMinutes); i < minutes; i++ {
		rps := seed.routerRPS[i] * canaryWeight
		tasks := math.Max(1, math.Ceil(rps/canaryPerTask))
		canaryTimes = append(canaryTimes, times[i])
		canaryTasks = append(canaryTasks, tasks)
		canaryCPU = append(canaryCPU, 5+0.3*rps/tasks)
		canaryLatency = append(canaryLatency, canaryLatencyMS)
	}

	add := func(ns, metric string, dims map[string]string, ts []time.Time, vs []float64) {
		pts := make([]fakecw.Point, len(ts))
		for i := range ts {
			pts[i] = fakecw.Point{Time: ts[i], Value: vs[i]}
		}
		u.CW.AddSeries(ns, metric, dims, pts)
	}
	svc := func(name string) map[string]string {
		return map[string]string{"ClusterName": daemontest.Cluster, "ServiceName": name}
	}
	fromRouter := func(disc string) map[string]string {
		return map[string]string{"ClusterName": daemontest.Cluster, "ServiceName": "router", "TargetDiscoveryName": disc}
	}
	add("Fastscaler", "RequestRate", map[string]string{"Cluster": daemontest.Cluster}, times, seed.routerRPS)
	add("ECS/ContainerInsights", "RunningTaskCount", svc("api"), api.RunningTasks.Times, api.RunningTasks.Values)
	add("AWS/ECS", "CPUUtilization", svc("api"), api.CPU.Times, api.CPU.Values)
	add("AWS/ECS", "TargetResponseTime", fromRouter("api-http"), api.Latency.Times, api.Latency.Values)
	add("AWS/ECS", "HTTPCode_Target_5XX_Count", fromRouter("api-http"), api.Errors5xx.Times, api.Errors5xx.Values)
	add("ECS/ContainerInsights", "RunningTaskCount", svc("router"), times, routerTasks)
	add("AWS/ECS", "CPUUtilization", svc("router"), times, routerCPU)
	add("ECS/ContainerInsights", "RunningTaskCount", svc("api-canary"), canaryTimes, canaryTasks)
	add("AWS/ECS", "CPUUtilization", svc("api-canary"), canaryTimes, canaryCPU)
	add("AWS/ECS", "TargetResponseTime", fromRouter("api-canary"), canaryTimes, canaryLatency)
	return u, seed
}

func calibrateRun(t *testing.T, u *daemontest.Unit, args ...string) result {
	t.Helper()
	return runEnv(t, u, calibrateEnv, append([]string{"calibrate"}, args...)...)
}

// TestCalibrateFindsTheKnee: two weeks whose api knee is known come back, through the real SDK and the
// CloudWatch fake, as a recommendation whose knee lies within 10% of it; the router (never near its knee) and
// api-canary (3 hours old) are refused with what they lack. Without --chart no file is written.
func TestCalibrateFindsTheKnee(t *testing.T) {
	u, seed := calibrateUnit(t, 14*1440)
	cwd := emptyWorkDir(t)
	r := calibrateRun(t, u, "--since", "14d", "--json", "--discovery-name", "api=api-http")
	if r.code != 0 {
		t.Fatalf("calibrate exit %d: %s", r.code, r.stderr)
	}
	wroteNothing(t, cwd, "calibrate without --chart or --export-trace")
	var rep cli.CalibrateReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, r.stdout)
	}
	if len(rep.Recommendations) != 1 {
		t.Fatalf("%d recommendations, want api's alone: %+v", len(rep.Recommendations), rep.Recommendations)
	}
	api := rep.Recommendations[0]
	knee := seed.synth.Knee
	t.Logf("api: knee %.1f (10–90%% %.1f–%.1f), true %v; capacity %v from %s over %.0f h, %d surges",
		api.Knee, api.KneeLow, api.KneeHigh, knee, api.CapacityRPS, api.Signal, api.Evidence.Hours, api.Evidence.Surges)
	if api.Service != "api" || api.Signal != calibrate.SignalLatency || api.DiscoveryName != "api-http" || api.Weight != 90 {
		t.Errorf("recommendation for %s from %s under discovery name %q, weight %v; want api from latency under api-http, weight 90",
			api.Service, api.Signal, api.DiscoveryName, api.Weight)
	}
	if api.Knee < synthKneeLowest*knee || api.Knee > synthKneeHighest*knee {
		t.Errorf("knee %.1f: want within 10%% of the true %v", api.Knee, knee)
	}
	if !(api.KneeLow <= api.Knee && api.Knee <= api.KneeHigh) {
		t.Errorf("range %.1f–%.1f does not hold the knee %.1f", api.KneeLow, api.KneeHigh, api.Knee)
	}
	if api.CapacityRPS != 140 || api.CurrentRPS != 250 {
		t.Errorf("capacity %v (current %v), want 140 (the knee × 0.8, 2 significant figures) and 250",
			api.CapacityRPS, api.CurrentRPS)
	}
	if ev := api.Evidence; ev.Hours != 14*24 || ev.Periods != 14*1440 || ev.Surges < 24 || ev.PeriodsBeyondKnee < 30 ||
		len(ev.Bins) < 5 || len(ev.Notes) == 0 {
		t.Errorf("evidence %+v: want 336 hours of 1-minute periods, 24–28 surges, ≥ 30 periods beyond the knee, bins and notes", ev)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings %q, want none: every service but the router has Service Connect data", rep.Warnings)
	}
	if rep.SuggestedCapacity != "api:140,api-canary:250,router:1000" {
		t.Errorf("suggested FASTSCALER_CAPACITY %q, want api:140,api-canary:250,router:1000", rep.SuggestedCapacity)
	}
	if want := dataEnd.Add(-14 * 24 * time.Hour); !rep.Start.Equal(want) || !rep.End.Equal(dataEnd) || rep.Period != "1m0s" ||
		!rep.DataStart.Equal(want) || !rep.DataEnd.Equal(dataEnd) {
		t.Errorf("window %v to %v of %s, data %v to %v; want both %v to %v (5 minutes before now) of 1m0s", rep.Start, rep.End,
			rep.Period, rep.DataStart, rep.DataEnd, want, dataEnd)
	}

	type refusal struct {
		Service, Shortfall, Unit string
		Have, Need               float64
	}
	var got []refusal
	for _, f := range rep.Refusals {
		got = append(got, refusal{f.Service, f.Shortfall, f.Unit, math.Round(f.Have*10) / 10, f.Need})
	}
	want := []refusal{
		{"api-canary", "short_history", "hours", 3, 24},
		{"router", "knee_not_reached", "rps", math.Round(seed.routerMaxX*10) / 10, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	for _, f := range rep.Refusals {
		if f.Message == "" || !strings.Contains(f.Message, f.Service) {
			t.Errorf("refusal of %s: message %q does not name it", f.Service, f.Message)
		}
	}
}

// TestCalibrateTableChartAndTrace: the table people read, with the line to paste, the chart, and the router's
// request rate exported as a trace that the simulator reads back exactly.
func TestCalibrateTableChartAndTrace(t *testing.T) {
	u, seed := calibrateUnit(t, 14*1440)
	dir := t.TempDir()
	chart, trace := filepath.Join(dir, "calibrate.png"), filepath.Join(dir, "evening.csv")
	if *calibrateChartOut != "" {
		chart = *calibrateChartOut
	}
	args := []string{"--discovery-name", "api=api-http", "--chart", chart, "--export-trace", trace}
	r := calibrateRun(t, u, args...)
	t.Logf("fastscaler calibrate %s\n%s", strings.Join(args, " "), r.stdout)
	if r.code != 0 {
		t.Fatalf("calibrate exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"cluster prod: 14 days of 1-minute data, 2026-11-08 19:55 to 2026-11-22 19:55 UTC (--since 14d); load: router's " +
			"RequestRate in namespace Fastscaler\n",
		"SERVICE     CURRENT  RECOMMENDED  KNEE (10–90%)",
		"Suggested: FASTSCALER_CAPACITY=api:140,api-canary:250,router:1000",
		"(api-canary, router: current capacity kept, no recommendation)",
		"calibrating api-canary: only 3.0 hours of usable history; need at least 24: wait 21.0 more hours",
		"calibrating router: per-task load never exceeded",
		"chart: " + chart,
		"trace: " + trace,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, row := range []string{
		`(?m)^api  +250  +140 \(-44%\)  +1[6-9]\d \(1\d\d–1\d\d\)  +latency  +336  +2\d  +±\d+%  +\d+h\d\dm  +$`,
		`(?m)^api-canary  +250  +-  +no recommendation: short history$`,
		`(?m)^router  +1000  +-  +no recommendation: knee not reached$`,
	} {
		if !regexp.MustCompile(row).MatchString(r.stdout) {
			t.Errorf("output has no row matching %s", row)
		}
	}

	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("chart %s is not a PNG: %v", chart, err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 3*300 {
		t.Errorf("chart is %dx%d, want a panel for each of the 3 services", b.Dx(), b.Dy())
	}

	tf, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	tr, err := sim.ReadCSV(tf, trace)
	if err != nil {
		t.Fatalf("simulate cannot read the exported trace: %v", err)
	}
	if !tr.Start.Equal(seed.start) || len(tr.RPS) != (14*1440-1)*60+1 {
		t.Fatalf("trace starts %v with %d seconds, want %v and %d", tr.Start, len(tr.RPS), seed.start, (14*1440-1)*60+1)
	}
	for i, v := range seed.routerRPS {
		if got := tr.RPS[i*60]; got != v {
			t.Fatalf("trace minute %d: %v rps, want the router's %v", i, got, v)
		}
	}
}

// TestCalibrateRefusesTooLittleData: three hours of history are not a calibration; the command says, per service,
// how much more it needs, and exits 1. When the data is short it says how long to wait; when the window asked for
// is short it says to ask for a longer one; when a service has no task count at all it says where to look. The
// header gives the span the data covers, not the one asked for.
func TestCalibrateRefusesTooLittleData(t *testing.T) {
	u, _ := calibrateUnit(t, 3*60)
	r := calibrateRun(t, u, "--discovery-name", "api=api-http")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s%s", r.code, r.stdout, r.stderr)
	}
	from, to := dataEnd.Add(-3*time.Hour).Format("2006-01-02 15:04"), dataEnd.Format("2006-01-02 15:04")
	if want := "cluster prod: 3h00m of 1-minute data, " + from + " to " + to + " UTC (--since 14d);"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("header: want %q, got:\n%s", want, r.stdout)
	}
	for _, want := range []string{
		"no recommendation: not one service's history could place its knee",
		"calibrating api: only 3.0 hours of usable history; need at least 24: wait 21.0 more hours (1260 more periods of 1m0s)",
		"calibrating router: only 3.0 hours",
		"calibrating api-canary: only 3.0 hours",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "Suggested") || strings.Count(r.stdout, "no recommendation: short history") != 3 {
		t.Errorf("stdout should show three refused rows and no suggestion:\n%s", r.stdout)
	}

	// The window, not the data, is the limit: waiting would not help.
	r = calibrateRun(t, u, "--since", "3h", "--discovery-name", "api=api-http")
	if want := "calibrating api: --since 3h reads only 3h00m of history and the knee needs at least 24 hours: " +
		"use --since of at least 24h"; r.code != 1 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "wait") {
		t.Errorf("--since 3h: exit %d, want 1 with %q and no \"wait\":\n%s", r.code, want, r.stderr)
	}

	r = calibrateRun(t, u, "--since", "3h", "--json")
	var rep cli.CalibrateReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 {
		t.Fatalf("--json: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if len(rep.Recommendations) != 0 || len(rep.Refusals) != 3 || math.Abs(rep.Refusals[0].Need-rep.Refusals[0].Have-21) > 1e-9 ||
		rep.Refusals[0].Shortfall != "short_history" {
		t.Errorf("--json: %d recommendations and refusals %+v; want none and 3 short_history refusals each 21 hours short",
			len(rep.Recommendations), rep.Refusals)
	}
	if !rep.DataStart.Equal(dataEnd.Add(-3*time.Hour)) || !rep.DataEnd.Equal(dataEnd) {
		t.Errorf("--json: data from %v to %v, want %v to %v", rep.DataStart, rep.DataEnd, dataEnd.Add(-3*time.Hour), dataEnd)
	}

	// ghost has a weight but no RunningTaskCount or DesiredCount in CloudWatch (a wrong name, say).
	env := append(append([]string(nil), calibrateEnv...), "FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250,ghost:100",
		"FASTSCALER_WEIGHTS=api:85,api-canary:10,ghost:5")
	r = runEnv(t, u, env, "calibrate", "--service", "ghost", "--json")
	rep = cli.CalibrateReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 {
		t.Fatalf("ghost: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	want := "calibrating ghost: no task count was found for service ghost in cluster prod: neither Container Insights' " +
		"RunningTaskCount nor fastscaler's DesiredCount (namespace Fastscaler) has datapoints in the window read; check " +
		"the service's name, that Container Insights is on for the cluster, or that the daemon publishes DesiredCount there"
	if len(rep.Refusals) != 1 || rep.Refusals[0].Shortfall != "no_task_count" || !strings.HasPrefix(rep.Refusals[0].Message, want) {
		t.Errorf("ghost: refusals %+v; want no_task_count with %q", rep.Refusals, want)
	}
	if !rep.DataStart.IsZero() || strings.Contains(r.stdout, "data_start") {
		t.Errorf("ghost: data_start %v, want none: ghost has no usable period", rep.DataStart)
	}
	r = runEnv(t, u, env, "calibrate", "--service", "ghost", "--since", "3h")
	if want := "cluster prod: no usable 1-minute data (a request rate and a running task) from " + from + " to " + to +
		" UTC (--since 3h);"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("ghost: header: want %q, got:\n%s", want, r.stdout)
	}
}

// TestCalibrateBadInput: mistakes are usage errors naming the culprit, found before any CloudWatch call.
func TestCalibrateBadInput(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", u.CWURL)
	with := func(extra ...string) []string { return append(append([]string(nil), calibrateEnv...), extra...) }
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown service", calibrateEnv, []string{"--service", "web"}, `service "web" is not scaled by fastscaler`},
		{"service without traffic", with("FASTSCALER_WEIGHTS=api:100,api-canary:0"), []string{"--service", "api-canary"},
			"--service api-canary: its FASTSCALER_WEIGHTS share is 0"},
		{"service twice", calibrateEnv, []string{"--service", "api", "--service", "api"}, "--service api given twice"},
		{"bad since", calibrateEnv, []string{"--since", "a fortnight"}, `--since "a fortnight": want a duration like 90m, 2h or 1d`},
		{"since zero", calibrateEnv, []string{"--since", "0d"}, `--since "0d": must be positive`},
		{"since beyond 1-minute data", calibrateEnv, []string{"--since", "16d"}, "--since 16d: at most 15d: CloudWatch keeps 1-minute " +
			"data for 15 days, and its 5-minute averages beyond mix a surge's overloaded minutes with normal ones, which places the knee too low"},
		{"since a minute beyond 1-minute data", calibrateEnv, []string{"--since", "21601m"}, "--since 21601m: at most 15d"},
		{"discovery name without a name", calibrateEnv, []string{"--discovery-name", "api"}, `--discovery-name "api": want SERVICE=NAME`},
		{"discovery name of an unknown service", calibrateEnv, []string{"--discovery-name", "web=web-http"},
			`--discovery-name web=web-http: service "web" is not in FASTSCALER_CAPACITY`},
		{"discovery name of the router", calibrateEnv, []string{"--discovery-name", "router=http"}, "the router (FASTSCALER_ROUTER_SERVICE) is reached through the"},
		{"no router", []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_CAPACITY=api:250"}, nil, "router service is empty (FASTSCALER_ROUTER_SERVICE)"},
		{"empty namespace", with("FASTSCALER_METRICS_NAMESPACE="), nil, `FASTSCALER_METRICS_NAMESPACE="": the daemon publishes`},
		{"no cluster", []string{"FASTSCALER_CAPACITY=api:250", "FASTSCALER_ROUTER_SERVICE=router"}, nil, "FASTSCALER_CLUSTER: required"},
		{"stray argument", calibrateEnv, []string{"api"}, `unexpected argument "api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runEnv(t, u, tt.env, append([]string{"calibrate"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 containing %q", r.code, r.stderr, tt.want)
			}
		})
	}
	if calls := u.CW.Calls(); len(calls) != 0 {
		t.Errorf("bad input reached CloudWatch: %+v", calls)
	}
}

// TestCalibrateAWSErrors: CloudWatch failures and a missing RequestRate exit 1 with what to do about them.
func TestCalibrateAWSErrors(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", u.CWURL)
	u.CW.FailNext("GetMetricData", "AccessDenied", 403, 1)
	if r := calibrateRun(t, u); r.code != 1 || !strings.Contains(r.stderr, "GetMetricData") ||
		!strings.Contains(r.stderr, "AccessDenied") || !strings.Contains(r.stderr, "IAM policy") {
		t.Errorf("access denied: exit %d %q, want 1 naming GetMetricData with the IAM hint", r.code, r.stderr)
	}
	chart := filepath.Join(t.TempDir(), "never.png")
	if r := calibrateRun(t, u, "--chart", chart); r.code != 1 || !strings.Contains(r.stderr, "no RequestRate datapoints from fastscaler "+
		"in namespace Fastscaler with dimension Cluster=prod from 2026-11-08 19:55 to 2026-11-22 19:55 UTC") {
		t.Errorf("empty CloudWatch: exit %d %q, want 1 saying the daemon's RequestRate is missing, and where it was looked for", r.code, r.stderr)
	}
	if _, err := os.Stat(chart); !os.IsNotExist(err) {
		t.Errorf("a failed calibrate left a chart behind: %v", err)
	}
}

// TestCalibrateFileErrors: a chart or trace that cannot be written fails the command, after the results it could
// still show. Without its discovery name, api's Service Connect data is not found: it is calibrated on CPU, the
// table says so instead of showing the CPU fit's degenerate ±0% as a spread, and a warning names the discovery
// name that found nothing and the flag that would find the rest.
func TestCalibrateFileErrors(t *testing.T) {
	u, _ := calibrateUnit(t, 14*1440)
	missing := filepath.Join(t.TempDir(), "no", "such", "dir")
	r := calibrateRun(t, u, "--service", "api", "--chart", filepath.Join(missing, "c.png"), "--export-trace", filepath.Join(missing, "t.csv"))
	if r.code != 1 || !strings.Contains(r.stderr, "--chart "+filepath.Join(missing, "c.png")) ||
		!strings.Contains(r.stderr, "--export-trace "+filepath.Join(missing, "t.csv")) {
		t.Errorf("unwritable files: exit %d, stderr %q; want 1 naming both files", r.code, r.stderr)
	}
	for _, want := range []string{
		"Suggested: FASTSCALER_CAPACITY=api:140,api-canary:250,router:1000",
		"api: Service Connect: no TargetResponseTime or HTTPCode_Target_5XX_Count datapoints for discovery name api",
		"\nWarning: api: no Service Connect data (AWS/ECS TargetResponseTime or HTTPCode_Target_5XX_Count) for discovery name " +
			`"api", from router or any caller, in the window read: api is judged on CPU reaching 70%, which says nothing of ` +
			"its latency. If it is reached through Service Connect, give its discovery name: --discovery-name api=NAME\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^api  +250  +140 \(-44%\)  +1[6-9]\d \(.*\)  +cpu \(no latency/5xx data\)  +336  +2\d  +n/a \(CPU model\)  `).MatchString(r.stdout) {
		t.Errorf("want api calibrated on CPU, labelled so, without a spread:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "±0%") {
		t.Errorf("output shows a ±0%% spread:\n%s", r.stdout)
	}

	r = calibrateRun(t, u, "--service", "api", "--json")
	var rep cli.CalibrateReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("--json: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `discovery name "api"`) ||
		len(rep.Recommendations) != 1 || rep.Recommendations[0].Signal != calibrate.SignalCPU {
		t.Errorf("--json: warnings %q, recommendations %+v; want the discovery-name warning and api on cpu", rep.Warnings, rep.Recommendations)
	}
}

func TestCalibrateHelp(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	if r := run(t, u, "--help"); !strings.Contains(r.stdout, "calibrate") {
		t.Errorf("--help does not list calibrate:\n%s", r.stdout)
	}
	r := run(t, u, "help", "calibrate")
	for _, want := range []string{"Usage: fastscaler calibrate", "Example", "--discovery-name", "--export-trace", "at most 15d",
		"over 5 minutes", "places the knee too low",
		"The window ends 5m before now", "Exit codes: 0 when at least one service got a recommendation and every file asked for was written",
		"or the --chart or\n--export-trace file could not be written"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("help calibrate = %d, lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
}
