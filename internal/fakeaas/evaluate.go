package fakeaas

import (
	"errors"
	"fmt"
	"math"

	"github.com/fastscaler/fastscaler/internal/tracking"
)

// Evaluate fires the target tracking policy of resourceID's scalable target once, as AAS does when one of
// the policy's CloudWatch alarms goes off with metric as the value it saw; the test decides when that is.
// It reads the service's desired count through Options.Desired, sets the new one through
// Options.SetDesired, and returns whether it changed and the desired count after the evaluation.
//
// The model is internal/tracking's, the one the simulator's target-tracking baselines run, with the
// policy's TargetValue, cooldowns (300 s, the ECS default, when the policy sets none, on Options.Now) and
// DisableScaleIn, and the target's MinCapacity, MaxCapacity and SuspendedState.
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

	next, state := tracking.Evaluate(tracking.Policy{
		Target:           p.targetValue(),
		ScaleOutCooldown: p.scaleOutCooldown(),
		ScaleInCooldown:  p.scaleInCooldown(),
		DisableScaleIn:   p.disableScaleIn(),
	}, tracking.Target{Min: t.min, Max: t.max, OutSuspended: t.suspended.out, InSuspended: t.suspended.in},
		t.scaling, current, metric, now)
	if next == current {
		return false, current, nil
	}
	if err := s.opts.SetDesired(resourceID, next); err != nil {
		return false, current, fmt.Errorf("fakeaas: Evaluate(%s): setting the desired count from %d to %d: %w", resourceID, current, next, err)
	}
	t.scaling = state
	return true, next, nil
}
