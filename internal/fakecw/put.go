package fakecw

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch's documented PutMetricData limits.
const (
	maxDatumsPerCall     = 1000 // across MetricData and EntityMetricData, raised from 20 in 2023
	maxEntityMetricData  = 2
	maxDimensions        = 30
	maxValuesPerDatum    = 150
	maxNamespaceLen      = 255
	maxMetricNameLen     = 255
	maxDimensionNameLen  = 255
	maxDimensionValueLen = 1024
	maxTimestampAge      = 14 * 24 * time.Hour
	maxTimestampAhead    = 2 * time.Hour
)

// CloudWatch accepts magnitudes in [2^-360, 2^360] (and zero); anything else, including NaN and ±Inf, is
// rejected rather than stored.
var (
	maxMagnitude = math.Ldexp(1, 360)
	minMagnitude = math.Ldexp(1, -360)
)

// parsePutMetricData validates a PutMetricData request as CloudWatch does and returns its datums with
// defaults applied. now stands in for the time of receipt. It stops at the first problem, as the service
// does, and the error names the offending parameter.
func parsePutMetricData(in object, now time.Time) ([]Datum, error) {
	ns, err := need(in, "Namespace", object.string)
	if err != nil {
		return nil, err
	}
	if err := validateNamespace(ns); err != nil {
		return nil, err
	}
	if _, _, err := in.bool("StrictEntityValidation"); err != nil {
		return nil, err
	}

	// Datums come from MetricData and from each EntityMetricData's MetricData; the entity itself only
	// links metrics to resources in the console, which nothing here reads.
	var data []object
	addData := func(parent object) error {
		l, _, err := parent.list("MetricData")
		if err != nil {
			return err
		}
		for i := range l {
			o, err := parent.listObject("MetricData", l, i)
			if err != nil {
				return err
			}
			data = append(data, o)
		}
		return nil
	}
	if err := addData(in); err != nil {
		return nil, err
	}
	entities, _, err := in.list("EntityMetricData")
	if err != nil {
		return nil, err
	}
	if len(entities) > maxEntityMetricData {
		return nil, newError(errInvalidParameterValue,
			"The collection EntityMetricData must not have a size greater than %d, got %d.", maxEntityMetricData, len(entities))
	}
	for i := range entities {
		e, err := in.listObject("EntityMetricData", entities, i)
		if err != nil {
			return nil, err
		}
		if err := addData(e); err != nil {
			return nil, err
		}
	}
	if len(data) == 0 {
		return nil, newError(errMissingParameter, "The parameter MetricData is required: send at least one datum in MetricData or EntityMetricData.")
	}
	if len(data) > maxDatumsPerCall {
		return nil, newError(errInvalidParameterValue,
			"The collection MetricData must not have a size greater than %d, got %d datums.", maxDatumsPerCall, len(data))
	}

	out := make([]Datum, 0, len(data))
	for _, o := range data {
		d, err := parseDatum(o, now)
		if err != nil {
			return nil, err
		}
		d.Namespace = ns
		out = append(out, d)
	}
	return out, nil
}

// countDatums counts the datums of a request without validating it, for Calls.
func countDatums(in object) int {
	n := 0
	if l, _, err := in.list("MetricData"); err == nil {
		n += len(l)
	}
	if l, _, err := in.list("EntityMetricData"); err == nil {
		for i := range l {
			if e, err := in.listObject("EntityMetricData", l, i); err == nil {
				if md, _, err := e.list("MetricData"); err == nil {
					n += len(md)
				}
			}
		}
	}
	return n
}

func validateNamespace(ns string) error {
	switch {
	case len(ns) == 0 || len(ns) > maxNamespaceLen:
		return invalidValue("Namespace", fmt.Sprintf("%q", ns),
			fmt.Sprintf("It must be between 1 and %d characters long.", maxNamespaceLen))
	case strings.HasPrefix(ns, "AWS/"):
		return invalidValue("Namespace", ns, "Namespaces beginning with AWS/ are reserved for AWS services.")
	case ns[0] == ':':
		return invalidValue("Namespace", ns, "It must not begin with a colon.")
	case !printableASCII(ns):
		return invalidValue("Namespace", fmt.Sprintf("%q", ns), "It may contain only printable ASCII characters.")
	}
	return nil
}

// parseDatum validates one MetricDatum.
func parseDatum(o object, now time.Time) (Datum, error) {
	var d Datum

	name, err := need(o, "MetricName", object.string)
	if err != nil {
		return d, err
	}
	if err := validateName(o.member("MetricName"), name, maxMetricNameLen); err != nil {
		return d, err
	}
	d.MetricName = name

	if d.Dimensions, err = parseDimensions(o); err != nil {
		return d, err
	}

	var r reads
	value, hasValue := optional(&r, o, "Value", object.float)
	values, hasValues := optional(&r, o, "Values", object.floats)
	counts, hasCounts := optional(&r, o, "Counts", object.floats)
	stats, hasStats := optional(&r, o, "StatisticValues", object.object)
	if r.err != nil {
		return d, r.err
	}
	forms := []string{}
	if hasValue {
		forms = append(forms, o.member("Value"))
	}
	if hasValues {
		forms = append(forms, o.member("Values"))
	}
	if hasStats {
		forms = append(forms, o.member("StatisticValues"))
	}
	switch {
	case len(forms) == 0:
		return d, newError(errInvalidParameterCombination,
			"At least one of the parameters %s, %s or %s must be specified.",
			o.member("Value"), o.member("Values"), o.member("StatisticValues"))
	case len(forms) > 1:
		return d, newError(errInvalidParameterCombination,
			"The parameters %s are mutually exclusive and you have specified more than one.", strings.Join(forms, " and "))
	case hasCounts && !hasValues:
		return d, newError(errInvalidParameterCombination,
			"The parameter %s may only be specified together with %s.", o.member("Counts"), o.member("Values"))
	}
	switch {
	case hasValue:
		if err := validateValue(o.member("Value"), value); err != nil {
			return d, err
		}
		d.Value = value
	case hasValues:
		if err := validateValues(o, values, counts, hasCounts); err != nil {
			return d, err
		}
		d.Values, d.Counts = values, counts
	default:
		if d.Stats, err = parseStatisticSet(stats); err != nil {
			return d, err
		}
	}

	d.Unit = unitNone
	if u, ok, err := o.string("Unit"); err != nil {
		return d, err
	} else if ok {
		if !slices.Contains(types.StandardUnit("").Values(), types.StandardUnit(u)) {
			return d, invalidValue(o.member("Unit"), u, "See StandardUnit for the accepted units, e.g. Count, Seconds, Count/Second.")
		}
		d.Unit = u
	}

	d.StorageResolution = 60
	if r, ok, err := o.int("StorageResolution"); err != nil {
		return d, err
	} else if ok {
		if r != 1 && r != 60 {
			return d, invalidValue(o.member("StorageResolution"), r, "It must be 1 (high resolution) or 60 (standard resolution).")
		}
		d.StorageResolution = int(r)
	}

	d.Timestamp = now.UTC()
	if ts, ok, err := o.time("Timestamp"); err != nil {
		return d, err
	} else if ok {
		if ts.Before(now.Add(-maxTimestampAge)) {
			return d, newError(errInvalidParameterValue,
				"The parameter %s must specify a time no more than two weeks in the past; got %s, received at %s.",
				o.member("Timestamp"), ts.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339))
		}
		if ts.After(now.Add(maxTimestampAhead)) {
			return d, newError(errInvalidParameterValue,
				"The parameter %s must specify a time no more than two hours in the future; got %s, received at %s.",
				o.member("Timestamp"), ts.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339))
		}
		d.Timestamp = ts
	}
	return d, nil
}

// parseDimensions reads a Dimensions list (of a MetricDatum or a Metric) into a map; nil when empty.
func parseDimensions(o object) (map[string]string, error) {
	l, _, err := o.list("Dimensions")
	if err != nil || len(l) == 0 {
		return nil, err
	}
	if len(l) > maxDimensions {
		return nil, newError(errInvalidParameterValue,
			"The collection %s must not have a size greater than %d, got %d.", o.member("Dimensions"), maxDimensions, len(l))
	}
	dims := make(map[string]string, len(l))
	for i := range l {
		dim, err := o.listObject("Dimensions", l, i)
		if err != nil {
			return nil, err
		}
		name, err := need(dim, "Name", object.string)
		if err != nil {
			return nil, err
		}
		if err := validateName(dim.member("Name"), name, maxDimensionNameLen); err != nil {
			return nil, err
		}
		if name[0] == ':' {
			return nil, invalidValue(dim.member("Name"), name, "Dimension names must not begin with a colon.")
		}
		value, err := need(dim, "Value", object.string)
		if err != nil {
			return nil, err
		}
		if err := validateName(dim.member("Value"), value, maxDimensionValueLen); err != nil {
			return nil, err
		}
		if _, dup := dims[name]; dup {
			return nil, invalidValue(dim.member("Name"), name, "The dimension name appears more than once.")
		}
		dims[name] = value
	}
	return dims, nil
}

// validateName checks the length and content rules CloudWatch shares for metric names and dimensions.
func validateName(param, s string, maxLen int) error {
	switch {
	case len(s) == 0 || len(s) > maxLen:
		return invalidValue(param, fmt.Sprintf("%q", s), fmt.Sprintf("It must be between 1 and %d characters long.", maxLen))
	case strings.TrimSpace(s) == "":
		return invalidValue(param, fmt.Sprintf("%q", s), "It must contain at least one non-whitespace character.")
	case !printableASCII(s):
		return invalidValue(param, fmt.Sprintf("%q", s), "It may contain only printable ASCII characters.")
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validateValue(param string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return invalidValue(param, v, "NaN and infinite values are not supported.")
	case v != 0 && (math.Abs(v) > maxMagnitude || math.Abs(v) < minMagnitude):
		return invalidValue(param, v, "Values must be zero or have a magnitude between 2^-360 and 2^360.")
	}
	return nil
}

func validateValues(o object, values, counts []float64, hasCounts bool) error {
	switch {
	case len(values) == 0:
		return invalidValue(o.member("Values"), "[]", "It must contain at least one value.")
	case len(values) > maxValuesPerDatum:
		return newError(errInvalidParameterValue,
			"The collection %s must not have a size greater than %d, got %d.", o.member("Values"), maxValuesPerDatum, len(values))
	case hasCounts && len(counts) != len(values):
		return newError(errInvalidParameterValue,
			"The parameters %s and %s must be of the same size, got %d values and %d counts.",
			o.member("Values"), o.member("Counts"), len(values), len(counts))
	}
	for i, v := range values {
		if err := validateValue(fmt.Sprintf("%s.member.%d", o.member("Values"), i+1), v); err != nil {
			return err
		}
	}
	for i, c := range counts {
		param := fmt.Sprintf("%s.member.%d", o.member("Counts"), i+1)
		if err := validateValue(param, c); err != nil {
			return err
		}
		if c < 0 {
			return invalidValue(param, c, "Counts must not be negative.")
		}
	}
	return nil
}

func parseStatisticSet(o object) (*StatisticSet, error) {
	var s StatisticSet
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"SampleCount", &s.SampleCount}, {"Sum", &s.Sum}, {"Minimum", &s.Minimum}, {"Maximum", &s.Maximum}} {
		v, err := need(o, f.name, object.float)
		if err != nil {
			return nil, err
		}
		if err := validateValue(o.member(f.name), v); err != nil {
			return nil, err
		}
		*f.dst = v
	}
	if s.SampleCount <= 0 {
		return nil, invalidValue(o.member("SampleCount"), s.SampleCount, "It must be greater than zero.")
	}
	if s.Minimum > s.Maximum {
		return nil, newError(errInvalidParameterValue, "The parameter %s (%v) must not be greater than %s (%v).",
			o.member("Minimum"), s.Minimum, o.member("Maximum"), s.Maximum)
	}
	return &s, nil
}
