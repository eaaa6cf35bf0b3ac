package fakecw

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Datum is one datum PutMetricData accepted, with CloudWatch's defaults applied.
type Datum struct {
	Namespace  string
	MetricName string
	Dimensions map[string]string // nil when the datum had none
	Timestamp  time.Time         // UTC; the time of receipt when the caller sent none
	// Value is the single value sent; meaningful only when Values and Stats are both empty.
	Value  float64
	Values []float64     // the Values form, as sent
	Counts []float64     // the Counts sent with Values; nil means each value occurred once
	Stats  *StatisticSet // the StatisticValues form, as sent
	Unit   string        // "None" when the caller sent none
	// StorageResolution is 1 (high resolution) or 60 (standard, the default).
	StorageResolution int
}

// StatisticSet is a pre-aggregated datum (StatisticValues).
type StatisticSet struct {
	SampleCount, Sum, Minimum, Maximum float64
}

// Point is one raw sample of a seeded series.
type Point struct {
	Time  time.Time
	Value float64
}

// Call records one request that reached an operation, failed or not.
type Call struct {
	Op      string    // PutMetricData or GetMetricData
	Time    time.Time // from Options.Now
	Datums  int       // datums in a PutMetricData request
	Queries int       // MetricDataQueries in a GetMetricData request
	Code    string    // error code sent back (the shape name for modelled errors); "" on success
}

// unitNone is what CloudWatch records for a datum sent without a unit.
const unitNone = "None"

// metricKey identifies a CloudWatch metric: namespace, name and the exact set of dimensions.
type metricKey struct {
	namespace, name string
	dims            string // canonical form of the dimension set, see canonicalDims
}

func keyOf(namespace, name string, dims map[string]string) metricKey {
	return metricKey{namespace: namespace, name: name, dims: canonicalDims(dims)}
}

// canonicalDims sorts dimensions by name so that the same set sent in any order is the same metric, and
// separates with NUL, which CloudWatch does not allow in names or values.
func canonicalDims(dims map[string]string) string {
	names := make([]string, 0, len(dims))
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(0)
		b.WriteString(dims[n])
		b.WriteByte(0)
	}
	return b.String()
}

// sample is a datum or seeded point reduced to what the basic statistics need.
type sample struct {
	atMs                 int64 // epoch ms, truncated to the storage resolution
	unit                 string
	count, sum, min, max float64
}

// sampleOf reduces an accepted datum to a sample. It reports false for a datum that carries no
// occurrences (all Counts zero), which contributes nothing to any statistic.
func sampleOf(d Datum) (sample, bool) {
	resMs := int64(d.StorageResolution) * 1000
	s := sample{atMs: floorDiv(d.Timestamp.UnixMilli(), resMs) * resMs, unit: d.Unit}
	switch {
	case d.Stats != nil:
		s.count, s.sum, s.min, s.max = d.Stats.SampleCount, d.Stats.Sum, d.Stats.Minimum, d.Stats.Maximum
	case len(d.Values) > 0:
		s.min, s.max = math.Inf(1), math.Inf(-1)
		for i, v := range d.Values {
			c := 1.0
			if d.Counts != nil {
				c = d.Counts[i]
			}
			if c <= 0 {
				continue
			}
			s.count += c
			s.sum += v * c
			s.min = math.Min(s.min, v)
			s.max = math.Max(s.max, v)
		}
	default:
		s.count, s.sum, s.min, s.max = 1, d.Value, d.Value, d.Value
	}
	return s, s.count > 0
}

// The statistics GetMetricData can compute here.
const (
	statAverage     = "Average"
	statSum         = "Sum"
	statMinimum     = "Minimum"
	statMaximum     = "Maximum"
	statSampleCount = "SampleCount"
)

// window is what one MetricStat query asks of a series, in epoch milliseconds.
type window struct {
	startMs, endMs, periodMs int64 // [startMs, endMs), buckets of periodMs from startMs
	stat                     string
	unit                     string // "" matches every unit
}

// datapoint is one aggregated bucket: its start and the statistic's value.
type datapoint struct {
	atMs  int64
	value float64
}

// aggregate buckets samples into w's periods and computes w's statistic for each non-empty bucket,
// oldest first. Buckets with no samples are absent, as in CloudWatch: no data is not zero.
func aggregate(samples []sample, w window) []datapoint {
	type acc struct{ count, sum, min, max float64 }
	buckets := map[int64]*acc{}
	for _, s := range samples {
		if s.atMs < w.startMs || s.atMs >= w.endMs || (w.unit != "" && s.unit != w.unit) {
			continue
		}
		k := (s.atMs - w.startMs) / w.periodMs
		a := buckets[k]
		if a == nil {
			a = &acc{min: math.Inf(1), max: math.Inf(-1)}
			buckets[k] = a
		}
		a.count += s.count
		a.sum += s.sum
		a.min = math.Min(a.min, s.min)
		a.max = math.Max(a.max, s.max)
	}
	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]datapoint, 0, len(keys))
	for _, k := range keys {
		a := buckets[k]
		var v float64
		switch w.stat {
		case statAverage:
			v = a.sum / a.count
		case statSum:
			v = a.sum
		case statMinimum:
			v = a.min
		case statMaximum:
			v = a.max
		case statSampleCount:
			v = a.count
		}
		out = append(out, datapoint{atMs: w.startMs + k*w.periodMs, value: v})
	}
	return out
}

// floorDiv divides rounding towards negative infinity, so times before 1970 truncate downwards too.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
