package calibrate

// This file alone knows CloudWatch: which metrics hold a service's history and how their GetMetricData results
// become History values. Estimate never sees the SDK.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Metric sources. fastscaler's own metric names are the ones autoscaler.Metrics publishes.
const (
	nsECS               = "AWS/ECS"
	nsContainerInsights = "ECS/ContainerInsights"
	metricRequestRate   = "RequestRate"  // fastscaler: requests/s through the routers; dimension Cluster
	metricDesiredCount  = "DesiredCount" // fastscaler: dimensions Cluster, Service
	metricCPU           = "CPUUtilization"
	metricRunningTasks  = "RunningTaskCount"
	// Service Connect publishes its target metrics (the server's answers, as seen by the caller's proxy) on
	// TargetDiscoveryName alone and on (TargetDiscoveryName, ServiceName, ClusterName) where ServiceName is the
	// calling service; (DiscoveryName, ServiceName, ClusterName) carries only the inbound counts
	// (RequestCount, connections), not TargetResponseTime or the HTTPCode counts.
	metricResponseTime = "TargetResponseTime"        // ms, Average
	metric5xx          = "HTTPCode_Target_5XX_Count" // Sum per period
)

// GetMetricData limits.
const (
	maxQueries     = 500 // MetricDataQueries per GetMetricData call
	maxDimValueLen = 1024
)

// MaxSince is the longest history Queries reads: CloudWatch keeps 1-minute datapoints 15 days. Older data is
// averaged over 5 minutes, which mixes a surge's overloaded minutes with normal ones; those blended periods
// show the latency rise at a lower per-task load than caused it and place the knee too low.
const MaxSince = 15 * 24 * time.Hour

// queryPeriod is every query's period: 1 minute, which CloudWatch keeps for MaxSince.
const queryPeriod = time.Minute

// DeliveryDelay is how long before now the window Queries reads ends: AWS/ECS and Container Insights publish
// their datapoints minutes late, so the last minutes would otherwise lack the task count or CPU of their load.
const DeliveryDelay = 5 * time.Minute

// Target is one service to calibrate.
type Target struct {
	Service string // ECS service name, as in FASTSCALER_CAPACITY
	// DiscoveryName is the service's Service Connect discovery name (the port name when none was set);
	// empty means Service.
	DiscoveryName string
	Weight        float64 // percent of the router's requests that reach the service (FASTSCALER_WEIGHTS), in (0, 100]
}

// QuerySet is the GetMetricData request for a calibration: its queries, the window they cover and the period.
type QuerySet struct {
	Start, End time.Time               // GetMetricData's StartTime and EndTime: whole periods
	Period     time.Duration           // every query's period
	Queries    []types.MetricDataQuery // GetMetricData's MetricDataQueries
	targets    []Target
	router     string
	cluster    string // the Cluster dimension of fastscaler's metrics
	namespace  string // fastscaler's metrics namespace
}

// query kinds, the suffix of each target's query ids.
const (
	kindDesired     = "desired"
	kindTasks       = "tasks"
	kindCPU         = "cpu"
	kindLatency     = "latency"     // the router's calls to the service
	kindLatencyAll  = "latency_all" // every caller's calls
	kindErrors      = "errors"
	kindErrorsAll   = "errors_all"
	routerRequestID = "router_rps"
)

// queryID is target i's query of a kind: ids must start with a lowercase letter and hold only letters, digits
// and underscores, which service names need not, so the index names the service.
func queryID(i int, kind string) string { return fmt.Sprintf("s%d_%s", i, kind) }

// Queries returns the GetMetricData queries for calibrating targets over the since before now: fastscaler's
// RequestRate (namespace, dimension Cluster) and DesiredCount, AWS/ECS CPUUtilization, Container Insights'
// RunningTaskCount, and Service Connect's TargetResponseTime and HTTPCode_Target_5XX_Count (each twice: the
// router's calls, and every caller's). Every query has a 1-minute Period, so since is at most MaxSince (15
// days, CloudWatch's retention of 1-minute data): coarser averages bias the knee low, and are refused.
//
// The window is since long and ends DeliveryDelay before now, on a whole minute, because AWS/ECS and Container
// Insights deliver their datapoints late; its start is never older than MaxSince, which keeps every datapoint at
// 1 minute (CloudWatch picks the resolution a StartTime allows by its age), so a since of MaxSince reads
// DeliveryDelay less.
func Queries(cluster, router string, targets []Target, namespace string, since time.Duration, now time.Time) (QuerySet, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	cluster = lastPathPart(cluster)
	if cluster == "" {
		bad("cluster is empty")
	}
	if router == "" {
		bad("router service is empty (FASTSCALER_ROUTER_SERVICE): its request rate is the load being calibrated")
	}
	if namespace == "" {
		bad("metrics namespace is empty: fastscaler publishes its RequestRate only when FASTSCALER_METRICS_NAMESPACE is set, and calibrate needs it")
	}
	switch {
	case since <= 0:
		bad("since %v: want a positive duration", since)
	case since > MaxSince:
		bad("since %v: at most %d days: CloudWatch keeps 1-minute data for %d days, and its 5-minute averages beyond "+
			"mix overloaded minutes with normal ones, which places the knee too low", since, int(MaxSince/(24*time.Hour)),
			int(MaxSince/(24*time.Hour)))
	}
	if now.IsZero() {
		bad("now is the zero time")
	}
	if len(targets) == 0 {
		bad("no services to calibrate")
	}
	seen := map[string]bool{}
	for _, t := range targets {
		switch {
		case t.Service == "":
			bad("a service has an empty name")
		case seen[t.Service]:
			bad("service %s is listed twice", t.Service)
		case len(t.Service) > maxDimValueLen || len(t.DiscoveryName) > maxDimValueLen:
			bad("service %s: name or discovery name longer than CloudWatch's %d characters", t.Service, maxDimValueLen)
		case !(t.Weight > 0 && t.Weight <= 100):
			bad("service %s: weight %v%%: want more than 0 and at most 100 (a service without router traffic cannot be calibrated)",
				t.Service, t.Weight)
		}
		seen[t.Service] = true
	}
	if n := 1 + 7*len(targets); n > maxQueries {
		bad("%d services need %d queries; one GetMetricData call takes at most %d: calibrate at most %d services at a time",
			len(targets), n, maxQueries, (maxQueries-1)/7)
	}
	if len(errs) > 0 {
		return QuerySet{}, fmt.Errorf("building CloudWatch queries: %w", errors.Join(errs...))
	}

	period := queryPeriod
	// Whole periods only: the end drops the periods still being delivered; the start, rounded up, is never older
	// than MaxSince.
	ceil := func(t time.Time) time.Time {
		if r := t.Truncate(period); r.Before(t) {
			return r.Add(period)
		}
		return t
	}
	now = now.UTC()
	end := now.Add(-DeliveryDelay).Truncate(period)
	start := ceil(end.Add(-since))
	if oldest := ceil(now.Add(-MaxSince)); start.Before(oldest) {
		start = oldest
	}
	if !start.Before(end) {
		return QuerySet{}, fmt.Errorf("building CloudWatch queries: since %v holds no whole %v period ending %v before %s",
			since, period, DeliveryDelay, now.Format(time.RFC3339))
	}

	secs := int32(period / time.Second)
	q := QuerySet{Start: start, End: end, Period: period, targets: slices.Clone(targets), router: router, cluster: cluster,
		namespace: namespace}
	add := func(id, label, ns, name, stat string, dims ...string) {
		m := &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
		for i := 0; i+1 < len(dims); i += 2 {
			m.Dimensions = append(m.Dimensions, types.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
		}
		q.Queries = append(q.Queries, types.MetricDataQuery{
			Id:         aws.String(id),
			Label:      aws.String(label),
			MetricStat: &types.MetricStat{Metric: m, Period: aws.Int32(secs), Stat: aws.String(stat)},
			ReturnData: aws.Bool(true),
		})
	}
	add(routerRequestID, "router RequestRate", namespace, metricRequestRate, "Average", "Cluster", cluster)
	for i, t := range targets {
		svc, disc := t.Service, t.discoveryName()
		add(queryID(i, kindDesired), svc+" DesiredCount", namespace, metricDesiredCount, "Average",
			"Cluster", cluster, "Service", svc)
		add(queryID(i, kindTasks), svc+" RunningTaskCount", nsContainerInsights, metricRunningTasks, "Average",
			"ClusterName", cluster, "ServiceName", svc)
		add(queryID(i, kindCPU), svc+" CPUUtilization", nsECS, metricCPU, "Average",
			"ClusterName", cluster, "ServiceName", svc)
		if svc == router {
			continue // the router is reached through the NLB, not Service Connect: no target metrics
		}
		add(queryID(i, kindLatency), svc+" TargetResponseTime from "+router, nsECS, metricResponseTime, "Average",
			"ClusterName", cluster, "ServiceName", router, "TargetDiscoveryName", disc)
		add(queryID(i, kindErrors), svc+" HTTPCode_Target_5XX_Count from "+router, nsECS, metric5xx, "Sum",
			"ClusterName", cluster, "ServiceName", router, "TargetDiscoveryName", disc)
		add(queryID(i, kindLatencyAll), svc+" TargetResponseTime", nsECS, metricResponseTime, "Average",
			"TargetDiscoveryName", disc)
		add(queryID(i, kindErrorsAll), svc+" HTTPCode_Target_5XX_Count", nsECS, metric5xx, "Sum",
			"TargetDiscoveryName", disc)
	}
	return q, nil
}

func (t Target) discoveryName() string {
	if t.DiscoveryName == "" {
		return t.Service
	}
	return t.DiscoveryName
}

// lastPathPart returns the name in an ARN (arn:aws:ecs:…:cluster/NAME), or s itself: CloudWatch dimensions
// carry the cluster's name.
func lastPathPart(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// collect merges results by Id, across the pages of a paginated answer (in page order), and checks their status.
func (q QuerySet) collect(results []types.MetricDataResult) (map[string]Series, error) {
	series := map[string]Series{}
	last := map[string]types.MetricDataResult{} // each query's result on the last page that had it
	for _, r := range results {
		id := aws.ToString(r.Id)
		if len(r.Timestamps) != len(r.Values) {
			return nil, fmt.Errorf("reading CloudWatch results: query %s has %d timestamps but %d values", id, len(r.Timestamps), len(r.Values))
		}
		switch r.StatusCode {
		case types.StatusCodeForbidden, types.StatusCodeInternalError:
			return nil, fmt.Errorf("reading CloudWatch results: query %s (%s): %s %s", id, aws.ToString(r.Label), r.StatusCode,
				cloudWatchMessages(r))
		}
		s := series[id]
		s.Times = append(s.Times, r.Timestamps...)
		s.Values = append(s.Values, r.Values...)
		series[id] = s
		last[id] = r
	}
	// Every page has been read (the paginator follows NextToken), so a query whose last page is still PartialData
	// is one CloudWatch could not answer in full: say what CloudWatch said.
	var partial []string
	for id, r := range last {
		if r.StatusCode == types.StatusCodePartialData {
			partial = append(partial, fmt.Sprintf("query %s (%s): %s", id, aws.ToString(r.Label), cloudWatchMessages(r)))
		}
	}
	if len(partial) > 0 {
		slices.Sort(partial)
		return nil, fmt.Errorf("reading CloudWatch results: CloudWatch returned only part of the data after the last page: %s",
			strings.Join(partial, "; "))
	}
	return series, nil
}

// cloudWatchMessages joins a result's messages as CODE: TEXT, or says there were none.
func cloudWatchMessages(r types.MetricDataResult) string {
	if len(r.Messages) == 0 {
		return "no message from CloudWatch"
	}
	msgs := make([]string, 0, len(r.Messages))
	for _, m := range r.Messages {
		msgs = append(msgs, aws.ToString(m.Code)+": "+aws.ToString(m.Value))
	}
	return strings.Join(msgs, "; ")
}

// RouterRequestRate returns the router's request rate from the GetMetricData results, for ExportTrace.
func (q QuerySet) RouterRequestRate(results []types.MetricDataResult) (Series, error) {
	series, err := q.collect(results)
	if err != nil {
		return Series{}, err
	}
	s := series[routerRequestID]
	if len(s.Times) == 0 {
		return Series{}, q.noRequestRate()
	}
	return s, nil
}

// ErrNoRequestRate means the results hold no router request rate from fastscaler, without which nothing calibrates.
// The errors that wrap it name the namespace, the Cluster dimension and the window queried.
var ErrNoRequestRate = errors.New("no RequestRate datapoints from fastscaler")

// noRequestRate wraps ErrNoRequestRate with where it was looked for and what to check.
func (q QuerySet) noRequestRate() error {
	return fmt.Errorf("%w in namespace %s with dimension Cluster=%s from %s to %s UTC: is the daemon running with "+
		"FASTSCALER_METRICS_NAMESPACE=%s and FASTSCALER_CLUSTER=%s (or that cluster's ARN), and has it been long enough?",
		ErrNoRequestRate, q.namespace, q.cluster, q.Start.UTC().Format("2006-01-02 15:04"), q.End.UTC().Format("2006-01-02 15:04"),
		q.namespace, q.cluster)
}

// Histories turns the GetMetricData results (every page) into one History per target, in Queries' order. A
// service whose own series are missing still gets its History, which Estimate then refuses with the reason;
// Notes say which metric stood in for which.
func (q QuerySet) Histories(results []types.MetricDataResult) ([]History, error) {
	series, err := q.collect(results)
	if err != nil {
		return nil, err
	}
	router := series[routerRequestID]
	if len(router.Times) == 0 {
		return nil, q.noRequestRate()
	}
	out := make([]History, 0, len(q.targets))
	for i, t := range q.targets {
		h := History{Service: t.Service, Period: q.Period, CPU: series[queryID(i, kindCPU)]}
		h.RequestRate = Series{Times: slices.Clone(router.Times), Values: make([]float64, len(router.Values))}
		for j, v := range router.Values {
			h.RequestRate.Values[j] = v * t.Weight / 100
		}
		if t.Weight != 100 {
			h.Notes = append(h.Notes, fmt.Sprintf("request rate: the router's × %g%% (its weight)", t.Weight))
		}

		h.RunningTasks = series[queryID(i, kindTasks)]
		if len(h.RunningTasks.Times) == 0 {
			h.RunningTasks = series[queryID(i, kindDesired)]
			if len(h.RunningTasks.Times) > 0 {
				h.Notes = append(h.Notes, "running tasks: no Container Insights RunningTaskCount (is Container Insights on?); "+
					"using fastscaler's DesiredCount, which counts tasks still starting and so understates the per-task load during scale-outs")
			} else {
				h.Notes = append(h.Notes, "running tasks: neither Container Insights' RunningTaskCount nor fastscaler's DesiredCount has datapoints")
			}
		}
		if len(h.CPU.Times) == 0 {
			h.Notes = append(h.Notes, "no AWS/ECS CPUUtilization for the service")
		}
		if t.Service != q.router {
			var note string
			h.Latency, h.Errors5xx, note = serviceConnect(series, i, q.router, t.discoveryName())
			if note != "" {
				h.Notes = append(h.Notes, note)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// serviceConnect returns the latency and 5xx series of target i: those of the router's calls when there are any
// (the very traffic the per-task load counts, in this cluster), else those of every caller, saying so. Both come
// from one source, so latency and 5xx always describe the same requests.
func serviceConnect(series map[string]Series, i int, router, disc string) (latency, errs Series, note string) {
	latency, errs = series[queryID(i, kindLatency)], series[queryID(i, kindErrors)]
	if len(latency.Times) > 0 || len(errs.Times) > 0 {
		return latency, errs, ""
	}
	latency, errs = series[queryID(i, kindLatencyAll)], series[queryID(i, kindErrorsAll)]
	if len(latency.Times) > 0 || len(errs.Times) > 0 {
		return latency, errs, fmt.Sprintf("Service Connect: no %s or %s datapoints for %s's calls, so those of every caller "+
			"of discovery name %s (possibly in other clusters too)", metricResponseTime, metric5xx, router, disc)
	}
	return Series{}, Series{}, fmt.Sprintf("Service Connect: no %s or %s datapoints for discovery name %s",
		metricResponseTime, metric5xx, disc)
}
