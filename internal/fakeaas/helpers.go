package fakeaas

import (
	"fmt"
	"maps"
	"time"
)

// TargetSnapshot is the state of one scalable target at the time of the Target call.
type TargetSnapshot struct {
	ResourceID   string
	ARN          string
	MinCapacity  int
	MaxCapacity  int
	RoleARN      string
	CreationTime time.Time
	Suspended    Suspended
	Tags         map[string]string // as given when the target was registered
	Policies     []PolicySnapshot  // oldest first
	LastScaleOut time.Time         // time of Evaluate's latest scale-out; zero if none
	LastScaleIn  time.Time         // time of Evaluate's latest scale-in; zero if none
}

// Suspended is a scalable target's SuspendedState.
type Suspended struct {
	DynamicScalingIn, DynamicScalingOut, ScheduledScaling bool
}

// PolicySnapshot is one target tracking scaling policy of a TargetSnapshot.
type PolicySnapshot struct {
	Name             string
	ARN              string
	TargetValue      float64
	MetricType       string        // PredefinedMetricType, e.g. "ECSServiceAverageCPUUtilization"
	ResourceLabel    string        // ALBRequestCountPerTarget's target group; empty for the others
	ScaleInCooldown  time.Duration // in effect: the ECS default of 300 s when the policy sets none
	ScaleOutCooldown time.Duration // in effect: the ECS default of 300 s when the policy sets none
	DisableScaleIn   bool
	CreationTime     time.Time
}

// AddTarget registers a scalable target for an ECS service, as if it had been registered before the test
// began: the hooks are not called and the default service-linked role is used. It panics on set-up mistakes:
// a resource ID that is not "service/CLUSTER/SERVICE", a negative capacity, min > max or a duplicate.
func (s *Server) AddTarget(resourceID string, minCapacity, maxCapacity int) {
	if _, _, ok := SplitResourceID(resourceID); !ok {
		panic(fmt.Sprintf("fakeaas.AddTarget: %q is not an ECS service resource ID (service/CLUSTER/SERVICE)", resourceID))
	}
	if minCapacity < 0 || minCapacity > maxCapacity {
		panic(fmt.Sprintf("fakeaas.AddTarget(%q): want 0 <= min <= max, got min %d, max %d", resourceID, minCapacity, maxCapacity))
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.targets[resourceID]; ok {
		panic(fmt.Sprintf("fakeaas.AddTarget: %s is already registered", resourceID))
	}
	s.seq++
	s.targets[resourceID] = &target{
		seq:        s.seq,
		resourceID: resourceID,
		arn:        s.targetARN(resourceID, s.seq),
		min:        minCapacity,
		max:        maxCapacity,
		roleARN:    s.defaultRoleARN(),
		createdAt:  now,
	}
}

// Target returns a snapshot of the scalable target of resourceID; false if none is registered.
func (s *Server) Target(resourceID string) (TargetSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.targets[resourceID]
	if !ok {
		return TargetSnapshot{}, false
	}
	snap := TargetSnapshot{
		ResourceID:   t.resourceID,
		ARN:          t.arn,
		MinCapacity:  t.min,
		MaxCapacity:  t.max,
		RoleARN:      t.roleARN,
		CreationTime: t.createdAt,
		Suspended:    Suspended{DynamicScalingIn: t.suspended.in, DynamicScalingOut: t.suspended.out, ScheduledScaling: t.suspended.scheduled},
		Tags:         maps.Clone(t.tags),
		LastScaleOut: t.scaling.LastOut,
		LastScaleIn:  t.scaling.LastIn,
	}
	for _, p := range t.policies {
		snap.Policies = append(snap.Policies, PolicySnapshot{
			Name:             p.name,
			ARN:              p.arn,
			TargetValue:      p.targetValue(),
			MetricType:       p.cfg.PredefinedMetricSpecification.PredefinedMetricType,
			ResourceLabel:    p.cfg.PredefinedMetricSpecification.ResourceLabel,
			ScaleInCooldown:  p.scaleInCooldown(),
			ScaleOutCooldown: p.scaleOutCooldown(),
			DisableScaleIn:   p.disableScaleIn(),
			CreationTime:     p.createdAt,
		})
	}
	return snap, true
}
