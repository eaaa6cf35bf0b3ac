package policy

import (
	"time"

	"github.com/fastscaler/fastscaler/policy/knob"
)

// Knobs declares every tuning knob of Decide, once: its variable, default, bounds and meaning. The daemon's
// environment, validation (Config.Validate), the simulator's flags and the documentation tables all come from it.
//
// To add a knob: add its field to Tuning, its line here, the code in Decide that uses it, and its tests; then run
// `go generate ./...` to refresh the documentation tables (a test fails until they are).
func Knobs() []knob.Knob[Tuning] {
	type T = Tuning
	var (
		pos  = knob.Above[time.Duration](0, "0")
		zero = knob.AtLeast[time.Duration](0, "0")
	)
	return []knob.Knob[T]{
		knob.Float("FASTSCALER_SURGE_RATIO", 1.5, "short-window / baseline request-rate ratio that counts as a surge", func(t *T) *float64 { return &t.SurgeRatio }, knob.Above(1.0, "1")),
		knob.Float("FASTSCALER_SURGE_MIN_RPS", 50, "a surge must also reach this many requests/s (ignores ratios of tiny loads)", func(t *T) *float64 { return &t.SurgeMinRPS }, knob.AtLeast(0.0, "0")),
		// 90 s: Fargate start (~60 s + jitter) and NLB registration; tuned with the simulator (README).
		knob.Duration("FASTSCALER_LEAD_TIME", 90*time.Second, "how far ahead a surge is projected (Fargate start + NLB health checks)", func(t *T) *time.Duration { return &t.LeadTime }, zero),
		knob.Float("FASTSCALER_MAX_PROJECTION", 4, "cap of the projection, as a multiple of the current rate", func(t *T) *float64 { return &t.MaxProjection }, knob.AtLeast(1.0, "1")),
		knob.Float("FASTSCALER_MAX_SURGE_FACTOR", 10, "cap of the projection, as a multiple of the baseline the surge started from", func(t *T) *float64 { return &t.MaxSurgeFactor }, knob.Above(1.0, "1")),
		knob.Duration("FASTSCALER_SCALE_IN_COOLDOWN", 10*time.Minute, "no scale-in until this long after the last scale-out or floor end", func(t *T) *time.Duration { return &t.ScaleInCooldown }, zero),
		knob.Duration("FASTSCALER_STABILIZATION_WINDOW", 5*time.Minute, "scale-in goes to the highest recommendation over this window", func(t *T) *time.Duration { return &t.Stabilization }, zero),
		knob.Float("FASTSCALER_SCALE_IN_STEP", 0.2, "a scale-in step removes at most this fraction of tasks (at least 1)", func(t *T) *float64 { return &t.ScaleInStep }, knob.Above(0.0, "0"), knob.AtMost(1.0, "1")),
		knob.Duration("FASTSCALER_SCALE_IN_INTERVAL", time.Minute, "time between scale-in steps of a service", func(t *T) *time.Duration { return &t.ScaleInInterval }, zero),
		knob.Float("FASTSCALER_TOLERANCE", 0.1, "no scale-out while load is within this fraction of capacity", func(t *T) *float64 { return &t.Tolerance }, knob.AtLeast(0.0, "0"), knob.Below(1.0, "1")),
		// Below half the routers reporting, their sum says too little of the whole to shrink a fleet on.
		knob.Float("FASTSCALER_MIN_COVERAGE", 0.9, "scale-in needs this fraction of router tasks reporting", func(t *T) *float64 { return &t.MinCoverage }, knob.AtLeast(0.5, "0.5"), knob.AtMost(1.0, "1")),
		knob.Duration("FASTSCALER_STEADY_WINDOW", 10*time.Second, "steady-mode sizing averages the rate over this window", func(t *T) *time.Duration { return &t.SteadyWindow }, pos),
		knob.Duration("FASTSCALER_SLOPE_WINDOW", 10*time.Second, "the surge slope is fitted over this window", func(t *T) *time.Duration { return &t.SlopeWindow }, pos),
		knob.Duration("FASTSCALER_BASELINE_WINDOW", 5*time.Minute, "the baseline a surge is measured against (at least 20 polls)", func(t *T) *time.Duration { return &t.BaselineWindow }, pos),
		knob.Duration("FASTSCALER_SURGE_HOLD", 60*time.Second, "surge mode lasts this long after its condition last held", func(t *T) *time.Duration { return &t.SurgeHold }, zero),
		// 3 s ignores the noisy scenario's 5-second 2x blip; chosen with the simulator (README).
		knob.Duration("FASTSCALER_CONFIRM_WINDOW", 3*time.Second, "a new surge, or a load over capacity outside one, must hold this long "+
			"before it adds tasks (waived for a ramp, or a jump beyond twice the surge ratio), so a shorter blip adds none", func(t *T) *time.Duration { return &t.Confirm }, zero),
		// At 0.95 the simulator's 3% noise read a busy fleet as saturated (the step scenario cost 1.40x the oracle
		// instead of 1.03x, for the same unserved share).
		knob.Float("FASTSCALER_CEILING_NEAR", 0.98, "routers serving, per task, at least this fraction of their saturation "+
			"(capacity × 100/70) are at their ceiling: what they serve is a lower bound of the demand, sized for twice that", func(t *T) *float64 { return &t.CeilingNear }, knob.AtLeast(0.5, "0.5"), knob.AtMost(1.0, "1")),
	}
}
