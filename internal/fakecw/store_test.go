package fakecw

import (
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/google/go-cmp/cmp"
)

func TestRoundStart(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		start  time.Time
		period int64
		want   time.Time
	}{
		{"recent, minute period", time.Date(2025, 3, 10, 11, 32, 34, 500e6, time.UTC), 60, time.Date(2025, 3, 10, 11, 32, 0, 0, time.UTC)},
		{"recent, hourly period still to the minute", time.Date(2025, 3, 10, 11, 32, 34, 0, time.UTC), 3600, time.Date(2025, 3, 10, 11, 32, 0, 0, time.UTC)},
		{"20 days ago: 5 minutes", time.Date(2025, 2, 18, 12, 32, 34, 0, time.UTC), 60, time.Date(2025, 2, 18, 12, 30, 0, 0, time.UTC)},
		{"90 days ago: hour", time.Date(2024, 12, 10, 12, 32, 34, 0, time.UTC), 300, time.Date(2024, 12, 10, 12, 0, 0, 0, time.UTC)},
		// CloudWatch's own example: 01:05:23 with period 10 starts at 01:05:20... and 15:07:17 with 5 at 15:07:15.
		{"10-second period", time.Date(2025, 3, 10, 1, 5, 23, 0, time.UTC), 10, time.Date(2025, 3, 10, 1, 5, 20, 0, time.UTC)},
		{"5-second period", time.Date(2025, 3, 10, 11, 2, 17, 0, time.UTC), 5, time.Date(2025, 3, 10, 11, 2, 15, 0, time.UTC)},
		{"1-second period drops milliseconds", time.Date(2025, 3, 10, 11, 2, 17, 999e6, time.UTC), 1, time.Date(2025, 3, 10, 11, 2, 17, 0, time.UTC)},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC), 60, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := time.UnixMilli(roundStart(tt.start, now, tt.period)).UTC()
			if !got.Equal(tt.want) {
				t.Errorf("roundStart(%v, period %d) = %v, want %v", tt.start, tt.period, got, tt.want)
			}
		})
	}
}

func TestAggregateEdges(t *testing.T) {
	s := func(atMs int64, unit string, v float64) sample {
		return sample{atMs: atMs, unit: unit, count: 1, sum: v, min: v, max: v}
	}
	samples := []sample{s(-1, "None", 100), s(0, "None", 1), s(59_999, "Count", 2), s(60_000, "None", 4), s(120_000, "None", 8)}
	tests := []struct {
		name string
		w    window
		want []datapoint
	}{
		{"start inclusive, end exclusive", window{startMs: 0, endMs: 120_000, periodMs: 60_000, stat: statSum},
			[]datapoint{{0, 3}, {60_000, 4}}},
		{"unit filter", window{startMs: 0, endMs: 180_000, periodMs: 60_000, stat: statSum, unit: "Count"},
			[]datapoint{{0, 2}}},
		{"one bucket spanning everything", window{startMs: -60_000, endMs: 180_000, periodMs: 3_600_000, stat: statMaximum},
			[]datapoint{{-60_000, 100}}},
		{"gaps stay gaps", window{startMs: 0, endMs: 180_000, periodMs: 1000, stat: statSampleCount},
			[]datapoint{{0, 1}, {59_000, 1}, {60_000, 1}, {120_000, 1}}},
		{"nothing in range", window{startMs: 500_000, endMs: 600_000, periodMs: 60_000, stat: statAverage},
			[]datapoint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := aggregate(samples, tt.w)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(datapoint{})); diff != "" {
				t.Errorf("aggregate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleOf(t *testing.T) {
	at := time.Date(2025, 3, 10, 11, 59, 30, 700e6, time.UTC)
	tests := []struct {
		name   string
		d      Datum
		want   sample
		wantOK bool
	}{
		{"standard resolution truncates to the minute", Datum{Timestamp: at, Value: 2, Unit: "None", StorageResolution: 60},
			sample{atMs: at.Truncate(time.Minute).UnixMilli(), unit: "None", count: 1, sum: 2, min: 2, max: 2}, true},
		{"high resolution truncates to the second", Datum{Timestamp: at, Value: 2, Unit: "None", StorageResolution: 1},
			sample{atMs: at.Truncate(time.Second).UnixMilli(), unit: "None", count: 1, sum: 2, min: 2, max: 2}, true},
		{"values without counts", Datum{Timestamp: at, Values: []float64{3, -1}, Unit: "Count", StorageResolution: 1},
			sample{atMs: at.Truncate(time.Second).UnixMilli(), unit: "Count", count: 2, sum: 2, min: -1, max: 3}, true},
		{"zero counts skip values", Datum{Timestamp: at, Values: []float64{3, -1, 9}, Counts: []float64{2, 0, 0.5}, Unit: "None", StorageResolution: 1},
			sample{atMs: at.Truncate(time.Second).UnixMilli(), unit: "None", count: 2.5, sum: 10.5, min: 3, max: 9}, true},
		{"all counts zero", Datum{Timestamp: at, Values: []float64{3}, Counts: []float64{0}, Unit: "None", StorageResolution: 1},
			sample{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sampleOf(tt.d)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sample{})); diff != "" {
				t.Errorf("sampleOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tok := encodeToken(0xdeadbeef, cursor{query: 2, point: 17})
	got, err := decodeToken(tok, 0xdeadbeef, 3)
	if err != nil {
		t.Fatalf("decodeToken: %v", err)
	}
	if got != (cursor{query: 2, point: 17}) {
		t.Errorf("cursor = %+v, want {2 17}", got)
	}
	if _, err := decodeToken(tok, 0xdeadbeef, 2); err == nil {
		t.Error("token pointing past the last query was accepted")
	}
}

// FuzzParse feeds arbitrary bodies to both operations' parsers: whatever arrives must come back as a
// value or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add(cbor.Encode(cbor.Map{
		"Namespace": cbor.String("App"),
		"MetricData": cbor.List{cbor.Map{
			"MetricName": cbor.String("m"), "Value": cbor.Float64(1),
			"Timestamp":  &cbor.Tag{ID: 1, Value: cbor.Float64(1.741608e9)},
			"Dimensions": cbor.List{cbor.Map{"Name": cbor.String("a"), "Value": cbor.String("b")}},
		}},
	}))
	f.Add(cbor.Encode(cbor.Map{
		"StartTime": &cbor.Tag{ID: 1, Value: cbor.Uint(1741600000)},
		"EndTime":   &cbor.Tag{ID: 1, Value: cbor.Float64(1741608000)},
		"MetricDataQueries": cbor.List{cbor.Map{
			"Id": cbor.String("q"),
			"MetricStat": cbor.Map{
				"Metric": cbor.Map{"Namespace": cbor.String("App"), "MetricName": cbor.String("m")},
				"Period": cbor.Uint(60), "Stat": cbor.String("Sum"),
			},
		}},
		"NextToken": cbor.String("x"),
	}))
	f.Add([]byte{0xbf, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x7f, 0xff})
	f.Add([]byte{0xc1, 0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeBody(body)
		if err != nil {
			return
		}
		_, _ = parsePutMetricData(in, now)
		_ = countDatums(in)
		_ = countQueries(in)
		if req, err := parseGetMetricData(in, now); err == nil {
			_, _ = getMetricData(req, map[metricKey][]sample{}, 10)
		}
	})
}
