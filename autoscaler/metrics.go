package autoscaler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/fastscaler/fastscaler/policy"
	"github.com/fastscaler/fastscaler/policy/knob"
)

// Metric names fastscaler publishes; the Terraform dashboard and alarms use the same names.
const (
	MetricRequestRate       = "RequestRate"       // requests/s through the routers (extrapolated)
	MetricInFlight          = "InFlight"          // requests being served by the routers
	MetricActiveConnections = "ActiveConnections" // open client connections on the routers
	MetricTargetsReporting  = "TargetsReporting"  // router tasks with valid stub_status rates
	MetricTargetsKnown      = "TargetsKnown"      // router tasks that should report
	MetricSurgeMode         = "SurgeMode"         // 1 in surge mode, else 0
	MetricDesiredCount      = "DesiredCount"      // per service (dimension Service)
)

const (
	maxDatumsPerCall = 1000  // CloudWatch's PutMetricData limit
	maxBuffered      = 20000 // drop the oldest beyond this while CloudWatch is unreachable
)

// Metrics buffers datums and publishes them in batches with 1-second storage resolution (PutMetricData); it reads
// the published request rate back for the warm start (GetMetricData).
type Metrics struct {
	api       *cloudwatch.Client
	namespace string
	cluster   string

	mu      sync.Mutex
	buf     []types.MetricDatum
	dropped int
}

// NewMetrics returns a publisher to namespace; every datum carries the dimension Cluster.
func NewMetrics(api *cloudwatch.Client, namespace, cluster string) *Metrics {
	return &Metrics{api: api, namespace: namespace, cluster: cluster}
}

// Sample is one tick's worth of metrics.
type Sample struct {
	At                        time.Time
	RequestRate               float64
	InFlight, Active          int64
	TargetsReporting, Targets int
	Surge                     bool
	Desired                   map[string]int
}

// Record buffers one tick's metrics.
func (m *Metrics) Record(s Sample) {
	cluster := types.Dimension{Name: aws.String("Cluster"), Value: aws.String(clusterName(m.cluster))}
	datum := func(name string, v float64, unit types.StandardUnit, extra ...types.Dimension) types.MetricDatum {
		return types.MetricDatum{
			MetricName:        aws.String(name),
			Dimensions:        append([]types.Dimension{cluster}, extra...),
			Timestamp:         aws.Time(s.At),
			Value:             aws.Float64(v),
			Unit:              unit,
			StorageResolution: aws.Int32(1),
		}
	}
	surge := 0.0
	if s.Surge {
		surge = 1
	}
	ds := []types.MetricDatum{
		datum(MetricRequestRate, s.RequestRate, types.StandardUnitCountSecond),
		datum(MetricInFlight, float64(s.InFlight), types.StandardUnitCount),
		datum(MetricActiveConnections, float64(s.Active), types.StandardUnitCount),
		datum(MetricTargetsReporting, float64(s.TargetsReporting), types.StandardUnitCount),
		datum(MetricTargetsKnown, float64(s.Targets), types.StandardUnitCount),
		datum(MetricSurgeMode, surge, types.StandardUnitNone),
	}
	for _, name := range knob.SortedKeys(s.Desired) {
		ds = append(ds, datum(MetricDesiredCount, float64(s.Desired[name]), types.StandardUnitCount,
			types.Dimension{Name: aws.String("Service"), Value: aws.String(name)}))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = append(m.buf, ds...)
	if over := len(m.buf) - maxBuffered; over > 0 {
		m.buf = append(m.buf[:0], m.buf[over:]...)
		m.dropped += over
	}
}

// Flush publishes everything buffered, at most 1000 datums per call. Datums of a failed call stay buffered for
// the next flush. It returns how many datums were dropped since the last flush because the buffer was full.
func (m *Metrics) Flush(ctx context.Context) (dropped int, err error) {
	m.mu.Lock()
	buf := m.buf
	m.buf = nil
	dropped, m.dropped = m.dropped, 0
	m.mu.Unlock()
	for len(buf) > 0 {
		n := min(len(buf), maxDatumsPerCall)
		_, err := m.api.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(m.namespace), MetricData: buf[:n]})
		if err != nil {
			m.mu.Lock()
			m.buf = append(buf, m.buf...)
			m.mu.Unlock()
			return dropped, fmt.Errorf("publishing %d metric datums to namespace %s: %w", n, m.namespace, err)
		}
		buf = buf[n:]
	}
	return dropped, nil
}

// clusterName returns the name part of a cluster ARN (or the name itself).
func clusterName(c string) string { return taskID(c) }

// RequestRate reads back the RequestRate fastscaler published (1-second resolution) with from < t ≤ to, oldest
// first: the history a restarted daemon seeds its surge baseline with.
func (m *Metrics) RequestRate(ctx context.Context, from, to time.Time) ([]policy.Point, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{{
			Id: aws.String("rate"),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{
					Namespace: aws.String(m.namespace), MetricName: aws.String(MetricRequestRate),
					Dimensions: []types.Dimension{{Name: aws.String("Cluster"), Value: aws.String(clusterName(m.cluster))}},
				},
				Period: aws.Int32(1),
				Stat:   aws.String("Average"),
			},
		}},
	}
	var out []policy.Point
	p := cloudwatch.NewGetMetricDataPaginator(m.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading %s/%s from CloudWatch: %w", m.namespace, MetricRequestRate, err)
		}
		for _, r := range page.MetricDataResults {
			for i := range min(len(r.Timestamps), len(r.Values)) {
				if r.Timestamps[i].After(from) && !r.Timestamps[i].After(to) {
					out = append(out, policy.Point{At: r.Timestamps[i], RPS: r.Values[i]})
				}
			}
		}
	}
	return out, nil
}
