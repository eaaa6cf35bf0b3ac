package fakeaas

import (
	"errors"
	"fmt"
	"math"
)

// Evaluate fires the target tracking policy of resourceID's scalable target once, as AAS does when one of
// the policy's CloudWatch alarms goes off with metric as the value it saw; the test decides when that is.
// It reads the service's desired count through Options.Desired, sets the new one through
// Options.SetDesired, and returns whether it changed and the desired count after the evaluation.
//
// The model, from the Application Auto Scaling User Guide ("How target tracking scaling works") and the API
// reference of TargetTrackingScalingPolicyConfiguration, with target the policy's TargetValue:
//
//	metric > target        scale-out to ceil(current × metric / target), clamped to [Min, Max], if that
//	                       is more than current. During the scale-out cooldown that follows, "the capacity
//	                       added by the initiating scale-out activity is calculated as part of the desired
//	                       capacity for the next scale-out", read here as: the metric still reflects the
//	                       capacity before that scale-out, so the new capacity is computed from it, and
//	                       applied only if it is also more than the scale-out set ("won't increase the
//	                       desired capacity again unless either a larger scale out is triggered or the
//	                       cooldown period ends"). A scale-out ends a running scale-in cooldown.
//	metric < 0.9 × target  scale-in to ceil(current × metric / target), clamped to [Min, Max], if that is
//	                       less than current, unless DisableScaleIn is set or a scale-in cooldown runs.
//	                       AAS removes capacity only "when utilization passes a threshold that is far
//	                       enough below the target value (usually more than 10% lower)". A scale-in ends
//	                       a running scale-out cooldown (this fake's choice: the docs are silent, and the
//	                       capacity before that scale-out no longer describes the service).
//	otherwise              no change.
//
// Cooldowns the policy does not set are 300 s, the ECS default, and run on Options.Now. A SuspendedState of
// DynamicScalingOutSuspended or DynamicScalingInSuspended blocks that direction. Clamping is what makes a
// raised MinCapacity stop AAS from scaling in below it.
//
// Evaluate fails when the target is not registered, has no target tracking policy or more than one (AAS
// would combine them, each on its own metric), when metric is negative or not finite, when a hook is nil,
// or when a hook fails; a failed SetDesired leaves the cooldowns as they were.
func (s *Server) Evaluate(resourceID string, metric float64) (changed bool, desired int, err error) {
	if math.IsNaN(metric) || math.IsInf(metric, 0) || metric < 0 {
		return false, 0, fmt.Errorf("fakeaas: Evaluate(%s): metric %v is not a non-negative number", resourceID, metric)
	}
	if s.opts.Desired == nil || s.opts.SetDesired == nil {
		return false, 0, errors.New("fakeaas: Evaluate needs both Options.Desired and Options.SetDesired")
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.targets[resourceID]
	if !ok {
		return false, 0, fmt.Errorf("fakeaas: Evaluate: no scalable target is registered for %s", resourceID)
	}
	if len(t.policies) != 1 {
		return false, 0, fmt.Errorf("fakeaas: Evaluate(%s): the target has %d scaling policies, Evaluate models exactly one", resourceID, len(t.policies))
	}
	p := t.policies[0]
	current, err := s.opts.Desired(resourceID)
	if err != nil {
		return false, 0, fmt.Errorf("fakeaas: Evaluate(%s): reading the desired count: %w", resourceID, err)
	}
	if current < 0 {
		return false, 0, fmt.Errorf("fakeaas: Evaluate(%s): Options.Desired returned %d", resourceID, current)
	}

	set := func(n int) error {
		if err := s.opts.SetDesired(resourceID, n); err != nil {
			return fmt.Errorf("fakeaas: Evaluate(%s): setting the desired count from %d to %d: %w", resourceID, current, n, err)
		}
		return nil
	}
	switch {
	case metric > p.targetValue:
		if t.suspended.out {
			return false, current, nil
		}
		base, floor := current, current
		inCooldown := now.Before(t.outCooldownUntil)
		if inCooldown {
			base, floor = t.outFrom, max(current, t.outTo)
		}
		next := clamp(ceilRatio(base, metric, p.targetValue), t.min, t.max)
		if next <= floor {
			return false, current, nil
		}
		if err := set(next); err != nil {
			return false, current, err
		}
		if !inCooldown {
			t.outFrom = current
		}
		t.outTo, t.lastOut = next, now
		t.outCooldownUntil = now.Add(p.scaleOutCooldown())
		t.inCooldownUntil = now // the scale-in cooldown "stops and doesn't complete"
		return true, next, nil

	case metric < scaleInThreshold*p.targetValue:
		if t.suspended.in || (p.disableScaleIn != nil && *p.disableScaleIn) || now.Before(t.inCooldownUntil) {
			return false, current, nil
		}
		next := clamp(ceilRatio(current, metric, p.targetValue), t.min, t.max)
		if next >= current {
			return false, current, nil
		}
		if err := set(next); err != nil {
			return false, current, err
		}
		t.lastIn = now
		t.inCooldownUntil = now.Add(p.scaleInCooldown())
		t.outCooldownUntil = now
		return true, next, nil
	}
	return false, current, nil
}
