// Package tracking is Application Auto Scaling's target tracking policy as a pure model: what one
// evaluation of a policy, when its CloudWatch alarm fires, does to a scalable target's desired count, and
// the cooldowns it leaves. The AAS fake (fakeaas.Server.Evaluate) and the simulator's target-tracking
// baselines both run it. It imports neither the AWS SDK nor a clock: time comes in as now.
//
// The model, from the Application Auto Scaling User Guide ("How target tracking scaling works") and the API
// reference of TargetTrackingScalingPolicyConfiguration:
//
//	metric > target        scale-out to ceil(current × metric / target), clamped to [Min, Max], if that
//	                       is more than current. During the scale-out cooldown that follows, "the capacity
//	                       added by the initiating scale-out activity is calculated as part of the desired
//	                       capacity for the next scale-out", read here as: the metric still reflects the
//	                       capacity before that scale-out, so the new capacity is computed from it, and
//	                       applied only if it is also more than the scale-out set ("won't increase the
//	                       desired capacity again unless either a larger scale out is triggered or the
//	                       cooldown period ends"); such a larger scale-out restarts the cooldown. A
//	                       scale-out ends a running scale-in cooldown.
//	metric < 0.9 × target  scale-in to ceil(current × metric / target), clamped to [Min, Max], if that is
//	                       less than current, unless DisableScaleIn is set or a scale-in cooldown runs.
//	                       AAS removes capacity only "when utilization passes a threshold that is far
//	                       enough below the target value (usually more than 10% lower)". A scale-in ends
//	                       a running scale-out cooldown (the docs are silent, and the capacity before that
//	                       scale-out no longer describes the service).
//	otherwise              no change.
//
// A suspended direction (DynamicScalingOutSuspended, DynamicScalingInSuspended) does not move. Clamping is
// what makes a raised MinCapacity stop AAS from scaling in below it.
package tracking

import (
	"math"
	"time"
)

// ScaleInFraction is the fraction of the target below which the scale-in alarm fires.
const ScaleInFraction = 0.9

// DefaultCooldown is ECS's default for both cooldowns when a policy sets none.
const DefaultCooldown = 300 * time.Second

// Policy is what the model needs of a target tracking scaling policy.
type Policy struct {
	Target           float64       // TargetValue, > 0
	ScaleOutCooldown time.Duration // as set, or DefaultCooldown
	ScaleInCooldown  time.Duration // as set, or DefaultCooldown
	DisableScaleIn   bool
}

// Target is what the model needs of the scalable target.
type Target struct {
	Min, Max                  int
	OutSuspended, InSuspended bool
}

// State is a scalable target's scaling state between evaluations; the zero value has never scaled.
type State struct {
	LastOut, LastIn  time.Time // the latest scale-out and scale-in
	OutCooldownUntil time.Time // until then, a scale-out must be larger than OutTo
	OutFrom, OutTo   int       // the capacity before and after the scale-out that started the cooldown
	InCooldownUntil  time.Time // no scale-in until then; a scale-out ends it
}

// Evaluate is one evaluation of p on t when its alarm fires with metric at now, with current the desired
// count. It returns the desired count to set and the state to keep once it is set; when the count is
// current, nothing happens and the state is s. metric must be a non-negative finite number.
func Evaluate(p Policy, t Target, s State, current int, metric float64, now time.Time) (int, State) {
	switch {
	case metric > p.Target:
		if t.OutSuspended {
			return current, s
		}
		base, floor := current, current
		inCooldown := now.Before(s.OutCooldownUntil)
		if inCooldown {
			base, floor = s.OutFrom, max(current, s.OutTo)
		}
		next := clamp(ceilRatio(base, metric, p.Target), t.Min, t.Max)
		if next <= floor {
			return current, s
		}
		if !inCooldown {
			s.OutFrom = current
		}
		s.OutTo, s.LastOut = next, now
		s.OutCooldownUntil = now.Add(p.ScaleOutCooldown)
		s.InCooldownUntil = now // the scale-in cooldown "stops and doesn't complete"
		return next, s

	case metric < ScaleInFraction*p.Target:
		if t.InSuspended || p.DisableScaleIn || now.Before(s.InCooldownUntil) {
			return current, s
		}
		next := clamp(ceilRatio(current, metric, p.Target), t.Min, t.Max)
		if next >= current {
			return current, s
		}
		s.LastIn = now
		s.InCooldownUntil = now.Add(p.ScaleInCooldown)
		s.OutCooldownUntil = now
		return next, s
	}
	return current, s
}

// ceilRatio is ceil(capacity × metric / target), AAS's proportional step. A tolerance keeps float noise
// (e.g. 4 × 75 / 50 = 6.000000000000001) from adding a task.
func ceilRatio(capacity int, metric, target float64) int {
	x := float64(capacity) * metric / target
	if x >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Ceil(x - 1e-9))
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
