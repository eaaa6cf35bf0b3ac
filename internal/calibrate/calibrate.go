package calibrate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Series is one metric's history: Values[i] was measured over the period starting at Times[i].
type Series struct {
	Times  []time.Time // period starts, in any order
	Values []float64   // one per time; NaN or ±Inf mean missing
}

// Len returns the number of samples, or an error when Times and Values differ in length.
func (s Series) Len() (int, error) {
	if len(s.Times) != len(s.Values) {
		return 0, fmt.Errorf("%d times but %d values", len(s.Times), len(s.Values))
	}
	return len(s.Times), nil
}

// History is one service's recorded metrics, one value per Period.
type History struct {
	Service string        // ECS service name
	Period  time.Duration // length of one period; every timestamp is truncated to it
	// RequestRate is the requests/s reaching this service: the router's RequestRate × the service's weight.
	RequestRate  Series
	RunningTasks Series // running tasks, averaged over the period
	CPU          Series // average CPU utilisation, percent
	Latency      Series // Service Connect target response time, ms; may be empty
	Errors5xx    Series // 5xx responses per period; may be empty
	// Notes say where the series came from (e.g. a fallback metric); Estimate copies them into the evidence.
	Notes []string
}

// The signals a knee can be found in.
const (
	SignalLatency = "latency" // Service Connect target response time rose
	Signal5xx     = "5xx"     // the 5xx rate rose
	SignalCPU     = "cpu"     // CPU reached Options.TargetCPU (no latency or 5xx data)
)

// Defaults of Options; a zero field means its default.
const (
	DefaultMinHours        = 24
	DefaultLatencyRise     = 1.5
	DefaultMaxErrorRate    = 0.001 // 0.1 %
	DefaultTargetCPU       = 70
	DefaultMargin          = 0.8
	DefaultBins            = 40
	DefaultMinBinPeriods   = 10
	DefaultMinUpperPeriods = 30
	DefaultBootstrap       = 200
	DefaultSeed            = 1
)

// cpuSaturated is the CPU % above which a period is left out of the CPU fit: a saturated task's CPU no longer
// grows with its load, which would bend the line.
const cpuSaturated = 95

// Options tune Estimate; the zero value means every default.
type Options struct {
	MinHours        float64 // usable history needed, hours
	LatencyRise     float64 // a bin is degraded when its median latency exceeds the baseline × this
	MaxErrorRate    float64 // a bin is degraded when its 5xx / requests exceeds the low-load rate by this fraction
	TargetCPU       float64 // CPU % that marks the knee when only CPU is known
	Margin          float64 // CapacityRPS = knee × Margin, in (0, 1]
	Bins            int     // equal-width bins of per-task load, before sparse ones are merged
	MinBinPeriods   int     // periods a bin needs; sparser bins are merged with the next one up
	MinUpperPeriods int     // periods at or beyond the knee bin needed to place the knee
	Bootstrap       int     // bootstrap replicates for KneeLow and KneeHigh
	Seed            uint64  // bootstrap seed: the same input and seed give the same result
}

// withDefaults returns o with every zero field set to its default, or every invalid field as one error.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MinHours, DefaultMinHours)
	def(&o.LatencyRise, DefaultLatencyRise)
	def(&o.MaxErrorRate, DefaultMaxErrorRate)
	def(&o.TargetCPU, DefaultTargetCPU)
	def(&o.Margin, DefaultMargin)
	defInt(&o.Bins, DefaultBins)
	defInt(&o.MinBinPeriods, DefaultMinBinPeriods)
	defInt(&o.MinUpperPeriods, DefaultMinUpperPeriods)
	defInt(&o.Bootstrap, DefaultBootstrap)
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	// The comparisons are written so that NaN fails them.
	if !(o.MinHours > 0 && o.MinHours <= 24*365) {
		bad("MinHours %v: want more than 0 and at most a year", o.MinHours)
	}
	if !(o.LatencyRise > 1 && o.LatencyRise <= 100) {
		bad("LatencyRise %v: want more than 1 (a factor over the baseline) and at most 100", o.LatencyRise)
	}
	if !(o.MaxErrorRate > 0 && o.MaxErrorRate < 1) {
		bad("MaxErrorRate %v: want a fraction between 0 and 1 (0.001 is 0.1%%)", o.MaxErrorRate)
	}
	if !(o.TargetCPU > 0 && o.TargetCPU < cpuSaturated) {
		bad("TargetCPU %v: want a percentage between 0 and %d", o.TargetCPU, cpuSaturated)
	}
	if !(o.Margin > 0 && o.Margin <= 1) {
		bad("Margin %v: want a factor between 0 and 1", o.Margin)
	}
	if o.Bins < 2 || o.Bins > 1000 {
		bad("Bins %d: want 2 to 1000", o.Bins)
	}
	if o.MinBinPeriods < 1 {
		bad("MinBinPeriods %d: want at least 1", o.MinBinPeriods)
	}
	if o.MinUpperPeriods < 1 {
		bad("MinUpperPeriods %d: want at least 1", o.MinUpperPeriods)
	}
	if o.Bootstrap < 1 || o.Bootstrap > 10000 {
		bad("Bootstrap %d: want 1 to 10000 replicates", o.Bootstrap)
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("invalid calibrate options: %w", errors.Join(errs...))
	}
	return o, nil
}

// Recommendation is Estimate's answer for one service; its JSON is what `fastscaler calibrate --json` prints.
type Recommendation struct {
	Service string `json:"service"` // ECS service name
	// CapacityRPS is the recommended FASTSCALER_CAPACITY: Knee × Margin rounded down to 2 significant figures.
	CapacityRPS float64  `json:"capacity_rps"`
	Knee        float64  `json:"knee_rps"`      // per-task requests/s beyond which the signal rises
	KneeLow     float64  `json:"knee_low_rps"`  // 10th percentile of the bootstrap
	KneeHigh    float64  `json:"knee_high_rps"` // 90th percentile of the bootstrap
	Signal      string   `json:"signal"`        // SignalLatency, Signal5xx or SignalCPU
	Evidence    Evidence `json:"evidence"`
}

// Evidence is what a recommendation rests on, for a human to judge it.
type Evidence struct {
	Hours             float64 `json:"hours"`               // usable history of the signal
	Periods           int     `json:"periods"`             // usable periods of the signal
	Dropped           int     `json:"dropped"`             // periods dropped: missing request rate or task count, or no running task
	Surges            int     `json:"surges"`              // episodes where the request rate rose ≥ 1.5× within 5 minutes
	MaxPerTaskLoad    float64 `json:"max_per_task_rps"`    // highest per-task requests/s seen
	PeriodsBeyondKnee int     `json:"periods_beyond_knee"` // periods whose per-task load exceeded the knee
	// Baseline is the signal over the lower half of the load: median ms, the pooled 5xx fraction, or median CPU %.
	Baseline float64 `json:"baseline"`
	// Threshold is the signal's value that marks degradation: Baseline × LatencyRise, Baseline + MaxErrorRate or
	// TargetCPU.
	Threshold float64  `json:"threshold"`
	CPUAtKnee float64  `json:"cpu_at_knee"` // CPU % a linear fit of CPU on load gives at the knee; 0 without CPU data
	Fit       Fit      `json:"fit"`         // the fitted curve of the signal on per-task load
	Bins      []Bin    `json:"bins"`        // the signal per bin of per-task load, lowest first
	Bootstrap int      `json:"bootstrap"`   // replicates behind KneeLow and KneeHigh
	Notes     []string `json:"notes"`
}

// Fit is the fitted signal: Intercept + Slope·x + SlopeAbove·max(0, x − Knee), x the per-task load.
type Fit struct {
	Intercept  float64 `json:"intercept"`
	Slope      float64 `json:"slope"`
	SlopeAbove float64 `json:"slope_above"`
}

// At returns the fitted signal at per-task load x for a knee.
func (f Fit) At(x, knee float64) float64 {
	return f.Intercept + f.Slope*x + f.SlopeAbove*max(0, x-knee)
}

// Bin summarises the periods whose per-task load fell in [Low, High) (the top bin includes High).
type Bin struct {
	Low       float64 `json:"low_rps"`
	High      float64 `json:"high_rps"`
	Periods   int     `json:"periods"`
	Median    float64 `json:"median"`     // median of the signal (latency ms, 5xx fraction or CPU %)
	ErrorRate float64 `json:"error_rate"` // 5xx / requests over the bin's periods with a known 5xx count; 0 without
}

// Estimate finds the per-task load at which h's service degrades and recommends FASTSCALER_CAPACITY.
// It returns an *InsufficientDataError when the history cannot place the knee, and other errors for bad input.
func Estimate(h History, opts Options) (Recommendation, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Recommendation{}, err
	}
	a, err := align(h)
	if err != nil {
		return Recommendation{}, fmt.Errorf("calibrating %s: %w", serviceName(h.Service), err)
	}
	sel, err := selectSignal(h, a, o)
	if err != nil {
		return Recommendation{}, err
	}
	d := newKneeData(sel, a.period, o)
	var rec Recommendation
	if sel.mode == modeCPU {
		rec, err = d.estimateCPU(h.Service)
	} else {
		rec, err = d.estimateKnee(h.Service)
	}
	if err != nil {
		return Recommendation{}, err
	}
	rec.Service = h.Service
	rec.CapacityRPS = floorSignificant(rec.Knee*o.Margin, 2)
	ev := &rec.Evidence
	ev.Hours = float64(len(sel.periods)) * a.period.Hours()
	ev.Periods = len(sel.periods)
	ev.Dropped = a.dropped
	ev.Surges = countSurges(h.RequestRate, a.period)
	if rec.Signal != SignalCPU {
		ev.CPUAtKnee = cpuAt(a.periods, rec.Knee)
	}
	ev.Notes = append(append(append([]string(nil), h.Notes...), sel.notes...), ev.Notes...)
	ev.Notes = append(ev.Notes, fmt.Sprintf("recommended capacity %s rps per task = knee %.0f × margin %g, rounded down to 2 significant figures",
		formatRPS(rec.CapacityRPS), rec.Knee, o.Margin))
	return rec, nil
}

// floorSignificant rounds v > 0 down to n significant figures (144.7 → 140 for n = 2); it returns 0 for v ≤ 0.
func floorSignificant(v float64, n int) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	e := int(math.Floor(math.Log10(v))) - (n - 1)
	// Scaling by an exact power of ten (multiplying for e ≥ 0, dividing for e < 0) keeps 0.14 from coming
	// out as 0.14000000000000001; the small nudge keeps a value that is already round, like 140 computed as
	// 139.99999999999997, from flooring to 130.
	if e >= 0 {
		p := math.Pow10(e)
		return math.Floor(v/p*(1+1e-12)) * p
	}
	p := math.Pow10(-e)
	return math.Floor(v*p*(1+1e-12)) / p
}

// formatRPS writes a requests/s figure without float noise.
func formatRPS(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// serviceName names a service in an error even when History.Service was left empty.
func serviceName(s string) string {
	if s == "" {
		return "(unnamed service)"
	}
	return s
}
