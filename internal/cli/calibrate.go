package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/internal/calibrate"
	"github.com/fastscaler/fastscaler/internal/chart"
)

// defaultSince is how much history calibrate reads unless told otherwise: two weeks of 1-minute datapoints,
// which CloudWatch keeps for 15 days.
const defaultSince = "14d"

var calibrateCmd = command{
	name:    "calibrate",
	summary: "recommend FASTSCALER_CAPACITY from recorded history: the per-task load where a service degrades",
	usage: `Usage: fastscaler calibrate [--since DURATION] [--service NAME ...] [--json] [--chart FILE.png|FILE.svg]
                            [--export-trace FILE.csv] [--discovery-name SERVICE=NAME ...] [--cluster NAME]

Reads the cluster's recorded history from CloudWatch (GetMetricData; no other AWS call, nothing is changed) and
estimates, per service, the requests/s one task serves before it degrades: the knee. The per-task load is the
router's RequestRate that the daemon publishes (FASTSCALER_METRICS_NAMESPACE, default Fastscaler) times the
service's FASTSCALER_WEIGHTS share, divided by its running tasks (Container Insights' RunningTaskCount, else the
daemon's DesiredCount). The knee is where Service Connect's TargetResponseTime rises to ` + fmt.Sprint(calibrate.DefaultLatencyRise) + `x its baseline
or its 5xx rate exceeds its low-load rate by ` + fmt.Sprint(calibrate.DefaultMaxErrorRate*100) + ` percentage points (else, without Service Connect
data, where CPU reaches ` + fmt.Sprint(calibrate.DefaultTargetCPU) + `%), placed by a two-segment fit, with a 10-90% range from a bootstrap over
hours. The recommended capacity is the knee x ` + fmt.Sprint(calibrate.DefaultMargin) + `, rounded down to 2 significant figures. It needs at
least ` + fmt.Sprint(calibrate.DefaultMinHours) + ` hours of history, with surges that push the load past the knee.

Prints the span the data covers, then per service the current and recommended capacity, the knee and its range,
the signal it was found in, the hours of history, the surges and the time spent beyond the knee, and a
FASTSCALER_CAPACITY line to paste. A service whose history cannot place the knee gets no recommendation but what
is missing: too short a history (how many more hours to wait, or a longer --since when the window is the limit),
a load that never reached the knee, too few minutes beyond it, or no task count at all. By default every
service in FASTSCALER_CAPACITY with a FASTSCALER_WEIGHTS share above 0 is calibrated (the router and services
without a listed weight count 100%).

Service Connect publishes its metrics by discovery name, which this command does not read from ECS: it assumes
the service's name, and --discovery-name SERVICE=NAME overrides it (the service's Service Connect discoveryName,
or its port name where no discoveryName is set). A service without Service Connect data falls back to CPU, and
the output says so.

--since reads 1-minute data, which CloudWatch keeps for 15 days, so it takes at most 15d: older data is averaged
over 5 minutes, which mixes a surge's overloaded minutes with normal ones and places the knee too low. DURATION
is like 36h or 14d. The window ends ` + fmtDuration(calibrate.DeliveryDelay) + ` before now, as AWS/ECS and Container Insights deliver late.

Exit codes: 0 when at least one service got a recommendation and every file asked for was written; 1 when no
service got one (not enough data: the message says how much more is needed), AWS failed, or the --chart or
--export-trace file could not be written (the results are printed all the same); 2 for bad flags or
configuration, before any AWS call.

Flags:
  --since DURATION             history to read (default ` + defaultSince + `)
  --service NAME               calibrate only this service (repeatable; default every service with traffic)
  --json                       machine-readable recommendations, evidence and refusals
  --chart FILE                 write a chart (FILE.png or FILE.svg) of per-task load against the signal per
                               service, with the knee, its range and the recommended capacity (no chart without it)
  --export-trace FILE          write the router's request rate as a CSV that 'fastscaler simulate --trace' replays
  --discovery-name SVC=NAME    the Service Connect discovery name of a service (repeatable; default its name)
  --cluster NAME               overrides FASTSCALER_CLUSTER

Example:
  fastscaler calibrate --since 14d --discovery-name api=api-http --discovery-name api-canary=api-http-canary
  fastscaler calibrate --service api --json | jq '.recommendations[] | {service, capacity_rps, knee_rps}'
  fastscaler calibrate --chart calibrate.png --export-trace last-2-weeks.csv; fastscaler simulate --trace last-2-weeks.csv
`,
	run: runCalibrate,
}

// CalibrateReport is the output of `fastscaler calibrate --json`.
type CalibrateReport struct {
	Cluster   string    `json:"cluster"`
	Router    string    `json:"router"`
	Namespace string    `json:"namespace"`
	Start     time.Time `json:"start"`  // first period read
	End       time.Time `json:"end"`    // end of the last period read
	Period    string    `json:"period"` // every datapoint's period, e.g. 1m0s
	// DataStart and DataEnd are the span the usable data covers, over every service: the start of the first
	// period with a request rate and a running task, and the end of the last. Absent when there is none.
	DataStart       time.Time                 `json:"data_start,omitzero"`
	DataEnd         time.Time                 `json:"data_end,omitzero"`
	Recommendations []CalibrateRecommendation `json:"recommendations"`
	Refusals        []CalibrateRefusal        `json:"refusals"`
	// SuggestedCapacity is a FASTSCALER_CAPACITY value: the recommendation where there is one, the current elsewhere.
	SuggestedCapacity string `json:"suggested_capacity"`
	// Warnings are problems with the inputs that did not stop the run, e.g. a discovery name without data.
	Warnings []string `json:"warnings"`
	Chart    string   `json:"chart,omitempty"`
	Trace    string   `json:"trace,omitempty"`
}

// CalibrateRecommendation is one service's recommended capacity and the evidence for it (calibrate.Recommendation),
// after what the command knows of the service besides its history.
type CalibrateRecommendation struct {
	Service       string  `json:"service"`
	DiscoveryName string  `json:"discovery_name,omitempty"` // the Service Connect name queried; empty for the router
	Weight        float64 `json:"weight"`                   // percent of the router's requests
	CurrentRPS    float64 `json:"current_rps"`              // FASTSCALER_CAPACITY now
	calibrate.Recommendation
}

// CalibrateRefusal is a service that got no recommendation, and why.
type CalibrateRefusal struct {
	Service       string  `json:"service"`
	DiscoveryName string  `json:"discovery_name,omitempty"`
	CurrentRPS    float64 `json:"current_rps"`
	// Shortfall is short_history, knee_not_reached, few_periods_beyond_the_knee, no_task_count (neither
	// RunningTaskCount nor DesiredCount has data), or invalid_data (the history itself is wrong, e.g. negative
	// values; Message says how).
	Shortfall string `json:"shortfall"`
	// Have and Need are in Unit: hours for short_history, periods for few_periods_beyond_the_knee; for
	// knee_not_reached Have is the highest per-task rps seen (the knee is above it) and Need is 0.
	Have    float64  `json:"have"`
	Need    float64  `json:"need"`
	Unit    string   `json:"unit,omitempty"`
	Message string   `json:"message"` // what is missing and how much more is needed
	Notes   []string `json:"notes,omitempty"`
}

func runCalibrate(ctx context.Context, env Env, args []string) error {
	fs := newFlags("calibrate")
	sinceFlag := fs.String("since", defaultSince, "history to read")
	var services serviceCounts
	fs.Var(&services, "service", "NAME")
	asJSON := fs.Bool("json", false, "JSON")
	chartPath := fs.String("chart", "", "chart file, .png or .svg")
	tracePath := fs.String("export-trace", "", "CSV of the router's request rate")
	var discovery discoveryNames
	fs.Var(&discovery, "discovery-name", "SERVICE=NAME")
	cluster := fs.String("cluster", "", "cluster")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		return usageError{err}
	}
	var chartFormat chart.Format
	if *chartPath != "" {
		if chartFormat, err = chart.FormatOf(*chartPath); err != nil {
			return usageError{fmt.Errorf("--chart %w", err)}
		}
	}
	if err := services.parse(false); err != nil {
		return usageError{err}
	}
	cfg, err := servicesConfig(env, *cluster)
	if err != nil {
		return err
	}
	if v, ok := explicitlyEmpty(env.Environ, "FASTSCALER_METRICS_NAMESPACE"); ok {
		return usagef("FASTSCALER_METRICS_NAMESPACE=%q: the daemon publishes its RequestRate only to a namespace, and "+
			"calibrate reads it from there; set the daemon's namespace (default Fastscaler)", v)
	}
	targets, err := calibrateTargets(cfg, services.names, discovery.raw)
	if err != nil {
		return usageError{err}
	}
	q, err := calibrate.Queries(cfg.Cluster, cfg.RouterService, targets, cfg.MetricsNamespace, since, env.clock().Now())
	if err != nil {
		return usageError{err}
	}

	awsCfg, err := loadAWS(ctx, env)
	if err != nil {
		return err
	}
	results, err := getMetricData(ctx, cloudwatch.NewFromConfig(awsCfg), q)
	if err != nil {
		return explainAWS(err)
	}
	histories, err := q.Histories(results)
	if err != nil {
		return fmt.Errorf("reading the history of cluster %s: %w", cfg.Cluster, err)
	}

	rep := CalibrateReport{
		Cluster: cfg.Cluster, Router: cfg.RouterService, Namespace: cfg.MetricsNamespace,
		Start: q.Start, End: q.End, Period: q.Period.String(),
		Recommendations: []CalibrateRecommendation{}, Refusals: []CalibrateRefusal{}, Warnings: []string{},
	}
	why := refusalContext{cluster: cfg.Cluster, namespace: cfg.MetricsNamespace, since: *sinceFlag, window: q.End.Sub(q.Start)}
	var recs []calibrate.Recommendation
	noSC := map[string]bool{} // services without Service Connect data under the discovery name queried
	for i, h := range histories {
		t := targets[i]
		disc := t.DiscoveryName
		if t.Service == cfg.RouterService {
			disc = "" // reached through the NLB: no Service Connect name was queried
		} else if len(h.Latency.Times) == 0 && len(h.Errors5xx.Times) == 0 {
			noSC[t.Service] = true
			rep.Warnings = append(rep.Warnings, noServiceConnectWarning(cfg, t))
		}
		// A malformed history fails UsableSpan as it fails Estimate, whose refusal reports it: only the span is skipped.
		if from, to, err := h.UsableSpan(); err == nil && !from.IsZero() {
			if rep.DataStart.IsZero() || from.Before(rep.DataStart) {
				rep.DataStart = from
			}
			if to.After(rep.DataEnd) {
				rep.DataEnd = to
			}
		}
		rec, err := calibrate.Estimate(h, calibrate.Options{})
		if err != nil {
			rep.Refusals = append(rep.Refusals, refusal(t, disc, cfg.Capacity[t.Service], h.Notes, err, why))
			continue
		}
		recs = append(recs, rec)
		rep.Recommendations = append(rep.Recommendations, recommendation(t, disc, cfg.Capacity[t.Service], rec))
	}
	rep.SuggestedCapacity = suggestedCapacity(cfg, recs)

	// Files first, so that the output can say what was written; a file that fails does not hide the results.
	var fileErrs []error
	if *chartPath != "" {
		err := writeFile(*chartPath, func(w io.Writer) error { return calibrate.WriteChart(w, chartFormat, recs, histories) })
		if err != nil {
			fileErrs = append(fileErrs, fmt.Errorf("--chart %s: %w", *chartPath, err))
		} else {
			rep.Chart = *chartPath
		}
	}
	if *tracePath != "" {
		err := func() error {
			rate, err := q.RouterRequestRate(results)
			if err != nil {
				return err
			}
			return writeFile(*tracePath, func(w io.Writer) error { return calibrate.ExportTrace(w, rate) })
		}()
		if err != nil {
			fileErrs = append(fileErrs, fmt.Errorf("--export-trace %s: %w", *tracePath, err))
		} else {
			rep.Trace = *tracePath
		}
	}

	if *asJSON {
		if err := writeJSON(env.Stdout, rep); err != nil {
			return fmt.Errorf("writing the JSON report: %w", err)
		}
	} else {
		printCalibrate(env.Stdout, rep, *sinceFlag, noSC)
	}

	if len(rep.Recommendations) == 0 {
		msgs := make([]string, 0, len(rep.Refusals)+len(fileErrs))
		for _, r := range rep.Refusals {
			msgs = append(msgs, r.Message)
		}
		for _, e := range fileErrs {
			msgs = append(msgs, e.Error())
		}
		return fmt.Errorf("no recommendation: not one service's history could place its knee:\n%s", strings.Join(msgs, "\n"))
	}
	return errors.Join(fileErrs...)
}

// noServiceConnectWarning says that t had no Service Connect data under the discovery name queried, so its knee,
// if any, comes from CPU alone, and how to point calibrate at the right name.
func noServiceConnectWarning(cfg autoscaler.Config, t calibrate.Target) string {
	return fmt.Sprintf("%s: no Service Connect data (AWS/ECS TargetResponseTime or HTTPCode_Target_5XX_Count) for discovery "+
		"name %q, from %s or any caller, in the window read: %s is judged on CPU reaching %g%%, which says nothing of its "+
		"latency. If it is reached through Service Connect, give its discovery name: --discovery-name %s=NAME",
		t.Service, t.DiscoveryName, cfg.RouterService, t.Service, float64(calibrate.DefaultTargetCPU), t.Service)
}

// parseSince reads --since: a duration (36h, 14d) up to calibrate.MaxSince.
func parseSince(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--since %q: %v", s, err)
	case d <= 0:
		return 0, fmt.Errorf("--since %q: must be positive", s)
	case d > calibrate.MaxSince:
		days := int(calibrate.MaxSince / (24 * time.Hour))
		return 0, fmt.Errorf("--since %s: at most %dd: CloudWatch keeps 1-minute data for %d days, and its 5-minute averages "+
			"beyond mix a surge's overloaded minutes with normal ones, which places the knee too low", s, days, days)
	}
	return d, nil
}

// explicitlyEmpty reports whether key is set to blanks in environ (the last assignment wins), and its value.
func explicitlyEmpty(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, strings.TrimSpace(v) == ""
		}
	}
	return "", false
}

// discoveryNames is a repeatable --discovery-name SERVICE=NAME flag.
type discoveryNames struct{ raw []string }

func (d *discoveryNames) String() string { return strings.Join(d.raw, ",") }

func (d *discoveryNames) Set(v string) error {
	d.raw = append(d.raw, v)
	return nil
}

// calibrateTargets returns the services to calibrate, sorted by name: the named ones, or every service in
// FASTSCALER_CAPACITY with a weight above 0, each with its discovery name. Every problem is reported at once.
func calibrateTargets(cfg autoscaler.Config, names []string, discovery []string) ([]calibrate.Target, error) {
	var errs []error
	weight := func(name string) float64 {
		if w, ok := cfg.Weights[name]; ok {
			return w
		}
		return config.DefaultWeight
	}
	if len(names) > 0 {
		if err := checkScaled(cfg, names); err != nil {
			errs = append(errs, err)
		}
		for _, n := range names {
			if _, ok := cfg.Capacity[n]; ok && weight(n) == 0 {
				errs = append(errs, fmt.Errorf("--service %s: its FASTSCALER_WEIGHTS share is 0, so no router traffic reaches it "+
					"and there is no load to calibrate against", n))
			}
		}
	} else {
		for _, n := range cfg.Services() {
			if weight(n) > 0 {
				names = append(names, n)
			}
		}
	}

	disc := map[string]string{}
	for _, v := range discovery {
		svc, name, ok := strings.Cut(v, "=")
		svc, name = strings.TrimSpace(svc), strings.TrimSpace(name)
		switch {
		case !ok || svc == "" || name == "":
			errs = append(errs, fmt.Errorf("--discovery-name %q: want SERVICE=NAME, e.g. api=api-http", v))
		case disc[svc] != "":
			errs = append(errs, fmt.Errorf("--discovery-name %s given twice", svc))
		case svc == cfg.RouterService:
			errs = append(errs, fmt.Errorf("--discovery-name %s: the router (FASTSCALER_ROUTER_SERVICE) is reached through the "+
				"load balancer, not Service Connect, so it has no discovery name to query", svc))
		default:
			if _, scaled := cfg.Capacity[svc]; !scaled {
				errs = append(errs, fmt.Errorf("--discovery-name %s=%s: service %q is not in FASTSCALER_CAPACITY (%s)",
					svc, name, svc, strings.Join(cfg.Services(), ", ")))
			}
			disc[svc] = name
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	targets := make([]calibrate.Target, 0, len(names))
	for _, n := range names {
		d := disc[n]
		if d == "" {
			d = n
		}
		targets = append(targets, calibrate.Target{Service: n, DiscoveryName: d, Weight: weight(n)})
	}
	return targets, nil
}

// getMetricData runs the queries over every page of the answer. Each page carries part of each query's
// datapoints; QuerySet.Histories merges them by query id, in page order.
func getMetricData(ctx context.Context, client cloudwatch.GetMetricDataAPIClient, q calibrate.QuerySet) ([]types.MetricDataResult, error) {
	p := cloudwatch.NewGetMetricDataPaginator(client, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: q.Queries,
		StartTime:         aws.Time(q.Start),
		EndTime:           aws.Time(q.End),
		ScanBy:            types.ScanByTimestampAscending,
	})
	var results []types.MetricDataResult
	for page := 1; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading CloudWatch metrics (GetMetricData, page %d): %w", page, err)
		}
		results = append(results, out.MetricDataResults...)
	}
	return results, nil
}

func recommendation(t calibrate.Target, disc string, current float64, r calibrate.Recommendation) CalibrateRecommendation {
	return CalibrateRecommendation{Service: t.Service, DiscoveryName: disc, Weight: t.Weight, CurrentRPS: current, Recommendation: r}
}

// refusalContext is what a refusal's message needs to know of the run besides the service: where the history
// was read from and how much of it.
type refusalContext struct {
	cluster, namespace string
	since              string        // --since as given
	window             time.Duration // the span of history read
}

func refusal(t calibrate.Target, disc string, current float64, notes []string, err error, why refusalContext) CalibrateRefusal {
	out := CalibrateRefusal{Service: t.Service, DiscoveryName: disc, CurrentRPS: current, Shortfall: "invalid_data",
		Message: err.Error(), Notes: notes}
	var ide *calibrate.InsufficientDataError
	if errors.As(err, &ide) {
		out.Shortfall = strings.ReplaceAll(ide.Shortfall.String(), " ", "_")
		out.Have, out.Need = ide.Have, ide.Need
		switch ide.Shortfall {
		case calibrate.ShortHistory:
			out.Unit = "hours"
			// Waiting does not lengthen a window that is too short itself.
			if why.window.Hours() < ide.Need {
				out.Message = fmt.Sprintf("calibrating %s: --since %s reads only %s of history and the knee needs at least %g "+
					"hours: use --since of at least %gh", t.Service, why.since, fmtDuration(why.window), ide.Need, math.Ceil(ide.Need))
			}
		case calibrate.KneeNotReached:
			out.Unit = "rps"
		case calibrate.FewPeriodsBeyondKnee:
			out.Unit = "periods"
		case calibrate.NoTaskCount:
			out.Message = fmt.Sprintf("calibrating %s: no task count was found for service %s in cluster %s: neither Container "+
				"Insights' RunningTaskCount nor fastscaler's DesiredCount (namespace %s) has datapoints in the window read; "+
				"check the service's name, that Container Insights is on for the cluster, or that the daemon publishes "+
				"DesiredCount there (FASTSCALER_METRICS_NAMESPACE)", t.Service, t.Service, why.cluster, why.namespace)
		}
	}
	return out
}

// suggestedCapacity is a FASTSCALER_CAPACITY value for every configured service: the recommendation where there
// is one, the current capacity elsewhere.
func suggestedCapacity(cfg autoscaler.Config, recs []calibrate.Recommendation) string {
	rec := map[string]float64{}
	for _, r := range recs {
		rec[r.Service] = r.CapacityRPS
	}
	parts := make([]string, 0, len(cfg.Capacity))
	for _, n := range cfg.Services() {
		v, ok := rec[n]
		if !ok {
			v = cfg.Capacity[n]
		}
		parts = append(parts, n+":"+formatNumber(v))
	}
	return strings.Join(parts, ",")
}

// formatNumber writes a capacity as FASTSCALER_CAPACITY takes it, without float noise.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// spanText writes a span of history: whole days as "14 days", else as fmtDuration does.
func spanText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return fmtDuration(d)
}

func printCalibrate(w io.Writer, rep CalibrateReport, since string, noSC map[string]bool) {
	period, _ := time.ParseDuration(rep.Period)
	const stamp = "2006-01-02 15:04"
	if rep.DataStart.IsZero() {
		fmt.Fprintf(w, "cluster %s: no usable %d-minute data (a request rate and a running task) from %s to %s UTC (--since %s); "+
			"load: %s's RequestRate in namespace %s\n\n", rep.Cluster, int(period.Minutes()), rep.Start.UTC().Format(stamp),
			rep.End.UTC().Format(stamp), since, rep.Router, rep.Namespace)
	} else {
		fmt.Fprintf(w, "cluster %s: %s of %d-minute data, %s to %s UTC (--since %s); load: %s's RequestRate in namespace %s\n\n",
			rep.Cluster, spanText(rep.DataEnd.Sub(rep.DataStart)), int(period.Minutes()), rep.DataStart.UTC().Format(stamp),
			rep.DataEnd.UTC().Format(stamp), since, rep.Router, rep.Namespace)
	}

	// One row per service in name order; a refused row's reason is its last, unaligned cell, so that it does not
	// widen the columns.
	type row struct {
		service string
		rec     *CalibrateRecommendation
		ref     *CalibrateRefusal
	}
	var rows []row
	for i := range rep.Recommendations {
		rows = append(rows, row{service: rep.Recommendations[i].Service, rec: &rep.Recommendations[i]})
	}
	for i := range rep.Refusals {
		rows = append(rows, row{service: rep.Refusals[i].Service, ref: &rep.Refusals[i]})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.service, b.service) })

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tCURRENT\tRECOMMENDED\tKNEE (10–90%)\tSIGNAL\tHOURS\tSURGES\tSPREAD\tBEYOND KNEE\t")
	for _, r := range rows {
		if r.ref != nil {
			fmt.Fprintf(tw, "%s\t%s\t-\tno recommendation: %s\n", r.service, formatNumber(r.ref.CurrentRPS),
				strings.ReplaceAll(r.ref.Shortfall, "_", " "))
			continue
		}
		c := r.rec
		change := ""
		if c.CurrentRPS > 0 {
			change = fmt.Sprintf(" (%+.0f%%)", (c.CapacityRPS/c.CurrentRPS-1)*100)
		}
		signal, spread := c.Signal, "-"
		if c.Knee > 0 {
			spread = fmt.Sprintf("±%.0f%%", (c.KneeHigh-c.KneeLow)/2/c.Knee*100)
		}
		if c.Signal == calibrate.SignalCPU {
			signal = "cpu (too little latency/5xx data)"
			if noSC[c.Service] || c.Service == rep.Router {
				signal = "cpu (no latency/5xx data)"
			}
			// A line fitted over thousands of periods barely moves under the bootstrap: its tight range says how
			// precisely CPU reaches the target, not whether the service degrades there.
			if spread == "±0%" {
				spread = "n/a (CPU model)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t%.0f (%.0f–%.0f)\t%s\t%.0f\t%d\t%s\t%s\t\n", c.Service, formatNumber(c.CurrentRPS),
			formatNumber(c.CapacityRPS), change, c.Knee, c.KneeLow, c.KneeHigh, signal, c.Evidence.Hours, c.Evidence.Surges,
			spread, fmtDuration(time.Duration(c.Evidence.PeriodsBeyondKnee)*period))
	}
	tw.Flush()
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "\nWarning: %s\n", warn)
	}

	if len(rep.Refusals) > 0 {
		fmt.Fprintln(w, "\nNo recommendation:")
		for _, r := range rep.Refusals {
			fmt.Fprintf(w, "  %s\n", r.Message)
		}
	}
	if len(rep.Recommendations) > 0 {
		fmt.Fprintf(w, "\nSuggested: FASTSCALER_CAPACITY=%s\n", rep.SuggestedCapacity)
		var kept []string
		recommended := map[string]bool{}
		for _, r := range rep.Recommendations {
			recommended[r.Service] = true
		}
		for _, kv := range strings.Split(rep.SuggestedCapacity, ",") {
			if n, _, _ := strings.Cut(kv, ":"); !recommended[n] {
				kept = append(kept, n)
			}
		}
		if len(kept) > 0 {
			fmt.Fprintf(w, "  (%s: current capacity kept, no recommendation)\n", strings.Join(kept, ", "))
		}
		fmt.Fprintf(w, "  RECOMMENDED is the knee × %g; a lower capacity than today's means more tasks for the same load.\n",
			calibrate.DefaultMargin)
	}

	fmt.Fprintln(w, "\nEvidence:")
	for _, r := range rows {
		var notes []string
		if r.rec != nil {
			ev := r.rec.Evidence
			notes = append(notes, fmt.Sprintf("%d periods with %s used, %d dropped; highest per-task load %.0f rps",
				ev.Periods, r.rec.Signal, ev.Dropped, ev.MaxPerTaskLoad))
			notes = append(notes, ev.Notes...)
		} else {
			notes = r.ref.Notes
		}
		for _, n := range notes {
			fmt.Fprintf(w, "  %s: %s\n", r.service, n)
		}
	}
	if rep.Chart != "" {
		fmt.Fprintf(w, "\nchart: %s\n", rep.Chart)
	}
	if rep.Trace != "" {
		fmt.Fprintf(w, "trace: %s (replay it: fastscaler simulate --trace %s)\n", rep.Trace, rep.Trace)
	}
}

// writeFile creates path and writes it with write, reporting a failure to close as well.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
