package fakeaas

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// operations are the operations the fake implements, each named after its request type (awsfake.Ops).
var operations = awsfake.Ops[*Server, Call](new(describeScalableTargetsRequest), new(registerScalableTargetRequest),
	new(deregisterScalableTargetRequest), new(putScalingPolicyRequest), new(describeScalingPoliciesRequest))

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

// present reports whether an optional JSON member was sent with a value.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func (s *Server) targetJSON(t *target) scalableTargetJSON {
	return scalableTargetJSON{
		ServiceNamespace:  namespaceECS,
		ResourceID:        t.resourceID,
		ScalableDimension: dimensionECS,
		MinCapacity:       t.min,
		MaxCapacity:       t.max,
		RoleARN:           t.roleARN,
		CreationTime:      awsfake.Epoch(t.createdAt),
		SuspendedState: suspendedStateJSON{
			DynamicScalingInSuspended:  &t.suspended.in,
			DynamicScalingOutSuspended: &t.suspended.out,
			ScheduledScalingSuspended:  &t.suspended.scheduled,
		},
		ScalableTargetARN: t.arn,
	}
}

// sortedTargets returns every target in registration order.
func (s *Server) sortedTargets() []*target {
	ts := slices.Collect(maps.Values(s.targets))
	slices.SortFunc(ts, func(a, b *target) int { return cmp.Compare(a.seq, b.seq) })
	return ts
}

// ---- DescribeScalableTargets

type describeScalableTargetsRequest struct {
	ServiceNamespace  string   `json:"ServiceNamespace"`
	ResourceIDs       []string `json:"ResourceIds"`
	ScalableDimension string   `json:"ScalableDimension"`
	MaxResults        *int32   `json:"MaxResults"`
	NextToken         string   `json:"NextToken"`
}

type describeScalableTargetsResponse struct {
	ScalableTargets []scalableTargetJSON `json:"ScalableTargets"`
	NextToken       string               `json:"NextToken,omitempty"`
}

func (in *describeScalableTargetsRequest) Record(c *Call) {
	c.ResourceIDs = slices.Clone(in.ResourceIDs)
}

func (in *describeScalableTargetsRequest) Run(s *Server, _ time.Time, _ *Call) (any, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension, false); err != nil {
		return nil, err
	}
	for _, id := range in.ResourceIDs {
		if id == "" || len(id) > maxResourceIDLen {
			return nil, validation("fakeaas: ResourceIds has an ID of %d characters; each must be 1 to %d long", len(id), maxResourceIDLen)
		}
	}
	targets := slices.DeleteFunc(s.sortedTargets(), func(t *target) bool {
		return len(in.ResourceIDs) > 0 && !slices.Contains(in.ResourceIDs, t.resourceID)
	})
	page, next, err := paginate("DescribeScalableTargets", in.MaxResults, maxTargetsPage, in.NextToken, targets,
		func(t *target) uint64 { return t.seq })
	if err != nil {
		return nil, err
	}
	out := describeScalableTargetsResponse{ScalableTargets: []scalableTargetJSON{}, NextToken: next}
	for _, t := range page {
		out.ScalableTargets = append(out.ScalableTargets, s.targetJSON(t))
	}
	return out, nil
}

// ---- RegisterScalableTarget

type registerScalableTargetRequest struct {
	ServiceNamespace  string              `json:"ServiceNamespace"`
	ResourceID        string              `json:"ResourceId"`
	ScalableDimension string              `json:"ScalableDimension"`
	MinCapacity       *int32              `json:"MinCapacity"`
	MaxCapacity       *int32              `json:"MaxCapacity"`
	RoleARN           *string             `json:"RoleARN"`
	SuspendedState    *suspendedStateJSON `json:"SuspendedState"`
	Tags              map[string]string   `json:"Tags"`
}

type registerScalableTargetResponse struct {
	ScalableTargetARN string `json:"ScalableTargetARN"`
}

func (in *registerScalableTargetRequest) Record(c *Call) {
	c.ResourceID, c.MinCapacity, c.MaxCapacity = in.ResourceID, intPtr(in.MinCapacity), intPtr(in.MaxCapacity)
}

// run creates or updates the target. Like AAS, an update keeps what the request leaves out, and the
// service's desired count is moved into the new range at once (API reference, RegisterScalableTarget: "it
// changes the resource's current capacity to a value that is inside of this range").
func (in *registerScalableTargetRequest) Run(s *Server, now time.Time, c *Call) (any, error) {
	if err := checkTarget(in.ServiceNamespace, in.ScalableDimension, in.ResourceID); err != nil {
		return nil, err
	}
	if err := checkCapacity("minCapacity", in.MinCapacity); err != nil {
		return nil, err
	}
	if err := checkCapacity("maxCapacity", in.MaxCapacity); err != nil {
		return nil, err
	}
	if in.RoleARN != nil && (!strings.HasPrefix(*in.RoleARN, "arn:") || len(*in.RoleARN) > maxRoleARNLen) {
		return nil, validation("fakeaas: RoleARN %q is not an IAM role ARN of at most %d characters", awsfake.Truncate(*in.RoleARN, 80), maxRoleARNLen)
	}
	t, exists := s.targets[in.ResourceID]
	var lo, hi int
	if exists {
		lo, hi = t.min, t.max
	} else {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, validation("fakeaas: MinCapacity and MaxCapacity are required to register a new scalable target, and %s is not registered", in.ResourceID)
		}
		if err := checkTags(in.Tags); err != nil {
			return nil, err
		}
	}
	if in.MinCapacity != nil {
		lo = int(*in.MinCapacity)
	}
	if in.MaxCapacity != nil {
		hi = int(*in.MaxCapacity)
	}
	if lo > hi {
		return nil, validation("Minimum capacity cannot be greater than maximum capacity (MinCapacity %d, MaxCapacity %d)", lo, hi)
	}

	if s.opts.Desired != nil {
		current, err := s.opts.Desired(in.ResourceID)
		if err != nil {
			return nil, validation("fakeaas: cannot read the desired count of ECS service %s (Options.Desired: %v)", in.ResourceID, err)
		}
		if want := clamp(current, lo, hi); want != current && s.opts.SetDesired != nil {
			if err := s.opts.SetDesired(in.ResourceID, want); err != nil {
				return nil, &awsfake.Error{Code: "InternalServiceException", Status: http.StatusInternalServerError,
					Msg: "fakeaas: setting the desired count of " + in.ResourceID + " into its new range (Options.SetDesired): " + err.Error()}
			}
			c.SetDesired = &want
		}
	}

	if !exists {
		s.seq++
		t = &target{
			seq:        s.seq,
			resourceID: in.ResourceID,
			arn:        s.targetARN(in.ResourceID, s.seq),
			roleARN:    s.defaultRoleARN(),
			createdAt:  now,
			tags:       maps.Clone(in.Tags), // tags are taken at creation only; TagResource changes them later
		}
		s.targets[in.ResourceID] = t
	}
	t.min, t.max = lo, hi
	if in.RoleARN != nil {
		t.roleARN = *in.RoleARN
	}
	if ss := in.SuspendedState; ss != nil {
		setIf(&t.suspended.in, ss.DynamicScalingInSuspended)
		setIf(&t.suspended.out, ss.DynamicScalingOutSuspended)
		setIf(&t.suspended.scheduled, ss.ScheduledScalingSuspended)
	}
	return registerScalableTargetResponse{ScalableTargetARN: t.arn}, nil
}

func setIf(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// ---- DeregisterScalableTarget

type deregisterScalableTargetRequest struct {
	ServiceNamespace  string `json:"ServiceNamespace"`
	ResourceID        string `json:"ResourceId"`
	ScalableDimension string `json:"ScalableDimension"`
}

func (in *deregisterScalableTargetRequest) Record(c *Call) { c.ResourceID = in.ResourceID }

// run deletes the target with its scaling policies, as AAS does; the service's capacity stays where it is.
func (in *deregisterScalableTargetRequest) Run(s *Server, _ time.Time, _ *Call) (any, error) {
	if err := checkTarget(in.ServiceNamespace, in.ScalableDimension, in.ResourceID); err != nil {
		return nil, err
	}
	if _, ok := s.targets[in.ResourceID]; !ok {
		return nil, notFoundTarget(in.ResourceID)
	}
	delete(s.targets, in.ResourceID)
	return struct{}{}, nil
}

// ---- PutScalingPolicy

type putScalingPolicyRequest struct {
	PolicyName                               string              `json:"PolicyName"`
	ServiceNamespace                         string              `json:"ServiceNamespace"`
	ResourceID                               string              `json:"ResourceId"`
	ScalableDimension                        string              `json:"ScalableDimension"`
	PolicyType                               string              `json:"PolicyType"`
	TargetTrackingScalingPolicyConfiguration *targetTrackingJSON `json:"TargetTrackingScalingPolicyConfiguration"`
	StepScalingPolicyConfiguration           json.RawMessage     `json:"StepScalingPolicyConfiguration"`
	PredictiveScalingPolicyConfiguration     json.RawMessage     `json:"PredictiveScalingPolicyConfiguration"`
}

type putScalingPolicyResponse struct {
	PolicyARN string      `json:"PolicyARN"`
	Alarms    []alarmJSON `json:"Alarms"`
}

func (in *putScalingPolicyRequest) Record(c *Call) {
	c.ResourceID, c.PolicyName = in.ResourceID, in.PolicyName
}

// run creates or updates a target tracking policy. An update keeps the policy's ARN, alarms and creation
// time, and, when the request carries no configuration, the configuration too.
func (in *putScalingPolicyRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := checkTarget(in.ServiceNamespace, in.ScalableDimension, in.ResourceID); err != nil {
		return nil, err
	}
	switch in.PolicyType {
	case policyTypeTargetTracking, "":
	case "StepScaling", "PredictiveScaling":
		return nil, validation("fakeaas: PolicyType %s is not supported: this fake stores %s policies only", in.PolicyType, policyTypeTargetTracking)
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [PredictiveScaling, StepScaling, TargetTrackingScaling]",
			awsfake.Truncate(in.PolicyType, 64))
	}
	if present(in.StepScalingPolicyConfiguration) || present(in.PredictiveScalingPolicyConfiguration) {
		return nil, validation("fakeaas: a %s policy takes a TargetTrackingScalingPolicyConfiguration only", policyTypeTargetTracking)
	}
	t, ok := s.targets[in.ResourceID]
	if !ok {
		return nil, notFoundTarget(in.ResourceID)
	}
	p := t.policy(in.PolicyName)
	cfg := in.TargetTrackingScalingPolicyConfiguration
	if p == nil {
		if in.PolicyType == "" {
			return nil, validation("fakeaas: PolicyType is required to create a scaling policy (%s has no policy %q)", in.ResourceID, in.PolicyName)
		}
		if cfg == nil {
			return nil, validation("fakeaas: TargetTrackingScalingPolicyConfiguration is required to create a %s policy", policyTypeTargetTracking)
		}
		if len(t.policies) >= maxPoliciesPerTarget {
			return nil, awsfake.ClientError("LimitExceededException", "fakeaas: %s already has %d scaling policies, the quota per scalable target", in.ResourceID, maxPoliciesPerTarget)
		}
	}
	if cfg != nil {
		if err := checkTargetTracking(cfg); err != nil {
			return nil, err
		}
	}
	if p == nil {
		p = s.newPolicy(t, in.PolicyName, now)
		t.policies = append(t.policies, p)
	}
	if cfg != nil {
		p.cfg = *cfg
		p.cfg.CustomizedMetricSpecification = nil // absent or null, as checked: never answered back
	}
	return putScalingPolicyResponse{PolicyARN: p.arn, Alarms: slices.Clone(p.alarms)}, nil
}

// maxTargetValue is the bound the API reference gives TargetValue: 2^360.
var maxTargetValue = math.Ldexp(1, 360)

func checkTargetTracking(cfg *targetTrackingJSON) error {
	const member = "targetTrackingScalingPolicyConfiguration"
	if cfg.TargetValue == nil {
		return notNull(member + ".targetValue")
	}
	if v := float64(*cfg.TargetValue); math.IsNaN(v) || v <= 0 || v > maxTargetValue {
		return validation("fakeaas: TargetValue %v must be a number greater than 0 and at most 2^360", v)
	}
	if present(cfg.CustomizedMetricSpecification) {
		return validation("fakeaas: CustomizedMetricSpecification is not supported; use a PredefinedMetricSpecification (%s)", metricTypes())
	}
	spec := cfg.PredefinedMetricSpecification
	if spec == nil {
		return validation("fakeaas: TargetTrackingScalingPolicyConfiguration needs a PredefinedMetricSpecification (%s)", metricTypes())
	}
	needsLabel, ok := predefinedMetrics[spec.PredefinedMetricType]
	switch {
	case !ok:
		return validation("fakeaas: PredefinedMetricType %q is not a metric of ECS services (%s)", awsfake.Truncate(spec.PredefinedMetricType, 64), metricTypes())
	case needsLabel && spec.ResourceLabel == "":
		return validation("fakeaas: %s needs a ResourceLabel naming the target group (app/LB/ID/targetgroup/TG/ID)", spec.PredefinedMetricType)
	case !needsLabel && spec.ResourceLabel != "":
		return validation("fakeaas: ResourceLabel goes with ALBRequestCountPerTarget only, not %s", spec.PredefinedMetricType)
	case len(spec.ResourceLabel) > 1023:
		return validation("fakeaas: ResourceLabel is %d characters long, at most 1023 are allowed", len(spec.ResourceLabel))
	}
	for _, cd := range []struct {
		name string
		v    *int32
	}{{"scaleInCooldown", cfg.ScaleInCooldown}, {"scaleOutCooldown", cfg.ScaleOutCooldown}} {
		if cd.v != nil && *cd.v < 0 {
			return validation("1 validation error detected: Value '%d' at '%s.%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *cd.v, member, cd.name)
		}
	}
	return nil
}

func metricTypes() string {
	return strings.Join(slices.Sorted(maps.Keys(predefinedMetrics)), ", ")
}

// ---- DescribeScalingPolicies

type describeScalingPoliciesRequest struct {
	ServiceNamespace  string   `json:"ServiceNamespace"`
	ResourceID        string   `json:"ResourceId"`
	ScalableDimension string   `json:"ScalableDimension"`
	PolicyNames       []string `json:"PolicyNames"`
	MaxResults        *int32   `json:"MaxResults"`
	NextToken         string   `json:"NextToken"`
}

type describeScalingPoliciesResponse struct {
	ScalingPolicies []scalingPolicyJSON `json:"ScalingPolicies"`
	NextToken       string              `json:"NextToken,omitempty"`
}

func (in *describeScalingPoliciesRequest) Record(c *Call) { c.ResourceID = in.ResourceID }

func (in *describeScalingPoliciesRequest) Run(s *Server, _ time.Time, _ *Call) (any, error) {
	if err := checkNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	if err := checkDimension(in.ScalableDimension, false); err != nil {
		return nil, err
	}
	if len(in.ResourceID) > maxResourceIDLen {
		return nil, validation("fakeaas: ResourceId is %d characters long, at most %d are allowed", len(in.ResourceID), maxResourceIDLen)
	}
	type owned struct {
		t *target
		p *policy
	}
	var all []owned
	for _, t := range s.sortedTargets() {
		if in.ResourceID != "" && in.ResourceID != t.resourceID {
			continue
		}
		for _, p := range t.policies {
			if len(in.PolicyNames) == 0 || slices.Contains(in.PolicyNames, p.name) {
				all = append(all, owned{t, p})
			}
		}
	}
	slices.SortFunc(all, func(a, b owned) int { return cmp.Compare(a.p.seq, b.p.seq) })
	page, next, err := paginate("DescribeScalingPolicies", in.MaxResults, maxPoliciesPage, in.NextToken, all,
		func(o owned) uint64 { return o.p.seq })
	if err != nil {
		return nil, err
	}

	out := describeScalingPoliciesResponse{ScalingPolicies: []scalingPolicyJSON{}, NextToken: next}
	for _, o := range page {
		out.ScalingPolicies = append(out.ScalingPolicies, scalingPolicyJSON{
			PolicyARN:                                o.p.arn,
			PolicyName:                               o.p.name,
			ServiceNamespace:                         namespaceECS,
			ResourceID:                               o.t.resourceID,
			ScalableDimension:                        dimensionECS,
			PolicyType:                               policyTypeTargetTracking,
			TargetTrackingScalingPolicyConfiguration: o.p.cfg,
			Alarms:                                   o.p.alarms,
			CreationTime:                             awsfake.Epoch(o.p.createdAt),
		})
	}
	return out, nil
}
