package fakecw

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch's documented GetMetricData limits.
const (
	maxQueries           = 500
	defaultMaxDatapoints = 100800
	maxQueryIDLen        = 255
)

var (
	queryIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	// extendedStat matches CloudWatch's percentile and trimmed statistics (p90, p99.9, tm(10%:90%), TM99,
	// wm90, tc90, ts90, PR(100:2000), IQM): real statistics this fake does not compute.
	extendedStat = regexp.MustCompile(`^(p\d|(tm|wm|tc|ts|TM|WM|TC|TS)(\d|\()|PR\(|IQM$)`)
)

// getRequest is a validated GetMetricData request.
type getRequest struct {
	scanBy        types.ScanBy
	maxDatapoints int
	nextToken     string
	hasToken      bool
	queries       []metricQuery
	fingerprint   uint64 // ties a NextToken to the request that produced it
}

// metricQuery is one validated MetricStat query.
type metricQuery struct {
	id, label  string
	returnData bool
	key        metricKey
	periodSec  int64
	w          window
}

// parseGetMetricData validates a GetMetricData request. now places StartTime for CloudWatch's rounding rules.
func parseGetMetricData(in object, now time.Time) (getRequest, error) {
	var req getRequest
	var r reads
	start := required(&r, in, "StartTime", object.time)
	end := required(&r, in, "EndTime", object.time)
	if r.err != nil {
		return req, r.err
	}
	if !start.Before(end) {
		return req, newError(errInvalidParameterValue,
			"The parameter StartTime (%s) must be less than the parameter EndTime (%s).",
			start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}

	req.scanBy = types.ScanByTimestampDescending
	if sb, ok, err := in.string("ScanBy"); err != nil {
		return req, err
	} else if ok {
		if !slices.Contains(types.ScanBy("").Values(), types.ScanBy(sb)) {
			return req, invalidValue("ScanBy", sb, "It must be TimestampDescending or TimestampAscending.")
		}
		req.scanBy = types.ScanBy(sb)
	}

	req.maxDatapoints = defaultMaxDatapoints
	if n, ok, err := in.int("MaxDatapoints"); err != nil {
		return req, err
	} else if ok {
		if n < 1 {
			return req, invalidValue("MaxDatapoints", n, "It must be at least 1.")
		}
		req.maxDatapoints = int(min(n, math.MaxInt32))
	}

	req.nextToken, req.hasToken = optional(&r, in, "NextToken", object.string)
	optional(&r, in, "LabelOptions", object.object) // read only to check its type
	l, ok := optional(&r, in, "MetricDataQueries", object.list)
	if r.err != nil {
		return req, r.err
	}
	switch {
	case !ok:
		return req, missing("MetricDataQueries")
	case len(l) == 0:
		return req, invalidValue("MetricDataQueries", "[]", "It must contain at least one query.")
	case len(l) > maxQueries:
		return req, newError(errInvalidParameterValue,
			"The collection MetricDataQueries must not have a size greater than %d, got %d.", maxQueries, len(l))
	}
	seen := map[string]bool{}
	for i := range l {
		o, err := in.listObject("MetricDataQueries", l, i)
		if err != nil {
			return req, err
		}
		q, err := parseQuery(o, start, end, now)
		if err != nil {
			return req, err
		}
		if seen[q.id] {
			return req, invalidValue(o.member("Id"), q.id, "Query ids must be unique within a request.")
		}
		seen[q.id] = true
		req.queries = append(req.queries, q)
	}

	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%s", start.UnixMilli(), end.UnixMilli(), req.scanBy)
	for _, q := range req.queries {
		fmt.Fprintf(h, "|%q|%q|%t|%q|%q|%q|%d|%s|%q", q.id, q.label, q.returnData,
			q.key.namespace, q.key.name, q.key.dims, q.periodSec, q.w.stat, q.w.unit)
	}
	req.fingerprint = h.Sum64()
	return req, nil
}

func parseQuery(o object, start, end, now time.Time) (metricQuery, error) {
	q := metricQuery{returnData: true}

	id, err := need(o, "Id", object.string)
	if err != nil {
		return q, err
	}
	if len(id) > maxQueryIDLen || !queryIDPattern.MatchString(id) {
		return q, invalidValue(o.member("Id"), fmt.Sprintf("%q", id),
			"Ids must start with a lowercase letter and contain only letters, digits and underscores.")
	}
	q.id = id

	if expr, ok, err := o.string("Expression"); err != nil {
		return q, err
	} else if ok {
		return q, invalidValue(o.member("Expression"), expr,
			"Metric math and Metrics Insights expressions are not supported by fakecw; use MetricStat queries.")
	}
	if acct, ok, err := o.string("AccountId"); err != nil {
		return q, err
	} else if ok {
		return q, invalidValue(o.member("AccountId"), acct, "Cross-account queries are not supported by fakecw.")
	}
	if rd, ok, err := o.bool("ReturnData"); err != nil {
		return q, err
	} else if ok {
		q.returnData = rd
	}
	// Period at query level only applies to expressions, which are rejected above.
	if _, _, err := o.int("Period"); err != nil {
		return q, err
	}

	ms, ok, err := o.object("MetricStat")
	if err != nil {
		return q, err
	}
	if !ok {
		return q, newError(errMissingParameter, "The parameter %s is required: each query needs MetricStat or Expression.", o.member("MetricStat"))
	}
	var r reads
	metric := required(&r, ms, "Metric", object.object)
	ns := required(&r, metric, "Namespace", object.string)
	name := required(&r, metric, "MetricName", object.string)
	if r.err != nil {
		return q, r.err
	}
	dims, err := parseDimensions(metric)
	if err != nil {
		return q, err
	}
	q.key = keyOf(ns, name, dims)

	period, err := need(ms, "Period", object.int)
	if err != nil {
		return q, err
	}
	if !validPeriod(period) {
		return q, invalidValue(ms.member("Period"), period, "The period must be 1, 5, 10, 20, 30 or a multiple of 60 seconds.")
	}
	q.periodSec = period

	stat, err := need(ms, "Stat", object.string)
	if err != nil {
		return q, err
	}
	if err := validateStat(ms.member("Stat"), stat); err != nil {
		return q, err
	}

	unit := ""
	if u, ok, err := ms.string("Unit"); err != nil {
		return q, err
	} else if ok {
		if !slices.Contains(types.StandardUnit("").Values(), types.StandardUnit(u)) {
			return q, invalidValue(ms.member("Unit"), u, "See StandardUnit for the accepted units, e.g. Count, Seconds, Count/Second.")
		}
		unit = u
	}

	q.label = name
	if label, ok, err := o.string("Label"); err != nil {
		return q, err
	} else if ok {
		q.label = label
	}

	q.w = window{
		startMs:  roundStart(start, now, period),
		endMs:    end.UnixMilli(),
		periodMs: period * 1000,
		stat:     stat,
		unit:     unit,
	}
	return q, nil
}

func validPeriod(p int64) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p > 0 && p%60 == 0 && p <= math.MaxInt32
}

func validateStat(param, stat string) error {
	switch stat {
	case statAverage, statSum, statMinimum, statMaximum, statSampleCount:
		return nil
	}
	if extendedStat.MatchString(stat) {
		return invalidValue(param, stat,
			"Extended statistics (percentiles, trimmed means, IQM) are not supported by fakecw; use Average, Sum, Minimum, Maximum or SampleCount.")
	}
	return invalidValue(param, stat, "Valid statistics are Average, Sum, Minimum, Maximum, SampleCount and extended statistics such as p90.")
}

// roundStart applies CloudWatch's StartTime rounding: to the period's division of a minute for periods
// under a minute; otherwise to the minute, 5 minutes or hour depending on how long ago the start is.
func roundStart(start, now time.Time, periodSec int64) int64 {
	var stepMs int64
	age := now.Sub(start)
	switch {
	case periodSec < 60:
		stepMs = periodSec * 1000
	case age > 63*24*time.Hour:
		stepMs = 3600 * 1000
	case age > 15*24*time.Hour:
		stepMs = 300 * 1000
	default:
		stepMs = 60 * 1000
	}
	return floorDiv(start.UnixMilli(), stepMs) * stepMs
}

// cursor is where a paginated GetMetricData resumes: query index and datapoint offset within it.
type cursor struct{ query, point int }

const tokenPrefix = "fakecw1"

func encodeToken(fingerprint uint64, c cursor) string {
	raw := fmt.Sprintf("%s:%016x:%d:%d", tokenPrefix, fingerprint, c.query, c.point)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeToken checks that a NextToken came from this fake for the same request, so a token replayed with
// different queries or times fails loudly instead of returning a skewed page.
func decodeToken(tok string, fingerprint uint64, queries int) (cursor, error) {
	bad := func(reason string) error {
		return newError(errInvalidNextToken, "The NextToken %q is invalid: %s.", tok, reason)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return cursor{}, bad("it was not issued by fakecw")
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != tokenPrefix {
		return cursor{}, bad("it was not issued by fakecw")
	}
	fp, err1 := strconv.ParseUint(parts[1], 16, 64)
	q, err2 := strconv.Atoi(parts[2])
	p, err3 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return cursor{}, bad("it was not issued by fakecw")
	}
	if fp != fingerprint {
		return cursor{}, bad("it belongs to a request with different queries, times or ScanBy")
	}
	if q < 0 || q >= queries || p < 0 {
		return cursor{}, bad("it points outside this request")
	}
	return cursor{query: q, point: p}, nil
}

// getMetricData answers a validated request from series, one page of at most pageSize datapoints.
func getMetricData(req getRequest, series map[metricKey][]sample, pageSize int) (cbor.Map, error) {
	var at cursor
	if req.hasToken {
		var err error
		if at, err = decodeToken(req.nextToken, req.fingerprint, len(req.queries)); err != nil {
			return nil, err
		}
	}
	budget := min(pageSize, req.maxDatapoints)

	results := cbor.List{}
	var next *cursor
	for qi := at.query; qi < len(req.queries); qi++ {
		q := req.queries[qi]
		if !q.returnData {
			continue
		}
		if budget == 0 {
			next = &cursor{query: qi}
			break
		}
		points := aggregate(series[q.key], q.w)
		if req.scanBy == types.ScanByTimestampDescending {
			slices.Reverse(points)
		}
		from := 0
		if qi == at.query {
			from = min(at.point, len(points))
		}
		n := min(len(points)-from, budget)
		budget -= n
		status := types.StatusCodeComplete
		if from+n < len(points) {
			status = types.StatusCodePartialData
			next = &cursor{query: qi, point: from + n}
		}
		ts := make(cbor.List, n)
		vs := make(cbor.List, n)
		for i, p := range points[from : from+n] {
			ts[i] = epoch(time.UnixMilli(p.atMs))
			vs[i] = cbor.Float64(p.value)
		}
		results = append(results, cbor.Map{
			"Id":         cbor.String(q.id),
			"Label":      cbor.String(q.label),
			"Timestamps": ts,
			"Values":     vs,
			"StatusCode": cbor.String(string(status)),
		})
		if next != nil {
			break
		}
	}

	out := cbor.Map{
		"MetricDataResults": results,
		"Messages":          cbor.List{},
	}
	if next != nil {
		out["NextToken"] = cbor.String(encodeToken(req.fingerprint, *next))
	}
	return out, nil
}

// countQueries counts the queries of a request without validating it, for Calls.
func countQueries(in object) int {
	l, _, err := in.list("MetricDataQueries")
	if err != nil {
		return 0
	}
	return len(l)
}
