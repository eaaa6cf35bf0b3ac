package calibrate

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Shortfall says what an InsufficientDataError lacks.
type Shortfall int

// The ways a history can fall short of placing the knee.
const (
	ShortHistory         Shortfall = iota + 1 // fewer than Options.MinHours of usable periods
	KneeNotReached                            // the per-task load never reached the knee: only a lower bound is known
	FewPeriodsBeyondKnee                      // the knee was seen, in too few periods to place it
	NoTaskCount                               // the history has no running-task count at all: no per-task load
)

// String names the shortfall.
func (s Shortfall) String() string {
	switch s {
	case ShortHistory:
		return "short history"
	case KneeNotReached:
		return "knee not reached"
	case FewPeriodsBeyondKnee:
		return "few periods beyond the knee"
	case NoTaskCount:
		return "no task count"
	}
	return fmt.Sprintf("Shortfall(%d)", int(s))
}

// InsufficientDataError is Estimate's refusal to recommend: what is missing, how much more is needed and why.
type InsufficientDataError struct {
	Service   string    // ECS service name
	Shortfall Shortfall // what is missing
	// Have and Need are hours for ShortHistory and periods for FewPeriodsBeyondKnee. For KneeNotReached Have is
	// the highest per-task load seen, a lower bound of the knee, and Need is 0; for NoTaskCount both are 0.
	Have, Need float64
	Knee       float64       // FewPeriodsBeyondKnee: where the knee appears to be
	Period     time.Duration // the history's period
	Detail     string        // what the signal did, in a sentence
}

// Error says what is missing and what to do about it.
func (e *InsufficientDataError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calibrating %s: ", serviceName(e.Service))
	switch e.Shortfall {
	case ShortHistory:
		more := e.Need - e.Have
		fmt.Fprintf(&b, "only %.1f hours of usable history; need at least %g: wait %.1f more hours", e.Have, e.Need, more)
		if e.Period > 0 {
			fmt.Fprintf(&b, " (%.0f more periods of %s)", math.Ceil(more/e.Period.Hours()), e.Period)
		}
	case KneeNotReached:
		fmt.Fprintf(&b, "per-task load never exceeded %s rps; the knee is above it; run a load test or wait for a bigger surge",
			formatRPS(math.Floor(e.Have)))
	case FewPeriodsBeyondKnee:
		fmt.Fprintf(&b, "per-task load reached the apparent knee (about %s rps) in only %.0f periods; need at least %.0f to place it: "+
			"wait for more surges or run a load test", formatRPS(math.Round(e.Knee)), e.Have, e.Need)
	case NoTaskCount:
		b.WriteString("no running-task count at any time, so no per-task load to calibrate against: waiting will not help; " +
			"find out where the service's task count should come from")
	default:
		fmt.Fprintf(&b, "insufficient data (%s)", e.Shortfall)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, " (%s)", e.Detail)
	}
	return b.String()
}
