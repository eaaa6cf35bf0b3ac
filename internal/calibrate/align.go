package calibrate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// obs is one usable period: the service had a request rate and at least one running task.
type obs struct {
	t       time.Time
	x       float64 // per-task load, requests/s per task
	reqs    float64 // requests in the period (rate × period)
	cpu     float64
	lat     float64
	errs    float64 // 5xx responses in the period
	hasCPU  bool
	hasLat  bool
	hasErrs bool // the 5xx count is known: a value, or no value inside the span the 5xx series covers
}

// aligned is a history reduced to its usable periods, oldest first.
type aligned struct {
	period  time.Duration
	periods []obs
	dropped int  // periods with a request rate or a task count but not both, or no running task
	noTasks bool // the task count has no value at all
}

// maxPeriods bounds a history (a year of 1-minute periods is 525,600) so a malformed input fails clearly
// instead of exhausting memory.
const maxPeriods = 2_000_000

// align matches h's series on their periods (each timestamp truncated to h.Period) and keeps the periods with
// both a request rate and at least one running task. Non-finite values count as missing; negative ones are errors.
func align(h History) (aligned, error) {
	if h.Period <= 0 {
		return aligned{}, fmt.Errorf("period %v: want a positive duration (60s is CloudWatch's usual)", h.Period)
	}
	var errs []error
	index := func(name string, s Series) map[int64]float64 {
		m, err := indexSeries(s, h.Period)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return m
	}
	rate := index("RequestRate", h.RequestRate)
	tasks := index("RunningTasks", h.RunningTasks)
	cpu := index("CPU", h.CPU)
	lat := index("Latency", h.Latency)
	errCounts := index("Errors5xx", h.Errors5xx)
	if len(errs) > 0 {
		return aligned{}, errors.Join(errs...)
	}

	// CloudWatch publishes a 5xx count only for periods that had some, so inside the span the 5xx series covers
	// a period without a value had none. Outside it (before Service Connect was set up, say) it is unknown.
	var errFrom, errTo int64 = math.MaxInt64, math.MinInt64
	for k := range errCounts {
		errFrom, errTo = min(errFrom, k), max(errTo, k)
	}

	keys := make([]int64, 0, len(rate))
	for k := range rate {
		keys = append(keys, k)
	}
	for k := range tasks {
		if _, ok := rate[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	a := aligned{period: h.Period, noTasks: len(tasks) == 0}
	secs := h.Period.Seconds()
	for _, k := range keys {
		r, okR := rate[k]
		n, okN := tasks[k]
		if !okR || !okN || n <= 0 {
			a.dropped++
			continue
		}
		o := obs{t: time.Unix(0, k).UTC(), x: r / n, reqs: r * secs}
		o.cpu, o.hasCPU = cpu[k]
		o.lat, o.hasLat = lat[k]
		o.errs, o.hasErrs = errCounts[k]
		if !o.hasErrs && k >= errFrom && k <= errTo {
			o.hasErrs = true
		}
		a.periods = append(a.periods, o)
	}
	return a, nil
}

// UsableSpan returns the start of h's first usable period (one with a request rate and a running task) and the
// end of its last, both zero when there is none. It fails on the histories Estimate rejects as malformed.
func (h History) UsableSpan() (start, end time.Time, err error) {
	a, err := align(h)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("calibrating %s: %w", serviceName(h.Service), err)
	}
	if len(a.periods) == 0 {
		return time.Time{}, time.Time{}, nil
	}
	return a.periods[0].t, a.periods[len(a.periods)-1].t.Add(a.period), nil
}

// indexSeries maps each finite value of s to its period (the timestamp truncated to period, in Unix ns).
func indexSeries(s Series, period time.Duration) (map[int64]float64, error) {
	n, err := s.Len()
	if err != nil {
		return nil, err
	}
	if n > maxPeriods {
		return nil, fmt.Errorf("%d values: at most %d are supported", n, maxPeriods)
	}
	m := make(map[int64]float64, n)
	for i, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue // missing, as a gap in CloudWatch's answer would be
		}
		t := s.Times[i]
		if v < 0 {
			return nil, fmt.Errorf("value %v at %s is negative", v, t.UTC().Format(time.RFC3339))
		}
		k := t.Truncate(period).UnixNano()
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("two values in the period starting %s (at %s): times must be one period apart",
				time.Unix(0, k).UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
		}
		m[k] = v
	}
	return m, nil
}

// signalSel is the signal Estimate uses and the periods that carry it, oldest first.
type signalSel struct {
	mode    mode
	periods []obs
	notes   []string
}

// mode is the signal a knee is looked for in.
type mode int

const (
	modeLatency mode = iota // latency, and the 5xx rate where known
	modeErrors              // the 5xx rate alone
	modeCPU                 // CPU reaching the target
)

// selectSignal picks latency (with 5xx) when it covers MinHours, else 5xx, else CPU, and keeps the periods
// that carry it. With none covering MinHours it refuses, giving the longest history it had.
func selectSignal(h History, a aligned, o Options) (signalSel, error) {
	var lat, errs, cpu []obs
	for _, p := range a.periods {
		if p.hasLat {
			lat = append(lat, p)
		}
		if p.hasErrs {
			errs = append(errs, p)
		}
		if p.hasCPU {
			cpu = append(cpu, p)
		}
	}
	if a.noTasks {
		return signalSel{}, &InsufficientDataError{Service: h.Service, Shortfall: NoTaskCount, Period: a.period}
	}
	if len(lat) == 0 && len(errs) == 0 && len(cpu) == 0 {
		if len(a.periods) == 0 {
			return signalSel{}, &InsufficientDataError{
				Service: h.Service, Shortfall: ShortHistory, Need: o.MinHours, Period: a.period,
				Detail: "no period has both a request rate and a running task count",
			}
		}
		return signalSel{}, fmt.Errorf("calibrating %s: no latency, 5xx or CPU data to find the knee in "+
			"(%d periods have a request rate and task count)", serviceName(h.Service), len(a.periods))
	}
	hours := func(ps []obs) float64 { return float64(len(ps)) * a.period.Hours() }
	switch {
	case hours(lat) >= o.MinHours:
		return signalSel{mode: modeLatency, periods: lat}, nil
	case hours(errs) >= o.MinHours:
		note := "no Service Connect latency: the knee is looked for in the 5xx rate alone"
		if len(lat) > 0 {
			note = fmt.Sprintf("Service Connect latency covers only %.1f hours: the knee is looked for in the 5xx rate alone", hours(lat))
		}
		return signalSel{mode: modeErrors, periods: errs, notes: []string{note}}, nil
	case hours(cpu) >= o.MinHours:
		var note string
		switch {
		case len(lat) == 0 && len(errs) == 0:
			note = "no Service Connect latency or 5xx data: falling back to CPU"
		default:
			note = fmt.Sprintf("Service Connect latency and 5xx cover only %.1f and %.1f hours: falling back to CPU",
				hours(lat), hours(errs))
		}
		return signalSel{mode: modeCPU, periods: cpu, notes: []string{note}}, nil
	}
	have, which := hours(lat), "latency"
	if hours(errs) > have {
		have, which = hours(errs), "5xx"
	}
	if hours(cpu) > have {
		have, which = hours(cpu), "CPU"
	}
	return signalSel{}, &InsufficientDataError{
		Service: h.Service, Shortfall: ShortHistory, Have: have, Need: o.MinHours, Period: a.period,
		Detail: fmt.Sprintf("the longest signal, %s, has %d usable periods", which, int(math.Round(have/a.period.Hours()))),
	}
}

// countSurges counts episodes where the request rate rose to ≥ 1.5× its lowest value of the preceding 5 minutes
// (or preceding period, when periods are longer). Marked periods less than that window apart are one episode;
// a rise from zero is not counted, as any traffic at all would be an infinite rise.
func countSurges(s Series, period time.Duration) int {
	const ratio = 1.5
	window := max(5*time.Minute, period)
	type pt struct {
		t time.Time
		v float64
	}
	var pts []pt
	for i := range min(len(s.Times), len(s.Values)) {
		if v := s.Values[i]; !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 {
			pts = append(pts, pt{s.Times[i], v})
		}
	}
	slices.SortFunc(pts, func(a, b pt) int { return a.t.Compare(b.t) })

	// deque holds indices of the window's points with increasing values: its front is the window's minimum.
	var deque []int
	surges := 0
	var lastMark time.Time
	for i, p := range pts {
		for len(deque) > 0 && p.t.Sub(pts[deque[0]].t) > window {
			deque = deque[1:]
		}
		if len(deque) > 0 {
			if lo := pts[deque[0]].v; lo > 0 && p.v >= ratio*lo {
				if lastMark.IsZero() || p.t.Sub(lastMark) > window {
					surges++
				}
				lastMark = p.t
			}
		}
		for len(deque) > 0 && pts[deque[len(deque)-1]].v >= p.v {
			deque = deque[:len(deque)-1]
		}
		deque = append(deque, i)
	}
	return surges
}
