package autoscaler

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"golang.org/x/time/rate"
)

// AASAPI is the part of Application Auto Scaling fastscaler uses; *applicationautoscaling.Client satisfies it.
type AASAPI interface {
	DescribeScalableTargets(ctx context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, opts ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(ctx context.Context, in *applicationautoscaling.RegisterScalableTargetInput, opts ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error)
}

var _ AASAPI = (*applicationautoscaling.Client)(nil)

// Tags with which fastscaler shares a service with Application Auto Scaling (AAS mode).
const (
	// TagAASOwnerMin is the scalable target's MinCapacity as its owner configured it, before fastscaler raised it.
	TagAASOwnerMin = "fastscaler:aas-owner-min"
	// TagAASMinSet is the MinCapacity fastscaler last set; a different MinCapacity means the owner changed it.
	TagAASMinSet = "fastscaler:aas-min-set"
)

// ScalableTarget is an Application Auto Scaling scalable target on an ECS service's desired count.
type ScalableTarget struct {
	Min, Max int
}

// AAS reads and adjusts the scalable targets of a cluster's services.
type AAS struct {
	api     AASAPI
	cluster string
	limiter *rate.Limiter
}

// NewAAS returns an AAS for cluster's services, allowing callsPerSec calls per second.
func NewAAS(api AASAPI, cluster string, callsPerSec float64) *AAS {
	return &AAS{api: api, cluster: clusterName(cluster), limiter: rate.NewLimiter(rate.Limit(callsPerSec), 5)}
}

func (a *AAS) resourceID(service string) string { return "service/" + a.cluster + "/" + service }

// Targets returns the scalable targets of the given services; services without one are absent.
func (a *AAS) Targets(ctx context.Context, services []string) (map[string]ScalableTarget, error) {
	out := map[string]ScalableTarget{}
	byID := map[string]string{}
	var ids []string
	for _, s := range services {
		id := a.resourceID(s)
		byID[id] = s
		ids = append(ids, id)
	}
	for start := 0; start < len(ids); start += 50 {
		p := applicationautoscaling.NewDescribeScalableTargetsPaginator(a.api, &applicationautoscaling.DescribeScalableTargetsInput{
			ServiceNamespace:  aastypes.ServiceNamespaceEcs,
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			ResourceIds:       ids[start:min(start+50, len(ids))],
		})
		for p.HasMorePages() {
			if err := a.limiter.Wait(ctx); err != nil {
				return nil, err
			}
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describing scalable targets of %s: %w", strings.Join(services, ", "), err)
			}
			for _, t := range page.ScalableTargets {
				if s, ok := byID[aws.ToString(t.ResourceId)]; ok {
					out[s] = ScalableTarget{Min: int(aws.ToInt32(t.MinCapacity)), Max: int(aws.ToInt32(t.MaxCapacity))}
				}
			}
		}
	}
	return out, nil
}

// SetMin sets a service's scalable target MinCapacity, keeping its MaxCapacity.
func (a *AAS) SetMin(ctx context.Context, service string, minCapacity int) error {
	if err := a.limiter.Wait(ctx); err != nil {
		return err
	}
	_, err := a.api.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId:        aws.String(a.resourceID(service)),
		MinCapacity:       aws.Int32(int32(minCapacity)),
	})
	if err != nil {
		return fmt.Errorf("setting the MinCapacity of %s's scalable target to %d: %w", service, minCapacity, err)
	}
	return nil
}

// ownerMin returns the MinCapacity the target's owner configured: the recorded one while fastscaler's raise is in
// place, or the current one when nothing was raised or the owner changed it since.
func ownerMin(t ScalableTarget, tags map[string]string) int {
	set, errSet := strconv.Atoi(tags[TagAASMinSet])
	owner, errOwner := strconv.Atoi(tags[TagAASOwnerMin])
	if errSet != nil || errOwner != nil || set != t.Min {
		return t.Min
	}
	return owner
}

// OwnerMin returns the MinCapacity the owner of a service's scalable target configured.
func OwnerMin(t ScalableTarget, s Service) int { return ownerMin(t, s.Tags) }

// MoveMin sets the MinCapacity of s's scalable target t to want, clamped to [owner, MaxCapacity], where owner is
// the minimum the target's owner configured (OwnerMin), and returns the new target. Before any move that leaves it
// above owner it records owner in s's tags, so that a restart later finds it; back at owner it removes those
// tags. A failure part-way leaves tags that a restarted fastscaler reads as an owner's minimum at or above the
// true one: it may keep too many tasks, never too few.
func (a *AAS) MoveMin(ctx context.Context, e *ECS, s *Service, t ScalableTarget, owner, want int) (ScalableTarget, error) {
	want = min(max(owner, want), t.Max)
	if want == t.Min {
		return t, nil
	}
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	if want != owner {
		tags := map[string]string{TagAASOwnerMin: strconv.Itoa(owner), TagAASMinSet: strconv.Itoa(want)}
		if err := e.Tag(ctx, s.ARN, tags); err != nil {
			return t, fmt.Errorf("recording the owner's MinCapacity %d before moving it: %w", owner, err)
		}
		maps.Copy(s.Tags, tags)
	}
	if err := a.SetMin(ctx, s.Name, want); err != nil {
		return t, err
	}
	t.Min = want
	if want == owner {
		// Back in the owner's hands. Should the untag fail, the stale tags no longer match MinCapacity, and
		// ownerMin then takes MinCapacity itself as the owner's: still correct.
		delete(s.Tags, TagAASOwnerMin)
		delete(s.Tags, TagAASMinSet)
		if err := e.Untag(ctx, s.ARN, []string{TagAASOwnerMin, TagAASMinSet}); err != nil {
			return t, fmt.Errorf("MinCapacity is back at the owner's %d, but %w", owner, err)
		}
	}
	return t, nil
}
