package calibrate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakecw"
)

// queryShape is what matters of a MetricDataQuery, in a form go-cmp prints readably.
type queryShape struct {
	ID, Namespace, Metric, Stat string
	Period                      int32
	Dims                        map[string]string
}

func shapes(qs []types.MetricDataQuery) []queryShape {
	var out []queryShape
	for _, q := range qs {
		s := queryShape{ID: aws.ToString(q.Id)}
		if ms := q.MetricStat; ms != nil {
			s.Stat, s.Period = aws.ToString(ms.Stat), aws.ToInt32(ms.Period)
			if m := ms.Metric; m != nil {
				s.Namespace, s.Metric = aws.ToString(m.Namespace), aws.ToString(m.MetricName)
				s.Dims = map[string]string{}
				for _, d := range m.Dimensions {
					s.Dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// queryIDRule is GetMetricData's rule for ids.
var queryIDRule = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func TestQueriesShapes(t *testing.T) {
	now := time.Date(2026, 11, 15, 10, 30, 30, 0, time.UTC)
	targets := []Target{
		{Service: "Api-Service_2", Weight: 100},
		{Service: "router", Weight: 100},
		{Service: "api-canary", DiscoveryName: "canary-http", Weight: 10},
	}
	q, err := Queries("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "router", targets, "Fastscaler", 14*24*time.Hour, now)
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	if want := time.Date(2026, 11, 1, 10, 25, 0, 0, time.UTC); !q.Start.Equal(want) {
		t.Errorf("Start = %v, want %v (14 days before the end)", q.Start, want)
	}
	if want := time.Date(2026, 11, 15, 10, 25, 0, 0, time.UTC); !q.End.Equal(want) {
		t.Errorf("End = %v, want %v (5 minutes before now, on the minute: the minutes still being delivered left out)", q.End, want)
	}
	if q.Period != time.Minute {
		t.Errorf("Period = %v, want 1m", q.Period)
	}

	cluster := func(extra ...string) map[string]string {
		m := map[string]string{"ClusterName": "prod"}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	perService := func(i, svc, disc string) []queryShape {
		out := []queryShape{
			{ID: "s" + i + "_desired", Namespace: "Fastscaler", Metric: "DesiredCount", Stat: "Average", Period: 60,
				Dims: map[string]string{"Cluster": "prod", "Service": svc}},
			{ID: "s" + i + "_tasks", Namespace: "ECS/ContainerInsights", Metric: "RunningTaskCount", Stat: "Average", Period: 60,
				Dims: cluster("ServiceName", svc)},
			{ID: "s" + i + "_cpu", Namespace: "AWS/ECS", Metric: "CPUUtilization", Stat: "Average", Period: 60,
				Dims: cluster("ServiceName", svc)},
		}
		if disc == "" {
			return out
		}
		return append(out,
			queryShape{ID: "s" + i + "_latency", Namespace: "AWS/ECS", Metric: "TargetResponseTime", Stat: "Average", Period: 60,
				Dims: cluster("ServiceName", "router", "TargetDiscoveryName", disc)},
			queryShape{ID: "s" + i + "_errors", Namespace: "AWS/ECS", Metric: "HTTPCode_Target_5XX_Count", Stat: "Sum", Period: 60,
				Dims: cluster("ServiceName", "router", "TargetDiscoveryName", disc)},
			queryShape{ID: "s" + i + "_latency_all", Namespace: "AWS/ECS", Metric: "TargetResponseTime", Stat: "Average", Period: 60,
				Dims: map[string]string{"TargetDiscoveryName": disc}},
			queryShape{ID: "s" + i + "_errors_all", Namespace: "AWS/ECS", Metric: "HTTPCode_Target_5XX_Count", Stat: "Sum", Period: 60,
				Dims: map[string]string{"TargetDiscoveryName": disc}},
		)
	}
	want := []queryShape{{ID: "router_rps", Namespace: "Fastscaler", Metric: "RequestRate", Stat: "Average", Period: 60,
		Dims: map[string]string{"Cluster": "prod"}}}
	want = append(want, perService("0", "Api-Service_2", "Api-Service_2")...)
	want = append(want, perService("1", "router", "")...) // behind the NLB: no Service Connect target metrics
	want = append(want, perService("2", "api-canary", "canary-http")...)
	if diff := cmp.Diff(want, shapes(q.Queries)); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}

	seen := map[string]bool{}
	for _, qq := range q.Queries {
		id := aws.ToString(qq.Id)
		if !queryIDRule.MatchString(id) || len(id) > 255 || seen[id] {
			t.Errorf("query id %q: want unique, ≤ 255 characters, matching %s", id, queryIDRule)
		}
		seen[id] = true
		if qq.Expression != nil || !aws.ToBool(qq.ReturnData) || aws.ToString(qq.Label) == "" {
			t.Errorf("query %s: want a labelled MetricStat query returning data", id)
		}
	}
}

// TestQueriesPeriod: every window up to MaxSince is read in whole 1-minute periods, ending 5 minutes before now
// (AWS/ECS and Container Insights deliver late) and never starting more than MaxSince ago.
func TestQueriesPeriod(t *testing.T) {
	now := time.Date(2026, 11, 15, 10, 32, 30, 0, time.UTC)
	end := time.Date(2026, 11, 15, 10, 27, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		since     time.Duration
		wantStart time.Time
	}{
		{time.Hour, time.Date(2026, 11, 15, 9, 27, 0, 0, time.UTC)},
		{90 * time.Second, time.Date(2026, 11, 15, 10, 26, 0, 0, time.UTC)}, // rounded up to a whole minute
		{14 * day, time.Date(2026, 11, 1, 10, 27, 0, 0, time.UTC)},
		{MaxSince, time.Date(2026, 10, 31, 10, 33, 0, 0, time.UTC)}, // 15 days before now, rounded up: 5 minutes short
	}
	for _, tt := range tests {
		q, err := Queries("prod", "router", []Target{{Service: "api", Weight: 100}}, "Fastscaler", tt.since, now)
		if err != nil {
			t.Fatalf("Queries(since %v): %v", tt.since, err)
		}
		if q.Period != time.Minute || !q.Start.Equal(tt.wantStart) || !q.End.Equal(end) {
			t.Errorf("since %v: period %v, %v to %v; want 1m0s, %v to %v", tt.since, q.Period, q.Start, q.End, tt.wantStart, end)
		}
		for _, qq := range q.Queries {
			if got := aws.ToInt32(qq.MetricStat.Period); got != 60 {
				t.Errorf("since %v: query %s has period %d, want 60", tt.since, aws.ToString(qq.Id), got)
			}
		}
	}
}

func TestQueriesErrors(t *testing.T) {
	now := time.Date(2026, 11, 15, 10, 30, 0, 0, time.UTC)
	api := []Target{{Service: "api", Weight: 100}}
	many := make([]Target, 72)
	for i := range many {
		many[i] = Target{Service: fmt.Sprintf("svc%d", i), Weight: 100}
	}
	tests := []struct {
		name      string
		cluster   string
		targets   []Target
		namespace string
		since     time.Duration
		now       time.Time
		noRouter  bool
		want      []string
	}{
		{
			name: "everything wrong at once", targets: []Target{{Service: "", Weight: 100}, {Service: "a", Weight: 0},
				{Service: "b", Weight: 101}, {Service: "b", Weight: 50}},
			since: -time.Hour, noRouter: true,
			want: []string{"cluster is empty", "router service is empty", "FASTSCALER_METRICS_NAMESPACE", "since -1h0m0s: want a positive duration",
				"now is the zero time", "a service has an empty name", "service a: weight 0%", "service b: weight 101%",
				"service b is listed twice"},
		},
		{name: "no services", cluster: "prod", namespace: "Fastscaler", since: time.Hour, now: now, want: []string{"no services to calibrate"}},
		{
			name: "beyond 1-minute retention", cluster: "prod", targets: api, namespace: "Fastscaler", since: MaxSince + time.Minute, now: now,
			want: []string{"since 360h1m0s: at most 15 days: CloudWatch keeps 1-minute data for 15 days, and its 5-minute " +
				"averages beyond mix overloaded minutes with normal ones, which places the knee too low"},
		},
		{
			name: "too many services", cluster: "prod", targets: many, namespace: "Fastscaler", since: time.Hour, now: now,
			want: []string{"72 services need 505 queries; one GetMetricData call takes at most 500: calibrate at most 71"},
		},
		{
			name: "no whole period", cluster: "prod", targets: api, namespace: "Fastscaler", since: 30 * time.Second,
			now: now.Add(10 * time.Second), want: []string{"since 30s holds no whole 1m0s period ending 5m0s before 2026-11-15T10:30:10Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			router := "router"
			if tt.noRouter {
				router = ""
			}
			_, err := Queries(tt.cluster, router, tt.targets, tt.namespace, tt.since, tt.now)
			if err == nil {
				t.Fatal("Queries succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// result is a MetricDataResult for Histories tests.
func result(id string, status types.StatusCode, ts []time.Time, vs ...float64) types.MetricDataResult {
	return types.MetricDataResult{Id: aws.String(id), StatusCode: status, Timestamps: ts, Values: vs}
}

func TestHistories(t *testing.T) {
	now := SynthStart.Add(10 * time.Minute)
	q, err := Queries("prod", "router", []Target{
		{Service: "api", Weight: 100}, {Service: "canary", Weight: 25}, {Service: "router", Weight: 100},
		{Service: "ghost", Weight: 50},
	}, "Fastscaler", 10*time.Minute, now)
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	ts := []time.Time{SynthStart, SynthStart.Add(time.Minute)}
	complete := types.StatusCodeComplete
	results := []types.MetricDataResult{
		// The router's rate arrives over two pages.
		result("router_rps", types.StatusCodePartialData, ts[:1], 1000),
		result("s0_tasks", complete, ts, 4, 5),
		result("s0_desired", complete, ts, 9, 9),
		result("s0_cpu", complete, ts, 50, 60),
		result("s0_latency", complete, ts, 40, 41),
		result("s0_latency_all", complete, ts, 99, 99),
		result("s0_errors_all", complete, ts[1:], 3),
		result("s1_desired", complete, ts, 2, 2),
		result("s1_latency_all", complete, ts, 42, 43),
		result("s2_cpu", complete, ts, 20, 30),
		result("s2_tasks", complete, ts, 2, 3),
		result("router_rps", complete, ts[1:], 2000),
		result("someone_elses", complete, ts, 1, 2),
	}
	hs, err := q.Histories(results)
	if err != nil {
		t.Fatalf("Histories: %v", err)
	}
	series := func(vs ...float64) Series {
		if len(vs) == 0 {
			return Series{}
		}
		return Series{Times: ts[len(ts)-len(vs):], Values: vs}
	}
	want := []History{
		{
			Service: "api", Period: time.Minute, RequestRate: series(1000, 2000), RunningTasks: series(4, 5),
			CPU: series(50, 60), Latency: series(40, 41), // the router's calls had no 5xx: not every caller's
		},
		{
			Service: "canary", Period: time.Minute, RequestRate: series(250, 500), RunningTasks: series(2, 2),
			Latency: series(42, 43),
			Notes: []string{
				"request rate: the router's × 25% (its weight)",
				"running tasks: no Container Insights RunningTaskCount (is Container Insights on?); using fastscaler's DesiredCount, " +
					"which counts tasks still starting and so understates the per-task load during scale-outs",
				"no AWS/ECS CPUUtilization for the service",
				"Service Connect: no TargetResponseTime or HTTPCode_Target_5XX_Count datapoints for router's calls, " +
					"so those of every caller of discovery name canary (possibly in other clusters too)",
			},
		},
		{Service: "router", Period: time.Minute, RequestRate: series(1000, 2000), RunningTasks: series(2, 3), CPU: series(20, 30)},
		{
			Service: "ghost", Period: time.Minute, RequestRate: series(500, 1000),
			Notes: []string{
				"request rate: the router's × 50% (its weight)",
				"running tasks: neither Container Insights' RunningTaskCount nor fastscaler's DesiredCount has datapoints",
				"no AWS/ECS CPUUtilization for the service",
				"Service Connect: no TargetResponseTime or HTTPCode_Target_5XX_Count datapoints for discovery name ghost",
			},
		},
	}
	if diff := cmp.Diff(want, hs, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("histories (-want +got):\n%s", diff)
	}

	rate, err := q.RouterRequestRate(results)
	if err != nil {
		t.Fatalf("RouterRequestRate: %v", err)
	}
	if diff := cmp.Diff(series(1000, 2000), rate); diff != "" {
		t.Errorf("router rate (-want +got):\n%s", diff)
	}
}

func TestHistoriesErrors(t *testing.T) {
	q, err := Queries("prod", "router", []Target{{Service: "api", Weight: 100}}, "Fastscaler", time.Hour, SynthStart.Add(time.Hour))
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	ts := []time.Time{SynthStart}
	ok := result("router_rps", types.StatusCodeComplete, ts, 1)
	tests := []struct {
		name    string
		results []types.MetricDataResult
		want    string
	}{
		{name: "no router rate", results: []types.MetricDataResult{result("s0_cpu", types.StatusCodeComplete, ts, 1)},
			want: "no RequestRate datapoints from fastscaler in namespace Fastscaler with dimension Cluster=prod from " +
				"2026-10-31 23:55 to 2026-11-01 00:55 UTC: is the daemon running with FASTSCALER_METRICS_NAMESPACE=Fastscaler " +
				"and FASTSCALER_CLUSTER=prod"},
		{name: "partial", results: []types.MetricDataResult{ok, result("s0_cpu", types.StatusCodePartialData, ts, 1), {
			Id: aws.String("s0_tasks"), Label: aws.String("api RunningTaskCount"), StatusCode: types.StatusCodePartialData,
			Messages: []types.MessageData{{Code: aws.String("MaxDatapointsExceeded"), Value: aws.String("too many datapoints")}},
		}}, want: "reading CloudWatch results: CloudWatch returned only part of the data after the last page: " +
			"query s0_cpu (): no message from CloudWatch; query s0_tasks (api RunningTaskCount): MaxDatapointsExceeded: too many datapoints"},
		{name: "forbidden", results: []types.MetricDataResult{ok, {
			Id: aws.String("s0_tasks"), Label: aws.String("api RunningTaskCount"), StatusCode: types.StatusCodeForbidden,
			Messages: []types.MessageData{{Code: aws.String("Forbidden"), Value: aws.String("no access to ECS/ContainerInsights")}},
		}}, want: "query s0_tasks (api RunningTaskCount): Forbidden Forbidden: no access to ECS/ContainerInsights"},
		{name: "ragged", results: []types.MetricDataResult{{Id: aws.String("router_rps"), Timestamps: ts}},
			want: "query router_rps has 1 timestamps but 0 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Histories(tt.results); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Histories error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Callers can tell the missing rate apart, to explain it their way.
	if _, err := q.Histories(nil); !errors.Is(err, ErrNoRequestRate) || strings.Contains(err.Error(), "NextToken") {
		t.Errorf("Histories(nil) = %v, want ErrNoRequestRate", err)
	}
	if _, err := q.RouterRequestRate(nil); !errors.Is(err, ErrNoRequestRate) {
		t.Errorf("RouterRequestRate(nil) = %v, want ErrNoRequestRate", err)
	}
}

// TestCalibrateThroughCloudWatch reads the synthetic 14 days back through the real CloudWatch client from
// fakecw, paginating, and checks that the estimate from what came back lands where the knee was put.
func TestCalibrateThroughCloudWatch(t *testing.T) {
	s := DefaultSynth()
	h, truth := s.History()
	end := SynthStart.Add(time.Duration(s.Minutes) * time.Minute)
	now := end.Add(DeliveryDelay) // the last minute's datapoints have arrived

	srv := fakecw.New(fakecw.Options{Now: func() time.Time { return now }})
	url, err := srv.Start()
	if err != nil {
		t.Fatalf("starting fakecw: %v", err)
	}
	t.Cleanup(srv.Close)
	seed := func(ns, name string, dims map[string]string, series Series) {
		pts := make([]fakecw.Point, len(series.Times))
		for i := range pts {
			pts[i] = fakecw.Point{Time: series.Times[i], Value: series.Values[i]}
		}
		srv.AddSeries(ns, name, dims, pts)
	}
	svc := map[string]string{"ClusterName": "prod", "ServiceName": "api"}
	fromRouter := map[string]string{"ClusterName": "prod", "ServiceName": "router", "TargetDiscoveryName": "api-http"}
	seed("Fastscaler", "RequestRate", map[string]string{"Cluster": "prod"}, Series{Times: h.RequestRate.Times, Values: truth.RouterRPS})
	seed("ECS/ContainerInsights", "RunningTaskCount", svc, h.RunningTasks)
	seed("AWS/ECS", "CPUUtilization", svc, h.CPU)
	seed("AWS/ECS", "TargetResponseTime", fromRouter, h.Latency)
	seed("AWS/ECS", "HTTPCode_Target_5XX_Count", fromRouter, h.Errors5xx)
	// Another cluster's service with the same discovery name: only the all-callers series sees it.
	seed("AWS/ECS", "TargetResponseTime", map[string]string{"TargetDiscoveryName": "api-http"}, Series{
		Times: h.Latency.Times, Values: make([]float64, len(h.Latency.Values)),
	})

	client := cloudwatch.NewFromConfig(awstest.Config(url))
	q, err := Queries("prod", "router", []Target{{Service: "api", DiscoveryName: "api-http", Weight: 100}}, "Fastscaler",
		14*24*time.Hour, now)
	if err != nil {
		t.Fatalf("Queries: %v", err)
	}
	var results []types.MetricDataResult
	pages := 0
	p := cloudwatch.NewGetMetricDataPaginator(client, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: q.Queries, StartTime: aws.Time(q.Start), EndTime: aws.Time(q.End),
		ScanBy: types.ScanByTimestampAscending,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetMetricData page %d: %v", pages+1, err)
		}
		pages++
		results = append(results, out.MetricDataResults...)
	}
	if pages < 2 {
		t.Errorf("%d pages: want the 14 days to need pagination (more than 100,800 datapoints)", pages)
	}

	hs, err := q.Histories(results)
	if err != nil {
		t.Fatalf("Histories: %v", err)
	}
	if len(hs) != 1 || len(hs[0].Latency.Times) != len(h.Latency.Times) || len(hs[0].RequestRate.Times) != s.Minutes {
		t.Fatalf("histories: %d, want 1 with %d minutes of rate and latency", len(hs), s.Minutes)
	}
	rec, err := Estimate(hs[0], Options{})
	if err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	t.Logf("through CloudWatch: capacity %v rps/task, knee %.1f (10–90%% %.1f–%.1f) from %s over %.0f h, %d surges",
		rec.CapacityRPS, rec.Knee, rec.KneeLow, rec.KneeHigh, rec.Signal, rec.Evidence.Hours, rec.Evidence.Surges)
	if rec.Signal != SignalLatency || !within(rec.Knee, s.Knee, 0.10) || rec.CapacityRPS != 140 {
		t.Errorf("recommendation %+v: want the latency knee within 10%% of %v and capacity 140", rec, s.Knee)
	}

	var buf strings.Builder
	rate, err := q.RouterRequestRate(results)
	if err != nil {
		t.Fatalf("RouterRequestRate: %v", err)
	}
	if err := ExportTrace(&buf, rate); err != nil {
		t.Fatalf("ExportTrace: %v", err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != s.Minutes+1 {
		t.Errorf("trace has %d lines, want a header and %d rows", lines, s.Minutes)
	}
}
