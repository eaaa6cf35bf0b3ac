package fakecw

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
)

func TestPutMetricDataRoundTrip(t *testing.T) {
	at := testNow.Add(-90 * time.Second).Add(123 * time.Millisecond)
	for _, via := range bothWays {
		t.Run(string(via), func(t *testing.T) {
			s, c := startFake(t, Options{Now: fixedClock(testNow)}, via)
			_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
				Namespace: aws.String("Fastscaler"),
				MetricData: []types.MetricDatum{
					{
						MetricName:        aws.String("RequestRate"),
						Dimensions:        []types.Dimension{dim("Cluster", "prod"), dim("Service", "router")},
						Timestamp:         aws.Time(at),
						Value:             aws.Float64(1234.5),
						Unit:              types.StandardUnitCountSecond,
						StorageResolution: aws.Int32(1),
					},
					{
						MetricName: aws.String("Latency"),
						Timestamp:  aws.Time(at),
						Values:     []float64{0.25, -3, 7},
						Counts:     []float64{2, 1, 4},
						Unit:       types.StandardUnitSeconds,
					},
					{
						MetricName:      aws.String("DesiredCount"),
						Dimensions:      []types.Dimension{dim("Service", "api")},
						StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(3), Sum: aws.Float64(12), Minimum: aws.Float64(2), Maximum: aws.Float64(6)},
					},
					{MetricName: aws.String("Zero"), Value: aws.Float64(0), Timestamp: aws.Time(at)},
				},
			})
			if err != nil {
				t.Fatalf("PutMetricData: %v", err)
			}

			want := []Datum{
				{
					Namespace: "Fastscaler", MetricName: "RequestRate",
					Dimensions: map[string]string{"Cluster": "prod", "Service": "router"},
					Timestamp:  at, Value: 1234.5, Unit: "Count/Second", StorageResolution: 1,
				},
				{
					Namespace: "Fastscaler", MetricName: "Latency", Timestamp: at,
					Values: []float64{0.25, -3, 7}, Counts: []float64{2, 1, 4}, Unit: "Seconds", StorageResolution: 60,
				},
				{
					Namespace: "Fastscaler", MetricName: "DesiredCount", Dimensions: map[string]string{"Service": "api"},
					Timestamp: testNow, Stats: &StatisticSet{SampleCount: 3, Sum: 12, Minimum: 2, Maximum: 6},
					Unit: "None", StorageResolution: 60,
				},
				{Namespace: "Fastscaler", MetricName: "Zero", Timestamp: at, Unit: "None", StorageResolution: 60},
			}
			if diff := cmp.Diff(want, s.Datums()); diff != "" {
				t.Errorf("Datums() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]Call{{Op: OpPutMetricData, Time: testNow, Datums: 4}}, s.Calls()); diff != "" {
				t.Errorf("Calls() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatumsReturnsACopy(t *testing.T) {
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	put(t, c, "App", types.MetricDatum{
		MetricName: aws.String("m"), Values: []float64{1, 2}, Dimensions: []types.Dimension{dim("a", "b")},
	})
	got := s.Datums()
	got[0].Dimensions["a"] = "changed"
	got[0].Values[0] = 99
	if d := s.Datums()[0]; d.Dimensions["a"] != "b" || d.Values[0] != 1 {
		t.Errorf("mutating Datums() result changed the server's copy: %+v", d)
	}
}

// TestPutMetricDataCompressedMaximum sends CloudWatch's 1000-datum maximum, which the SDK gzips (it
// compresses bodies over 10 KiB), through ServeHTTP mounted on the test's own loopback server.
func TestPutMetricDataCompressedMaximum(t *testing.T) {
	awsEnv(t)
	fake := New(Options{Now: fixedClock(testNow)})
	var mu sync.Mutex
	var encodings []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		encodings = append(encodings, r.Header.Get("Content-Encoding"))
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer hs.Close()
	c := cloudwatch.NewFromConfig(loadConfig(t), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(hs.URL) })

	data := make([]types.MetricDatum, maxDatumsPerCall)
	for i := range data {
		data[i] = valueDatum("Requests", float64(i), testNow.Add(-time.Duration(i)*time.Second), dim("Task", fmt.Sprintf("task-%04d", i)))
	}
	put(t, c, "Fastscaler", data...)

	got := fake.Datums()
	if len(got) != maxDatumsPerCall {
		t.Fatalf("stored %d datums, want %d", len(got), maxDatumsPerCall)
	}
	for i, d := range got {
		if d.Value != float64(i) || d.Dimensions["Task"] != fmt.Sprintf("task-%04d", i) {
			t.Fatalf("datum %d = %+v, want value %d for task-%04d", i, d, i, i)
		}
	}
	if diff := cmp.Diff([]string{"gzip"}, encodings); diff != "" {
		t.Errorf("Content-Encoding of requests (-want +got):\n%s", diff)
	}
}

func TestPutMetricDataValidation(t *testing.T) {
	ok := func() types.MetricDatum { return valueDatum("m", 1, testNow) }
	with := func(f func(*types.MetricDatum)) []types.MetricDatum {
		d := ok()
		f(&d)
		return []types.MetricDatum{d}
	}
	many := func(n int) []types.MetricDatum {
		out := make([]types.MetricDatum, n)
		for i := range out {
			out[i] = ok()
		}
		return out
	}
	dims := func(n int) []types.Dimension {
		out := make([]types.Dimension, n)
		for i := range out {
			out[i] = dim(fmt.Sprintf("d%d", i), "v")
		}
		return out
	}
	stats := func(n, sum, lo, hi float64) *types.StatisticSet {
		return &types.StatisticSet{SampleCount: aws.Float64(n), Sum: aws.Float64(sum), Minimum: aws.Float64(lo), Maximum: aws.Float64(hi)}
	}

	tests := []struct {
		name  string
		ns    string
		data  []types.MetricDatum
		typed any // pointer to the typed error errors.As must find
		code  string
		wants []string
	}{
		{"AWS namespace", "AWS/ECS", many(1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"AWS/ECS", "Namespace", "reserved"}},
		{"empty namespace", "", many(1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"Namespace", "between 1 and 255"}},
		{"long namespace", strings.Repeat("n", 256), many(1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"Namespace", "between 1 and 255"}},
		{"colon namespace", ":App", many(1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"colon"}},
		{"control character in namespace", "App\n", many(1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"printable ASCII"}},
		{"no datums", "App", nil, new(*types.MissingRequiredParameterException), "MissingParameter", []string{"MetricData is required"}},
		{"too many datums", "App", many(maxDatumsPerCall + 1), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"1000", "1001"}},
		{"empty metric name", "App", with(func(d *types.MetricDatum) { d.MetricName = aws.String("") }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.MetricName"}},
		{"blank metric name", "App", with(func(d *types.MetricDatum) { d.MetricName = aws.String("  ") }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"non-whitespace"}},
		{"too many dimensions", "App", with(func(d *types.MetricDatum) { d.Dimensions = dims(31) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.Dimensions", "30"}},
		{"duplicate dimension", "App", with(func(d *types.MetricDatum) { d.Dimensions = []types.Dimension{dim("a", "1"), dim("a", "2")} }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.Dimensions.member.2.Name", "more than once"}},
		{"empty dimension value", "App", with(func(d *types.MetricDatum) { d.Dimensions = []types.Dimension{dim("a", "")} }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"Dimensions.member.1.Value"}},
		{"NaN", "App", with(func(d *types.MetricDatum) { d.Value = aws.Float64(math.NaN()) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"NaN", "MetricData.member.1.Value"}},
		{"+Inf", "App", with(func(d *types.MetricDatum) { d.Value = aws.Float64(math.Inf(1)) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"+Inf", "MetricData.member.1.Value"}},
		{"-Inf in Values", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.Values = []float64{1, math.Inf(-1)} }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.Values.member.2"}},
		{"too large", "App", with(func(d *types.MetricDatum) { d.Value = aws.Float64(math.Ldexp(1, 361)) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"2^360"}},
		{"too small", "App", with(func(d *types.MetricDatum) { d.Value = aws.Float64(math.Ldexp(1, -361)) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"2^-360"}},
		{"Value and StatisticValues", "App", with(func(d *types.MetricDatum) { d.StatisticValues = stats(1, 1, 1, 1) }), new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", []string{"MetricData.member.1.Value and MetricData.member.1.StatisticValues", "mutually exclusive"}},
		{"no value at all", "App", with(func(d *types.MetricDatum) { d.Value = nil }), new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", []string{"At least one of"}},
		{"Counts without Values", "App", with(func(d *types.MetricDatum) { d.Counts = []float64{1} }), new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", []string{"MetricData.member.1.Counts"}},
		{"Counts length", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.Values = []float64{1, 2}; d.Counts = []float64{1} }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"same size", "2 values and 1 counts"}},
		{"negative count", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.Values = []float64{1}; d.Counts = []float64{-1} }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.Counts.member.1"}},
		{"too many values", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.Values = make([]float64, 151) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"150", "151"}},
		{"zero sample count", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.StatisticValues = stats(0, 0, 0, 0) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"StatisticValues.SampleCount"}},
		{"minimum above maximum", "App", with(func(d *types.MetricDatum) { d.Value = nil; d.StatisticValues = stats(2, 3, 2, 1) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"StatisticValues.Minimum"}},
		{"storage resolution", "App", with(func(d *types.MetricDatum) { d.StorageResolution = aws.Int32(5) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"StorageResolution", "1 (high resolution) or 60"}},
		{"unit", "App", with(func(d *types.MetricDatum) { d.Unit = "Requests" }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"The value Requests for parameter MetricData.member.1.Unit is invalid"}},
		{"timestamp too old", "App", with(func(d *types.MetricDatum) { d.Timestamp = aws.Time(testNow.Add(-15 * 24 * time.Hour)) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.1.Timestamp", "two weeks"}},
		{"timestamp ahead", "App", with(func(d *types.MetricDatum) { d.Timestamp = aws.Time(testNow.Add(3 * time.Hour)) }), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"two hours in the future"}},
		{"second datum named", "App", append(many(1), valueDatum("m", math.NaN(), testNow)), new(*types.InvalidParameterValueException), "InvalidParameterValue", []string{"MetricData.member.2.Value"}},
	}
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(tt.ns), MetricData: tt.data})
			if err == nil {
				t.Fatal("PutMetricData succeeded, want an error")
			}
			if !errors.As(err, tt.typed) {
				t.Errorf("errors.As(%T) failed for %v (%T)", tt.typed, err, err)
			}
			checkAPIError(t, err, tt.code, tt.wants...)
		})
	}
	if got := s.Datums(); len(got) != 0 {
		t.Errorf("rejected requests stored %d datums, want none: %+v", len(got), got)
	}
	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d", len(calls), len(tests))
	}
	for i, call := range calls {
		if call.Code == "" {
			t.Errorf("call %d (%s) recorded no error code", i, tests[i].name)
		}
	}
}

// TestPutMetricDataConcurrent is for the race detector as much as for the count.
func TestPutMetricDataConcurrent(t *testing.T) {
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
					Namespace:  aws.String("App"),
					MetricData: []types.MetricDatum{valueDatum("m", float64(w*each+i), testNow, dim("Worker", fmt.Sprint(w)))},
				})
				if err != nil {
					errs <- err
				}
				_ = s.Datums()
				_ = s.Calls()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("PutMetricData: %v", err)
	}
	sum := 0.0
	for _, d := range s.Datums() {
		sum += d.Value
	}
	const n = workers * each
	if got := len(s.Datums()); got != n {
		t.Errorf("stored %d datums, want %d", got, n)
	}
	if want := float64(n*(n-1)) / 2; sum != want {
		t.Errorf("sum of stored values = %v, want %v", sum, want)
	}
}

func TestPutMetricDataEntityMetricData(t *testing.T) {
	s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
	entity := func(svc string, data ...types.MetricDatum) types.EntityMetricData {
		return types.EntityMetricData{
			Entity:     &types.Entity{KeyAttributes: map[string]string{"Type": "Service", "Name": svc, "Environment": "prod"}},
			MetricData: data,
		}
	}
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace:              aws.String("App"),
		MetricData:             []types.MetricDatum{valueDatum("plain", 1, testNow)},
		EntityMetricData:       []types.EntityMetricData{entity("api", valueDatum("linked", 2, testNow))},
		StrictEntityValidation: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	var names []string
	for _, d := range s.Datums() {
		names = append(names, d.MetricName)
	}
	if diff := cmp.Diff([]string{"plain", "linked"}, names); diff != "" {
		t.Errorf("stored metric names (-want +got):\n%s", diff)
	}

	data := make([]types.MetricDatum, maxDatumsPerCall)
	for i := range data {
		data[i] = valueDatum("m", 1, testNow)
	}
	_, err = c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace:        aws.String("App"),
		MetricData:       data[:600],
		EntityMetricData: []types.EntityMetricData{entity("api", data[600:]...), entity("web", valueDatum("m", 1, testNow))},
	})
	checkAPIError(t, err, "InvalidParameterValue", "1000", "1001")

	_, err = c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace:        aws.String("App"),
		EntityMetricData: []types.EntityMetricData{entity("a", data[0]), entity("b", data[0]), entity("c", data[0])},
	})
	checkAPIError(t, err, "InvalidParameterValue", "EntityMetricData", "2")
	if got := len(s.Datums()); got != 2 {
		t.Errorf("stored %d datums after rejected calls, want 2", got)
	}
}
