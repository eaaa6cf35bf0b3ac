package fakeaas

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/tracking"
)

// The only scalable target this fake knows: an ECS service's desired count.
const (
	namespaceECS = "ecs"
	dimensionECS = "ecs:service:DesiredCount"
	// policyTypeTargetTracking is the only PolicyType stored.
	policyTypeTargetTracking = "TargetTrackingScaling"
)

// Limits of the Application Auto Scaling API reference and its quotas.
const (
	maxResourceIDLen     = 1600
	maxPolicyNameLen     = 256
	maxRoleARNLen        = 1600
	maxPoliciesPerTarget = 50 // scaling policies per scalable target
	maxTags              = 50
	maxTagKeyLen         = 128
	maxTagValueLen       = 256

	maxTargetsPage  = 50 // DescribeScalableTargets MaxResults: 1..50, default 50
	maxPoliciesPage = 10 // DescribeScalingPolicies MaxResults: 1..10, default 10
)

// predefinedMetrics are the predefined metric types AAS accepts for ECS services; the value says whether
// the metric needs a ResourceLabel (the ALB target group).
var predefinedMetrics = map[string]bool{
	"ECSServiceAverageCPUUtilization":    false,
	"ECSServiceAverageMemoryUtilization": false,
	"ALBRequestCountPerTarget":           true,
}

// resourceIDRE is an ECS service resource ID; cluster and service names are what ECS allows.
var resourceIDRE = regexp.MustCompile(`^service/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,255})$`)

type suspension struct {
	in, out, scheduled bool
}

type target struct {
	seq        uint64
	resourceID string
	arn        string
	min, max   int
	roleARN    string
	createdAt  time.Time
	suspended  suspension
	tags       map[string]string
	policies   []*policy // in creation order

	// Evaluate's scaling state: cooldowns and the target's latest activities.
	scaling tracking.State
}

type policy struct {
	seq       uint64
	name      string
	arn       string
	createdAt time.Time
	// cfg is the configuration as put, checked by checkTargetTracking: TargetValue and the
	// PredefinedMetricSpecification are set; an unset cooldown means the ECS default of 300 s.
	cfg    targetTrackingJSON
	alarms []alarmJSON
}

func (p *policy) targetValue() float64            { return float64(*p.cfg.TargetValue) }
func (p *policy) scaleInCooldown() time.Duration  { return cooldown(p.cfg.ScaleInCooldown) }
func (p *policy) scaleOutCooldown() time.Duration { return cooldown(p.cfg.ScaleOutCooldown) }
func (p *policy) disableScaleIn() bool            { return p.cfg.DisableScaleIn != nil && *p.cfg.DisableScaleIn }

func cooldown(seconds *int32) time.Duration {
	if seconds == nil {
		return tracking.DefaultCooldown
	}
	return time.Duration(*seconds) * time.Second
}

func (t *target) policy(name string) *policy {
	for _, p := range t.policies {
		if p.name == name {
			return p
		}
	}
	return nil
}

// SplitResourceID returns the cluster and service an ECS scalable target's resource ID
// ("service/CLUSTER/SERVICE") names; false if it is not one.
func SplitResourceID(resourceID string) (cluster, service string, ok bool) {
	m := resourceIDRE.FindStringSubmatch(resourceID)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// notNull is the message AWS's request validation gives for a missing required member.
func notNull(member string) *awsfake.Error {
	return validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func checkNamespace(ns string) error {
	switch ns {
	case namespaceECS:
		return nil
	case "":
		return notNull("serviceNamespace")
	default:
		return validation("fakeaas: ServiceNamespace %q is not supported: this fake scales ECS services only (ServiceNamespace %q)",
			awsfake.Truncate(ns, 64), namespaceECS)
	}
}

// checkDimension validates a ScalableDimension; an empty one is fine where the member is optional.
func checkDimension(dim string, required bool) error {
	switch {
	case dim == dimensionECS:
		return nil
	case dim == "" && required:
		return notNull("scalableDimension")
	case dim == "":
		return nil
	default:
		return validation("fakeaas: ScalableDimension %q is not supported: ECS services scale on %q",
			awsfake.Truncate(dim, 64), dimensionECS)
	}
}

func checkResourceID(id string) error {
	switch {
	case id == "":
		return notNull("resourceId")
	case len(id) > maxResourceIDLen:
		return validation("1 validation error detected: Value at 'resourceId' failed to satisfy constraint: Member must have length less than or equal to %d", maxResourceIDLen)
	case !resourceIDRE.MatchString(id):
		return validation("fakeaas: ResourceId %q is not an ECS service resource ID (service/CLUSTER/SERVICE)", awsfake.Truncate(id, 80))
	}
	return nil
}

// checkTarget validates the three members that identify a scalable target.
func checkTarget(ns, dim, id string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if err := checkDimension(dim, true); err != nil {
		return err
	}
	return checkResourceID(id)
}

func checkCapacity(member string, v *int32) error {
	if v != nil && *v < 0 {
		return validation("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *v, member)
	}
	return nil
}

// paginate picks the page a Describe call of op asks for from items, which are in seq order: MaxResults of
// them (at most limit, limit by default) after NextToken, with the NextToken of the page after ("" for none).
func paginate[T any](op string, maxResults *int32, limit int, token string, items []T, seq func(T) uint64) ([]T, string, error) {
	size := limit
	if maxResults != nil {
		if *maxResults < 1 || int(*maxResults) > limit {
			return nil, "", validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *maxResults, limit)
		}
		size = int(*maxResults)
	}
	after, err := decodeToken(op, token)
	if err != nil {
		return nil, "", err
	}
	page, next := awsfake.Page(items, after, size, seq)
	if next == 0 {
		return page, "", nil
	}
	return page, encodeToken(op, next), nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return validation("fakeaas: %d tags, a scalable target takes at most %d", len(tags), maxTags)
	}
	for k, v := range tags {
		switch {
		case !utf8.ValidString(k) || !utf8.ValidString(v):
			return validation("fakeaas: tag %q is not valid UTF-8", k)
		case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen:
			return validation("fakeaas: tag key %q must be 1 to %d characters long", awsfake.Truncate(k, 140), maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return validation("fakeaas: value of tag %q is longer than %d characters", k, maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return validation("fakeaas: tag key %q starts with aws:, a prefix reserved for AWS use", k)
		}
	}
	return nil
}

func checkPolicyName(name string) error {
	switch {
	case name == "":
		return notNull("policyName")
	case utf8.RuneCountInString(name) > maxPolicyNameLen:
		return validation("1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return validation("fakeaas: PolicyName %q contains the non-printable character %U", awsfake.Truncate(name, 80), r)
		}
	}
	return nil
}

func notFoundTarget(id string) *awsfake.Error {
	return awsfake.ClientError("ObjectNotFoundException",
		"No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s",
		namespaceECS, id, dimensionECS)
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// targetARN looks like arn:aws:application-autoscaling:REGION:ACCOUNT:scalable-target/<36 hex digits>; the
// seq makes a re-registered target a new resource, as in AAS.
func (s *Server) targetARN(resourceID string, seq uint64) string {
	return fmt.Sprintf("arn:%s:application-autoscaling:%s:%s:scalable-target/%s",
		awsfake.PartitionOf(s.opts.Region), s.opts.Region, s.opts.Account, awsfake.HexID("target", resourceID+"#"+strconv.FormatUint(seq, 10), 36))
}

// defaultRoleARN is the service-linked role AAS uses for ECS when RegisterScalableTarget names none.
func (s *Server) defaultRoleARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
		awsfake.PartitionOf(s.opts.Region), s.opts.Account)
}

// newPolicy fills in the ARN and the two CloudWatch alarms AAS creates for a target tracking policy.
func (s *Server) newPolicy(t *target, name string, now time.Time) *policy {
	s.seq++
	id := awsfake.UUID("policy", t.arn+"/"+name+"#"+strconv.FormatUint(s.seq, 10))
	p := &policy{
		seq:       s.seq,
		name:      name,
		createdAt: now,
		arn: fmt.Sprintf("arn:%s:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s",
			awsfake.PartitionOf(s.opts.Region), s.opts.Region, s.opts.Account, id, namespaceECS, t.resourceID, name),
	}
	for _, kind := range []string{"AlarmHigh", "AlarmLow"} {
		alarm := "TargetTracking-" + t.resourceID + "-" + kind + "-" + awsfake.UUID("alarm", id+kind)
		p.alarms = append(p.alarms, alarmJSON{
			AlarmName: alarm,
			AlarmARN:  fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", awsfake.PartitionOf(s.opts.Region), s.opts.Region, s.opts.Account, alarm),
		})
	}
	return p
}

// A NextToken is an opaque cursor (awsfake.EncodeCursor): the seq of the last item listed, bound to the
// operation.
const tokenPrefix = "fakeaas-v1:"

func encodeToken(op string, seq uint64) string { return awsfake.EncodeCursor(tokenPrefix+op+":", seq) }

func decodeToken(op, tok string) (uint64, error) {
	if seq, ok := awsfake.DecodeCursor(tokenPrefix+op+":", tok); ok {
		return seq, nil
	}
	return 0, awsfake.ClientError("InvalidNextTokenException", "fakeaas: NextToken %q was not returned by a %s call of this fake",
		awsfake.Truncate(tok, 40), op)
}
