package fakecw

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
)

// seedAggregation stores, through PutMetricData and AddSeries, samples of App/Requests{Service=api} whose
// per-minute statistics are worked out by hand in TestGetMetricDataAggregation, plus decoys that must
// not count: other dimension sets, samples before the (rounded) start and at the exclusive end.
func seedAggregation(t *testing.T, s *Server, c *cloudwatch.Client) {
	t.Helper()
	api := dim("Service", "api")
	at := func(m, sec, ms int) time.Time {
		return testNow.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond)
	}
	put(t, c, "App",
		// 11:50 bucket: 1, 2, 6 and a statistic set {n 2, sum 10, min 4, max 6}.
		valueDatum("Requests", 1, at(-10, 10, 0), api),
		valueDatum("Requests", 2, at(-10, 20, 0), api),
		valueDatum("Requests", 6, at(-10, 59, 999), api),
		types.MetricDatum{
			MetricName: aws.String("Requests"), Dimensions: []types.Dimension{api}, Timestamp: aws.Time(at(-10, 30, 0)),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(10), Minimum: aws.Float64(4), Maximum: aws.Float64(6)},
		},
		// 11:52 bucket: 10 once and 20 three times; a value with count 0 adds nothing.
		types.MetricDatum{
			MetricName: aws.String("Requests"), Dimensions: []types.Dimension{api}, Timestamp: aws.Time(at(-8, 0, 0)),
			Values: []float64{10, 20}, Counts: []float64{1, 3},
		},
		types.MetricDatum{
			MetricName: aws.String("Requests"), Dimensions: []types.Dimension{api}, Timestamp: aws.Time(at(-8, 30, 0)),
			Values: []float64{500}, Counts: []float64{0},
		},
		// 11:59 bucket: 3.
		valueDatum("Requests", 3, at(-1, 59, 0), api),
		// Decoys.
		valueDatum("Requests", 1000, at(-10, -1, 0), api),                       // 11:49:59, before the start
		valueDatum("Requests", 1000, testNow, api),                              // 12:00:00, the exclusive end
		valueDatum("Requests", 1000, at(-5, 0, 0), dim("Service", "router")),    // another metric
		valueDatum("Requests", 1000, at(-5, 0, 0)),                              // no dimensions: another metric
		valueDatum("Requests", 1000, at(-5, 0, 0), api, dim("Cluster", "prod")), // extra dimension: another metric
		valueDatum("requests", 1000, at(-5, 0, 0), api),                         // names are case-sensitive
		types.MetricDatum{MetricName: aws.String("Requests"), Value: aws.Float64(1000), Timestamp: aws.Time(at(-5, 0, 0)), Dimensions: []types.Dimension{dim("service", "api")}},
	)
	// A seeded sample in the 11:52 bucket merges with the datums: that bucket becomes 10, 20, 20, 20, 30.
	s.AddSeries("App", "Requests", map[string]string{"Service": "api"}, []Point{{Time: at(-8, 10, 0), Value: 30}})
}

func TestGetMetricDataAggregation(t *testing.T) {
	api := dim("Service", "api")
	start, end := testNow.Add(-9*time.Minute-30*time.Second), testNow // 11:50:30 rounds down to 11:50:00
	tests := []struct {
		name   string
		period int32
		stat   string
		scanBy types.ScanBy
		label  *string
		want   series
	}{
		{"Average", 60, "Average", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -8, -1), Values: []float64{3.8, 20, 3}, StatusCode: types.StatusCodeComplete}},
		{"Sum", 60, "Sum", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -8, -1), Values: []float64{19, 100, 3}, StatusCode: types.StatusCodeComplete}},
		{"Maximum", 60, "Maximum", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -8, -1), Values: []float64{6, 30, 3}, StatusCode: types.StatusCodeComplete}},
		{"Minimum", 60, "Minimum", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -8, -1), Values: []float64{1, 10, 3}, StatusCode: types.StatusCodeComplete}},
		{"SampleCount", 60, "SampleCount", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -8, -1), Values: []float64{5, 5, 1}, StatusCode: types.StatusCodeComplete}},
		{"descending by default", 60, "Sum", "", aws.String("api requests"),
			series{ID: "q", Label: "api requests", Times: minutes(-1, -8, -10), Values: []float64{3, 100, 19}, StatusCode: types.StatusCodeComplete}},
		{"5-minute Sum", 300, "Sum", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -5), Values: []float64{119, 3}, StatusCode: types.StatusCodeComplete}},
		{"5-minute Average", 300, "Average", types.ScanByTimestampAscending, nil,
			series{ID: "q", Label: "Requests", Times: minutes(-10, -5), Values: []float64{119.0 / 10, 3}, StatusCode: types.StatusCodeComplete}},
	}
	for _, via := range bothWays {
		t.Run(string(via), func(t *testing.T) {
			s, c := startFake(t, Options{Now: fixedClock(testNow)}, via)
			seedAggregation(t, s, c)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					q := statQuery("q", "App", "Requests", tt.period, tt.stat, api)
					q.Label = tt.label
					out, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
						StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: tt.scanBy,
						MetricDataQueries: []types.MetricDataQuery{q},
					})
					if err != nil {
						t.Fatalf("GetMetricData: %v", err)
					}
					if diff := cmp.Diff([]series{tt.want}, toSeries(out.MetricDataResults)); diff != "" {
						t.Errorf("results (-want +got):\n%s", diff)
					}
					if out.NextToken != nil {
						t.Errorf("NextToken = %q, want none", *out.NextToken)
					}
				})
			}
		})
	}
}

func TestGetMetricDataResolutionAndUnits(t *testing.T) {
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	at := func(sec int) time.Time { return testNow.Add(-time.Minute + time.Duration(sec)*time.Second) } // 11:59:sec
	hi := func(v float64, sec int) types.MetricDatum {
		d := valueDatum("Hi", v, at(sec))
		d.StorageResolution = aws.Int32(1)
		return d
	}
	withUnit := func(v float64, u types.StandardUnit) types.MetricDatum {
		d := valueDatum("Mixed", v, at(0))
		d.Unit = u
		return d
	}
	put(t, c, "App",
		hi(1, 1), hi(3, 9), hi(5, 15),
		valueDatum("Hi", 7, at(5)), // standard resolution: stored at 11:59:00
		withUnit(1, types.StandardUnitCount), withUnit(10, types.StandardUnitSeconds), withUnit(100, ""),
	)
	_ = s
	mixedIn := func(u types.StandardUnit) types.MetricDataQuery {
		q := statQuery("mixed", "App", "Mixed", 60, "Sum")
		q.MetricStat.Unit = u
		return q
	}

	tests := []struct {
		name  string
		start time.Time
		q     types.MetricDataQuery
		want  series
	}{
		{
			name: "10-second buckets, start rounded to 11:59:00", start: at(3),
			q:    statQuery("hi", "App", "Hi", 10, "Sum"),
			want: series{ID: "hi", Label: "Hi", Times: []time.Time{at(0), at(10)}, Values: []float64{11, 5}, StatusCode: types.StatusCodeComplete},
		},
		{
			name: "1-second buckets", start: at(0),
			q:    statQuery("hi", "App", "Hi", 1, "Sum"),
			want: series{ID: "hi", Label: "Hi", Times: []time.Time{at(0), at(1), at(9), at(15)}, Values: []float64{7, 1, 3, 5}, StatusCode: types.StatusCodeComplete},
		},
		{
			name: "any unit", start: at(0),
			q:    statQuery("mixed", "App", "Mixed", 60, "Sum"),
			want: series{ID: "mixed", Label: "Mixed", Times: []time.Time{at(0)}, Values: []float64{111}, StatusCode: types.StatusCodeComplete},
		},
		{
			name: "Count only", start: at(0),
			q:    mixedIn(types.StandardUnitCount),
			want: series{ID: "mixed", Label: "Mixed", Times: []time.Time{at(0)}, Values: []float64{1}, StatusCode: types.StatusCodeComplete},
		},
		{
			name: "None matches datums sent without a unit", start: at(0),
			q:    mixedIn(types.StandardUnitNone),
			want: series{ID: "mixed", Label: "Mixed", Times: []time.Time{at(0)}, Values: []float64{100}, StatusCode: types.StatusCodeComplete},
		},
		{
			name: "a unit nothing was sent with", start: at(0),
			q:    mixedIn(types.StandardUnitBytes),
			want: series{ID: "mixed", Label: "Mixed", StatusCode: types.StatusCodeComplete},
		},
		{
			name: "metric never seen", start: at(0),
			q:    statQuery("nothing", "App", "Nothing", 60, "Sum"),
			want: series{ID: "nothing", Label: "Nothing", StatusCode: types.StatusCodeComplete},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(tt.start), EndTime: aws.Time(testNow), ScanBy: types.ScanByTimestampAscending,
				MetricDataQueries: []types.MetricDataQuery{tt.q},
			})
			if err != nil {
				t.Fatalf("GetMetricData: %v", err)
			}
			if diff := cmp.Diff([]series{tt.want}, toSeries(out.MetricDataResults)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGetMetricDataSeededHistory seeds two weeks at one-minute resolution, the shape of history the
// calibrate command reads, and pages through hourly statistics with the SDK's paginator.
func TestGetMetricDataSeededHistory(t *testing.T) {
	const days = 14
	router := map[string]string{"Service": "router", "Cluster": "prod"}
	points := make([]Point, 0, days*24*60)
	first := testNow.Add(-days * 24 * time.Hour)
	for i := range days * 24 * 60 {
		// The value is the minute of the hour: every full hour holds 0..59.
		points = append(points, Point{Time: first.Add(time.Duration(i) * time.Minute), Value: float64(i % 60)})
	}
	const hours = days * 24
	hourly := func(v float64) []float64 {
		out := make([]float64, hours)
		for i := range out {
			out[i] = v
		}
		return out
	}
	times := make([]time.Time, hours)
	for i := range times {
		times[i] = first.Add(time.Duration(i) * time.Hour)
	}
	// Hand-computed over 0..59: sum 1770, mean 29.5.
	stats := []struct {
		stat string
		want []float64
	}{
		{"Average", hourly(29.5)}, {"Sum", hourly(1770)}, {"Maximum", hourly(59)}, {"Minimum", hourly(0)}, {"SampleCount", hourly(60)},
	}

	tests := []struct {
		name          string
		pageSize      int
		maxDatapoints int32
		wantPages     int
	}{
		{"one page", 0, 0, 1},
		{"MaxDatapoints 100", 0, 100, (len(stats)*hours + 99) / 100},
		{"PageSize 500", 500, 0, (len(stats)*hours + 499) / 500},
		{"smaller of PageSize and MaxDatapoints", 1000, 336, len(stats)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := startFake(t, Options{Now: fixedClock(testNow), PageSize: tt.pageSize}, viaEnv)
			s.AddSeries("App", "RequestRate", router, points)
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(first), EndTime: aws.Time(testNow), ScanBy: types.ScanByTimestampAscending,
			}
			if tt.maxDatapoints > 0 {
				in.MaxDatapoints = aws.Int32(tt.maxDatapoints)
			}
			for _, st := range stats {
				in.MetricDataQueries = append(in.MetricDataQueries,
					statQuery("h"+st.stat, "App", "RequestRate", 3600, st.stat, dim("Cluster", "prod"), dim("Service", "router")))
			}

			merged := map[string]*series{}
			pages := 0
			p := cloudwatch.NewGetMetricDataPaginator(c, in)
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatalf("page %d: %v", pages+1, err)
				}
				pages++
				n := 0
				for _, r := range toSeries(out.MetricDataResults) {
					n += len(r.Values)
					if m := merged[r.ID]; m != nil {
						m.Times, m.Values, m.StatusCode = append(m.Times, r.Times...), append(m.Values, r.Values...), r.StatusCode
					} else {
						merged[r.ID] = &r
					}
				}
				limit := defaultMaxDatapoints
				if tt.pageSize > 0 {
					limit = min(limit, tt.pageSize)
				}
				if tt.maxDatapoints > 0 {
					limit = min(limit, int(tt.maxDatapoints))
				}
				if n > limit {
					t.Errorf("page %d carried %d datapoints, over the limit %d", pages, n, limit)
				}
			}
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
			for _, st := range stats {
				want := series{ID: "h" + st.stat, Label: "RequestRate", Times: times, Values: st.want, StatusCode: types.StatusCodeComplete}
				got := merged["h"+st.stat]
				if got == nil {
					t.Errorf("no result for %s", st.stat)
					continue
				}
				if diff := cmp.Diff(want, *got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", st.stat, diff)
				}
			}
		})
	}
}

func TestGetMetricDataPages(t *testing.T) {
	// Metric A has 5 one-minute datapoints (values 1..5), B has 3 (values 10..30).
	seed := func(s *Server) {
		var a, b []Point
		for i := 1; i <= 5; i++ {
			a = append(a, Point{Time: testNow.Add(time.Duration(i-6) * time.Minute), Value: float64(i)})
		}
		for i := 1; i <= 3; i++ {
			b = append(b, Point{Time: testNow.Add(time.Duration(i-6) * time.Minute), Value: float64(10 * i)})
		}
		s.AddSeries("App", "A", nil, a)
		s.AddSeries("App", "B", map[string]string{}, b)
	}
	res := func(id string, status types.StatusCode, ms []float64, vs ...float64) series {
		return series{ID: id, Label: map[string]string{"a": "A", "b": "B", "c": "A"}[id], Times: minutes(ms...), Values: vs, StatusCode: status}
	}
	const complete, partial = types.StatusCodeComplete, types.StatusCodePartialData
	hidden := statQuery("c", "App", "A", 60, "Sum")
	hidden.ReturnData = aws.Bool(false)

	tests := []struct {
		name     string
		pageSize int
		max      int32
		scanBy   types.ScanBy
		queries  []types.MetricDataQuery
		want     [][]series
	}{
		{
			name: "query split across pages", pageSize: 4, scanBy: types.ScanByTimestampAscending,
			want: [][]series{
				{res("a", partial, []float64{-5, -4, -3, -2}, 1, 2, 3, 4)},
				{res("a", complete, []float64{-1}, 5), res("b", complete, []float64{-5, -4, -3}, 10, 20, 30)},
			},
		},
		{
			name: "page ends exactly at a query boundary", pageSize: 5, scanBy: types.ScanByTimestampAscending,
			want: [][]series{
				{res("a", complete, []float64{-5, -4, -3, -2, -1}, 1, 2, 3, 4, 5)},
				{res("b", complete, []float64{-5, -4, -3}, 10, 20, 30)},
			},
		},
		{
			name: "MaxDatapoints under PageSize, descending", pageSize: 4, max: 3,
			want: [][]series{
				{res("a", partial, []float64{-1, -2, -3}, 5, 4, 3)},
				{res("a", complete, []float64{-4, -5}, 2, 1), res("b", partial, []float64{-3}, 30)},
				{res("b", complete, []float64{-4, -5}, 20, 10)},
			},
		},
		{
			name: "ReturnData false is computed but not returned", pageSize: 100, scanBy: types.ScanByTimestampAscending,
			queries: []types.MetricDataQuery{hidden, statQuery("b", "App", "B", 60, "Sum")},
			want:    [][]series{{res("b", complete, []float64{-5, -4, -3}, 10, 20, 30)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := startFake(t, Options{Now: fixedClock(testNow), PageSize: tt.pageSize}, viaBaseEndpoint)
			seed(s)
			queries := tt.queries
			if queries == nil {
				queries = []types.MetricDataQuery{statQuery("a", "App", "A", 60, "Sum"), statQuery("b", "App", "B", 60, "Sum")}
			}
			in := &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(testNow.Add(-time.Hour)), EndTime: aws.Time(testNow), ScanBy: tt.scanBy,
				MetricDataQueries: queries,
			}
			if tt.max > 0 {
				in.MaxDatapoints = aws.Int32(tt.max)
			}
			var got [][]series
			for range 10 { // more pages than any case needs: a token loop fails the comparison instead of hanging
				out, err := c.GetMetricData(context.Background(), in)
				if err != nil {
					t.Fatalf("page %d: %v", len(got)+1, err)
				}
				got = append(got, toSeries(out.MetricDataResults))
				if out.NextToken == nil {
					break
				}
				in.NextToken = out.NextToken
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetMetricDataBadNextToken(t *testing.T) {
	s, c := startFake(t, Options{Now: fixedClock(testNow), PageSize: 1}, viaBaseEndpoint)
	s.AddSeries("App", "A", nil, []Point{{testNow.Add(-2 * time.Minute), 1}, {testNow.Add(-time.Minute), 2}})
	in := func(stat string, token *string) *cloudwatch.GetMetricDataInput {
		return &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(testNow.Add(-time.Hour)), EndTime: aws.Time(testNow), NextToken: token,
			MetricDataQueries: []types.MetricDataQuery{statQuery("a", "App", "A", 60, stat)},
		}
	}
	first, err := c.GetMetricData(context.Background(), in("Sum", nil))
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	if first.NextToken == nil {
		t.Fatal("first page has no NextToken with PageSize 1 and 2 datapoints")
	}
	tests := []struct {
		name  string
		input *cloudwatch.GetMetricDataInput
		want  string
	}{
		{"token from another request", in("Maximum", first.NextToken), "different queries"},
		{"not a fakecw token", in("Sum", aws.String("bm90LWEtdG9rZW4")), "not issued by fakecw"},
		{"not base64", in("Sum", aws.String("***")), "not issued by fakecw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetMetricData(context.Background(), tt.input)
			var typed *types.InvalidNextToken
			if !errors.As(err, &typed) {
				t.Fatalf("error = %v, want *types.InvalidNextToken", err)
			}
			checkAPIError(t, err, "InvalidNextToken", tt.want)
		})
	}
}

func TestGetMetricDataValidation(t *testing.T) {
	start, end := testNow.Add(-time.Hour), testNow
	q := func(edit func(*types.MetricDataQuery)) []types.MetricDataQuery {
		x := statQuery("q", "App", "m", 60, "Sum")
		edit(&x)
		return []types.MetricDataQuery{x}
	}
	n := func(count int) []types.MetricDataQuery {
		out := make([]types.MetricDataQuery, count)
		for i := range out {
			out[i] = statQuery(fmt.Sprintf("q%d", i), "App", "m", 60, "Sum")
		}
		return out
	}
	tests := []struct {
		name  string
		input cloudwatch.GetMetricDataInput
		typed any
		code  string
		wants []string
	}{
		{"expression", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e"), Expression: aws.String("SUM(METRICS())")}}},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricDataQueries.member.1.Expression", "not supported by fakecw"}},
		{"percentile", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Stat = aws.String("p90") })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"p90", "not supported by fakecw"}},
		{"trimmed mean", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Stat = aws.String("tm(10%:90%)") })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"not supported by fakecw"}},
		{"unknown statistic", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Stat = aws.String("Median") })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is invalid"}},
		{"period 0", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Period = aws.Int32(0) })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricStat.Period"}},
		{"period 45", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Period = aws.Int32(45) })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"1, 5, 10, 20, 30 or a multiple of 60"}},
		{"bad unit", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Unit = "Requests" })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricStat.Unit"}},
		{"no MetricStat", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("q")}}},
			new(*types.MissingRequiredParameterException), "MissingParameter", []string{"MetricDataQueries.member.1.MetricStat"}},
		{"no namespace", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.MetricStat.Metric.Namespace = nil })},
			new(*types.MissingRequiredParameterException), "MissingParameter", []string{"MetricStat.Metric.Namespace"}},
		{"upper-case id", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.Id = aws.String("Q") })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricDataQueries.member.1.Id", "lowercase"}},
		{"duplicate id", cloudwatch.GetMetricDataInput{MetricDataQueries: append(n(1), statQuery("q0", "App", "x", 60, "Sum"))},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricDataQueries.member.2.Id", "unique"}},
		{"cross-account", cloudwatch.GetMetricDataInput{MetricDataQueries: q(func(x *types.MetricDataQuery) { x.AccountId = aws.String("123456789012") })},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"Cross-account"}},
		{"too many queries", cloudwatch.GetMetricDataInput{MetricDataQueries: n(maxQueries + 1)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"500", "501"}},
		{"no queries", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{}},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"at least one query"}},
		{"start after end", cloudwatch.GetMetricDataInput{StartTime: aws.Time(end), EndTime: aws.Time(start), MetricDataQueries: n(1)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"StartTime", "less than the parameter EndTime"}},
		{"ScanBy", cloudwatch.GetMetricDataInput{ScanBy: "Sideways", MetricDataQueries: n(1)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"Sideways", "ScanBy"}},
		{"MaxDatapoints 0", cloudwatch.GetMetricDataInput{MaxDatapoints: aws.Int32(0), MetricDataQueries: n(1)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MaxDatapoints"}},
	}
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.input
			if in.StartTime == nil {
				in.StartTime, in.EndTime = aws.Time(start), aws.Time(end)
			}
			_, err := c.GetMetricData(context.Background(), &in)
			if err == nil {
				t.Fatal("GetMetricData succeeded, want an error")
			}
			if !errors.As(err, tt.typed) {
				t.Errorf("errors.As(%T) failed for %v (%T)", tt.typed, err, err)
			}
			checkAPIError(t, err, tt.code, tt.wants...)
		})
	}
	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d", len(calls), len(tests))
	}
	if calls[len(calls)-1].Queries != 1 || calls[len(calls)-1].Op != OpGetMetricData {
		t.Errorf("last call = %+v, want a GetMetricData of 1 query", calls[len(calls)-1])
	}
}
