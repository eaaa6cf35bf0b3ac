package fakecw

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/fastscaler/fastscaler/internal/awstest"
)

// testNow is the fake's clock in most tests: datum timestamps are checked against it and StartTime is
// rounded relative to it, so tests are independent of the wall clock.
var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// awsEnv isolates the SDK's default chain from the machine (awstest.IsolateEnv).
func awsEnv(t *testing.T) { awstest.IsolateEnv(t, nil) }

// loadConfig is config.LoadDefaultConfig with a retryer that does not back off, so retry tests take no
// wall-clock time while still going through the SDK's real retry decision.
func loadConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryer(awstest.Config("").Retryer))
	if err != nil {
		t.Fatalf("loading AWS config: %v", err)
	}
	return cfg
}

// clientVia says how a test client finds the fake.
type clientVia string

const (
	viaBaseEndpoint clientVia = "BaseEndpoint"
	viaEnv          clientVia = "AWS_ENDPOINT_URL_CLOUDWATCH"
)

var bothWays = []clientVia{viaBaseEndpoint, viaEnv}

// startFake starts a fake with opts and returns it with a real CloudWatch client pointed at it.
func startFake(t *testing.T, opts Options, via clientVia) (*Server, *cloudwatch.Client) {
	t.Helper()
	awsEnv(t)
	s := New(opts)
	url := awstest.Start(t, s)
	switch via {
	case viaEnv:
		t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", url)
		return s, cloudwatch.NewFromConfig(loadConfig(t))
	default:
		return s, cloudwatch.NewFromConfig(loadConfig(t), func(o *cloudwatch.Options) {
			o.BaseEndpoint = aws.String(url)
		})
	}
}

// checkAPIError asserts err is an API error with the given ErrorCode whose message contains every want.
func checkAPIError(t *testing.T, err error, code string, wants ...string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want an API error with code %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("ErrorCode() = %q, want %q (error: %v)", ae.ErrorCode(), code, err)
	}
	for _, w := range wants {
		if !strings.Contains(ae.ErrorMessage(), w) {
			t.Errorf("ErrorMessage() = %q, want it to contain %q", ae.ErrorMessage(), w)
		}
	}
}

func dim(name, value string) types.Dimension {
	return types.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

func valueDatum(name string, v float64, at time.Time, dims ...types.Dimension) types.MetricDatum {
	return types.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: aws.Time(at), Dimensions: dims}
}

func put(t *testing.T, c *cloudwatch.Client, ns string, data ...types.MetricDatum) {
	t.Helper()
	if _, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(ns), MetricData: data,
	}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

func statQuery(id, ns, name string, period int32, stat string, dims ...types.Dimension) types.MetricDataQuery {
	return types.MetricDataQuery{
		Id: aws.String(id),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: dims},
			Period: aws.Int32(period),
			Stat:   aws.String(stat),
		},
	}
}

// series is a query result reduced to what tests compare.
type series struct {
	ID         string
	Label      string
	Times      []time.Time
	Values     []float64
	StatusCode types.StatusCode
}

func toSeries(rs []types.MetricDataResult) []series {
	out := make([]series, 0, len(rs))
	for _, r := range rs {
		s := series{ID: aws.ToString(r.Id), Label: aws.ToString(r.Label), StatusCode: r.StatusCode}
		if len(r.Values) > 0 {
			s.Values = r.Values
		}
		for _, ts := range r.Timestamps {
			s.Times = append(s.Times, ts.UTC())
		}
		out = append(out, s)
	}
	return out
}

// minutes returns testNow shifted by the given numbers of minutes.
func minutes(ms ...float64) []time.Time {
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = testNow.Add(time.Duration(m * float64(time.Minute)))
	}
	return out
}
