package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/internal/chart"
	"github.com/fastscaler/fastscaler/internal/sim"
)

// DefaultChart is where `fastscaler simulate` writes its chart unless told otherwise (without --json: none).
const DefaultChart = "fastscaler-simulate.png"

// simDefaults is the embedded configuration the simulator uses for variables the environment does not set: the
// interface's example services (an Nginx router and a stable/canary API pair at 90/10).
var simDefaults = []string{
	"FASTSCALER_CLUSTER=simulated",
	"FASTSCALER_ROUTER_SERVICE=router",
	"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
	"FASTSCALER_WEIGHTS=api:90,api-canary:10",
	"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1",
}

var simulateCmd = command{
	name:    "simulate",
	summary: "replay traffic against the real policy and AWS baselines on a simulated Fargate (no AWS)",
	usage: `Usage: fastscaler simulate [--scenario NAME | --trace FILE.csv] [--chart FILE.png|FILE.svg] [--json] [flags]

Replays a traffic curve against simulated Fargate services, scaled by fastscaler's own decision code (fed through
its real stub_status rate code) and, on the same traffic and simulated fleet, by AWS target tracking on 1-minute
CPU and on 20-second high-resolution CPU, AWS step scaling, pahud's fast autoscaler, a static fleet sized for the
peak, and an oracle that knows the future (the cost floor). Each policy's services launch tasks through Fargate's
task launch rate limit (a token bucket per account and Region). Prints unserved requests, seconds with 503s, the
time to the first scale-out, task-minutes and their ratio to the oracle, and writes a chart. Needs no AWS and no
network.

The first scale-out is measured from when the load first exceeded the starting capacity. A trace with several
surges (the 1-minute load at least 1.5x the 5 minutes before it; the evening scenario has two) gets one figure
per surge instead: from the surge's start to each policy's first scale-out after it, before the next surge.

Scenarios: ` + strings.Join(sim.ScenarioNames(), ", ") + ` (default ` + sim.DefaultScenario + `; --list describes them).
--trace reads CSV rows of time,rps, the times all RFC 3339 or all seconds from the start (header optional;
seconds,rps reads the same), e.g. the history 'fastscaler calibrate --export-trace' writes, interpolated to one
point per second.

Every policy knob of the daemon is a flag here, named after its variable (--lead-time for FASTSCALER_LEAD_TIME);
a flag overrides the variable, which overrides the embedded example configuration
(` + strings.Join(simDefaults[2:], " ") + `).

Flags:
  --scenario NAME      an embedded scenario
  --trace FILE         a CSV trace instead
  --chart FILE         chart of load vs capacity per policy, each on its own scale, 503s and pre-scale floors
                       shaded, surge starts and daemon restarts marked: FILE.png or FILE.svg (default
                       ` + DefaultChart + `, none with --json; "" for none). It is written after the results are
                       printed; when it cannot be, the command says so and exits 1
  --json               machine-readable results (no chart unless --chart is given)
  --policies LIST      comma-separated subset of: ` + strings.Join(sim.PolicyNames(), ", ") + `
  --seed N             seeds noise and task start jitter (default 1)
  --start-delay D      a new task serves after this (default 60s) ...
  --jitter D           ... plus a uniform random extra up to this (default 15s)
  --nlb-delay D        router tasks also wait this long for NLB registration (default 30s)
  --metric-delay D     a CloudWatch datapoint is usable this long after its minute (default 60s)
  --hr-metric-delay D  a 20-second high-resolution datapoint is usable this long after its period (default 20s)
  --target-cpu PCT     CPU % at which a task serves its capacity; it saturates at 100% (default 70)
  --launch-burst N     Fargate task launch token bucket: N launches at once (default 100) ...
  --launch-rate N      ... refilled at N a second (default 20; 0: no limit)
  --worker-connections N  connections one router task's nginx holds; a saturated router queues up to it, then
                       drops (default 4096)
  --restart-at D       restart the fastscaler daemon D after the trace's start (repeatable): its in-memory policy
                       state and stub_status rates are lost, its ECS tags (last scale-out, floors) are not
  --list               list the scenarios and exit
  --capacity, --weights, --min-tasks, --max-tasks, --router-service, --poll-interval, --poll-timeout,
  --surge-ratio, --surge-min-rps, --lead-time, --max-projection, --max-surge-factor, --scale-in-cooldown,
  --stabilization-window, --scale-in-step, --scale-in-interval, --tolerance, --min-coverage, --steady-window,
  --slope-window, --baseline-window, --surge-hold: the daemon's FASTSCALER_* knobs

Example:
  fastscaler simulate --scenario evening --lead-time 120s --chart evening.png
`,
	run: runSimulate,
}

func runSimulate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("simulate")
	scenario := fs.String("scenario", "", "scenario")
	tracePath := fs.String("trace", "", "CSV trace")
	chartPath := fs.String("chart", DefaultChart, "chart file, .png or .svg")
	asJSON := fs.Bool("json", false, "JSON")
	policies := fs.String("policies", "", "policies")
	seed := fs.Uint64("seed", sim.DefaultSeed, "seed")
	startDelay := fs.Duration("start-delay", sim.DefaultStartDelay, "start delay")
	jitter := fs.Duration("jitter", sim.DefaultJitter, "jitter")
	nlbDelay := fs.Duration("nlb-delay", sim.DefaultNLBDelay, "NLB delay")
	metricDelay := fs.Duration("metric-delay", sim.DefaultMetricDelay, "metric delay")
	hrMetricDelay := fs.Duration("hr-metric-delay", sim.DefaultHRMetricDelay, "high-resolution metric delay")
	targetCPU := fs.Float64("target-cpu", sim.DefaultTargetCPU, "target CPU")
	launchBurst := fs.Float64("launch-burst", sim.DefaultLaunchBurst, "Fargate launch burst")
	launchRate := fs.Float64("launch-rate", sim.DefaultLaunchRate, "Fargate launch rate")
	workerConns := fs.Int("worker-connections", sim.DefaultWorkerConnections, "router worker connections")
	var restartAt []time.Duration
	fs.Func("restart-at", "restart the daemon at this offset (repeatable)", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		restartAt = append(restartAt, d)
		return nil
	})
	list := fs.Bool("list", false, "list scenarios")
	knobs := knobFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *list {
		for _, n := range sim.ScenarioNames() {
			fmt.Fprintf(env.Stdout, "%-14s %s\n", n, sim.ScenarioAbout(n))
		}
		return nil
	}
	if *scenario != "" && *tracePath != "" {
		return usagef("give --scenario or --trace, not both")
	}
	if *asJSON && !flagGiven(fs, "chart") {
		*chartPath = "" // a script asked for the figures, not for a file in its working directory
	}
	var chartFormat chart.Format
	if *chartPath != "" {
		f, err := chart.FormatOf(*chartPath)
		if err != nil {
			return usageError{fmt.Errorf("--chart %w", err)}
		}
		chartFormat = f
	}

	environ := append([]string(nil), simDefaults...)
	for _, kv := range env.Environ {
		if strings.HasPrefix(kv, "FASTSCALER_") {
			environ = append(environ, kv)
		}
	}
	for name, v := range knobs {
		if *v.value != "" {
			environ = append(environ, name+"="+*v.value)
		}
	}
	scaler, err := config.Load(environ)
	if err != nil {
		return usageError{byFlag(err, knobs)}
	}
	warnIgnored(env, scaler.Ignored)
	cfg := sim.Config{Scaler: scaler, StartDelay: *startDelay, Jitter: *jitter, NLBDelay: *nlbDelay,
		MetricDelay: *metricDelay, TargetCPU: *targetCPU, Seed: *seed, HRMetricDelay: *hrMetricDelay,
		LaunchBurst: *launchBurst, LaunchRate: *launchRate, WorkerConnections: *workerConns, RestartAt: restartAt}
	if *workerConns < 1 {
		return usagef("--worker-connections %d must be ≥ 1", *workerConns)
	}
	if *policies != "" {
		for _, p := range strings.Split(*policies, ",") {
			cfg.Policies = append(cfg.Policies, strings.TrimSpace(p))
		}
	}
	if err := cfg.DefaultPlatform().Validate(); err != nil {
		return usageError{err}
	}

	var tr sim.Trace
	about := ""
	if *tracePath != "" {
		f, err := os.Open(*tracePath)
		if err != nil {
			return usageError{fmt.Errorf("--trace: %w", err)}
		}
		tr, err = sim.ReadCSV(f, *tracePath)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("--trace %s:\n%w", *tracePath, err)}
		}
		about = "trace " + *tracePath
	} else {
		name := *scenario
		if name == "" {
			name = sim.DefaultScenario
		}
		if tr, err = sim.Scenario(name, *seed); err != nil {
			return usageError{err}
		}
		about = sim.ScenarioAbout(name)
	}

	start := time.Now()
	results, err := sim.Run(cfg, tr)
	if err != nil {
		return usageError{err}
	}
	elapsed := time.Since(start)
	// The results first: a chart that cannot be written must not take them with it.
	if *asJSON {
		if err := writeSimJSON(env.Stdout, tr, about, cfg.DefaultPlatform(), results, *chartPath); err != nil {
			return fmt.Errorf("writing the JSON results: %w", err)
		}
	} else {
		printSim(env.Stdout, tr, about, cfg.DefaultPlatform(), results, elapsed)
	}
	if *chartPath == "" {
		return nil
	}
	if err := writeChart(*chartPath, chartFormat, tr, about, results); err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(env.Stdout, "\nchart: %s\n", *chartPath)
	}
	return nil
}

type knob struct {
	flag  string
	value *string
}

// knobFlags declares one string flag per variable that shapes a simulation, named after the variable.
func knobFlags(fs interface {
	String(name, value, usage string) *string
}) map[string]knob {
	out := map[string]knob{}
	for _, k := range config.Knobs() {
		if k.Scope.Simulated() {
			out[k.Var] = knob{flag: k.Flag(), value: fs.String(k.Flag(), "", k.Var+": "+k.Meaning)}
		}
	}
	return out
}

// byFlag names the flag, not only its variable, in the errors of the knobs given as flags: --lead-time abc is
// reported as "--lead-time (FASTSCALER_LEAD_TIME): ...".
func byFlag(err error, knobs map[string]knob) error {
	lines := strings.Split(err.Error(), "\n")
	for i, line := range lines {
		name, rest, ok := strings.Cut(line, ": ")
		if k, given := knobs[name]; ok && given && *k.value != "" {
			lines[i] = "--" + k.flag + " (" + name + "): " + rest
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

func writeChart(path string, format chart.Format, tr sim.Trace, about string, results []sim.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--chart: %w", err)
	}
	title := tr.Name
	if title == "" {
		title = about
	}
	if err := sim.WriteChart(f, format, title, tr, results); err != nil {
		f.Close()
		return fmt.Errorf("writing chart %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing chart %s: %w", path, err)
	}
	return nil
}

func printSim(w io.Writer, tr sim.Trace, about string, cfg sim.Config, results []sim.Result, elapsed time.Duration) {
	peak, total := 0.0, 0.0
	for _, v := range tr.RPS {
		peak = max(peak, v)
		total += v
	}
	fmt.Fprintf(w, "%s: %s\n", cmpOr(tr.Name, "trace"), about)
	fmt.Fprintf(w, "%s of traffic, peak %s rps, %s requests; tasks serve %s after launch (+ up to %s jitter, routers + %s NLB registration); simulated in %s\n\n",
		fmtDuration(tr.Duration()), thousands(peak), thousands(total), cfg.StartDelay, cfg.Jitter, cfg.NLBDelay, elapsed.Round(time.Millisecond))
	surges := sim.Surges(tr.RPS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "POLICY\tUNSERVED\tREQUESTS 503\tSECONDS WITH 503\tPEAK 503 RPS\tFIRST SCALE-OUT\tTASK-MINUTES\tVS ORACLE\tACTIONS\tFALSE SCALE-OUTS\t")
	for _, r := range results {
		s := r.Summary
		first := fmtFirstScaleOut(s.FirstScaleOutSecs)
		if len(surges) > 1 {
			first = "per surge"
		}
		ratio := "-"
		if s.CostVsOracle > 0 {
			ratio = fmt.Sprintf("%.2fx", s.CostVsOracle)
		}
		fmt.Fprintf(tw, "%s\t%.2f%%\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t\n", s.Policy, s.UnservedPct, thousands(s.Unserved),
			s.SecondsWith503, thousands(s.PeakUnservedRPS), first, thousands(s.TaskMinutes), ratio, s.ScalingActions, s.FalseScaleOuts)
	}
	tw.Flush()
	if len(surges) > 1 {
		printSurges(w, tr, surges, results)
	} else {
		fmt.Fprintln(w, "\nFIRST SCALE-OUT is measured from when the load first exceeded the starting capacity (negative: before it).")
	}
	fmt.Fprintln(w, "A FALSE SCALE-OUT added tasks no second needed while they could serve (e.g. for a blip over before they started).")
	for _, r := range results {
		if l := r.Launch; l.Delayed > 0 {
			fmt.Fprintf(w, "Fargate launch rate limit (%s tasks at once, %s a second) delayed %s task launches by up to %s (policy %s).\n",
				thousands(cfg.LaunchBurst), strconv.FormatFloat(cfg.LaunchRate, 'f', -1, 64), thousands(float64(l.Delayed)),
				fmtSeconds(l.MaxDelay), r.Summary.Policy)
		}
	}
	for _, r := range results {
		if len(r.Restarts) > 0 {
			at := make([]string, len(r.Restarts))
			for i, d := range r.Restarts {
				at[i] = d.String()
			}
			fmt.Fprintf(w, "The %s daemon restarted at %s: its policy state and stub_status rates were lost; its ECS tags (last scale-out, floors) were not.\n",
				r.Summary.Policy, strings.Join(at, ", "))
		}
	}
}

// printSurges writes the first scale-out of each policy after each surge of a trace with several.
func printSurges(w io.Writer, tr sim.Trace, surges []time.Duration, results []sim.Result) {
	fmt.Fprintf(w, "\nThe trace has %d surges, so FIRST SCALE-OUT is per surge: from the surge's start (where its load, over 10 s, rose\n"+
		"to 1.1x the 5 minutes before it, on its way to 1.5x) to each policy's first scale-out after it, before the next:\n\n", len(surges))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "POLICY\t")
	for i, at := range surges {
		fmt.Fprintf(tw, "SURGE %d AT %s\t", i+1, surgeTime(tr, at))
	}
	fmt.Fprintln(tw)
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t", r.Summary.Policy)
		for i := range surges {
			var v *float64
			if i < len(r.SurgeScaleOuts) {
				v = r.SurgeScaleOuts[i]
			}
			fmt.Fprintf(tw, "%s\t", fmtFirstScaleOut(v))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// surgeTime names when a surge started: its clock time when the trace has a start, else its offset.
func surgeTime(tr sim.Trace, at time.Duration) string {
	if tr.Start.IsZero() {
		return at.String()
	}
	return tr.Start.Add(at).Format("15:04:05")
}

// fmtFirstScaleOut formats a first scale-out in seconds, signed, or "-" for none.
func fmtFirstScaleOut(secs *float64) string {
	if secs == nil {
		return "-"
	}
	return fmt.Sprintf("%+.0fs", *secs)
}

// fmtSeconds formats a delay to a tenth of a second.
func fmtSeconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s" }

func writeSimJSON(w io.Writer, tr sim.Trace, about string, cfg sim.Config, results []sim.Result, chartPath string) error {
	type platform struct {
		StartDelay  string   `json:"start_delay"`
		Jitter      string   `json:"jitter"`
		NLBDelay    string   `json:"nlb_delay"`
		MetricDelay string   `json:"metric_delay"`
		TargetCPU   float64  `json:"target_cpu"`
		Seed        uint64   `json:"seed"`
		HRDelay     string   `json:"hr_metric_delay"`
		LaunchBurst float64  `json:"launch_burst"`
		LaunchRate  float64  `json:"launch_rate"`
		WorkerConns int      `json:"worker_connections"`
		RestartAt   []string `json:"restart_at,omitempty"`
	}
	// With several surges, results[].first_scale_out_s is null and each surge has its own.
	type scaleOut struct {
		Policy  string   `json:"policy"`
		Seconds *float64 `json:"first_scale_out_s"`
	}
	type surge struct {
		StartSecs float64    `json:"start_s"`
		Start     *time.Time `json:"start,omitempty"`
		ScaleOuts []scaleOut `json:"first_scale_outs"`
	}
	out := struct {
		Trace    string        `json:"trace"`
		About    string        `json:"about"`
		Seconds  int           `json:"seconds"`
		Platform platform      `json:"platform"`
		Chart    string        `json:"chart,omitempty"`
		Results  []sim.Summary `json:"results"`
		Surges   []surge       `json:"surges,omitempty"`
	}{
		Trace: tr.Name, About: about, Seconds: len(tr.RPS), Chart: chartPath,
		Platform: platform{cfg.StartDelay.String(), cfg.Jitter.String(), cfg.NLBDelay.String(), cfg.MetricDelay.String(), cfg.TargetCPU, cfg.Seed,
			cfg.HRMetricDelay.String(), cfg.LaunchBurst, cfg.LaunchRate, cfg.WorkerConnections, nil},
	}
	for _, d := range cfg.RestartAt {
		out.Platform.RestartAt = append(out.Platform.RestartAt, d.String())
	}
	for _, r := range results {
		out.Results = append(out.Results, r.Summary)
	}
	if surges := sim.Surges(tr.RPS); len(surges) > 1 {
		for i, at := range surges {
			sg := surge{StartSecs: at.Seconds()}
			if !tr.Start.IsZero() {
				t := tr.Start.Add(at)
				sg.Start = &t
			}
			for _, r := range results {
				var v *float64
				if i < len(r.SurgeScaleOuts) {
					v = r.SurgeScaleOuts[i]
				}
				sg.ScaleOuts = append(sg.ScaleOuts, scaleOut{r.Summary.Policy, v})
			}
			out.Surges = append(out.Surges, sg)
		}
	}
	return writeJSON(w, out)
}

// thousands formats a number with thousands separators, rounded.
func thousands(v float64) string {
	neg := v < 0
	s := strconv.FormatInt(int64(v+0.5), 10)
	if neg {
		s = strconv.FormatInt(int64(-v+0.5), 10)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
