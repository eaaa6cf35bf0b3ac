package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"golang.org/x/time/rate"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

// ScalableTarget is an Application Auto Scaling scalable target on an ECS service's desired count.
type ScalableTarget struct {
	Min int `json:"min_capacity"`
	Max int `json:"max_capacity"`
}

// AAS reads and adjusts the scalable targets of a cluster's services: it calls DescribeScalableTargets and
// RegisterScalableTarget.
type AAS struct {
	api     *applicationautoscaling.Client
	cluster string
	limiter *rate.Limiter
	writes  *applicationautoscaling.Client // RegisterScalableTarget; api unless WithWriter
	wlimit  *rate.Limiter                  // the writes' own rate limit
}

// NewAAS returns an AAS for cluster's services, allowing callsPerSec calls per second.
func NewAAS(api *applicationautoscaling.Client, cluster string, callsPerSec float64) *AAS {
	l := rate.NewLimiter(rate.Limit(callsPerSec), 5)
	return &AAS{api: api, cluster: clusterName(cluster), limiter: l, writes: api, wlimit: l}
}

// WithWriter sends RegisterScalableTarget through its own client and rate limit, as ECS.WithWriter does for ECS:
// throttled lookups must not slow a MinCapacity raise. A nil w keeps one client.
func (a *AAS) WithWriter(w *applicationautoscaling.Client) *AAS {
	if w != nil {
		a.writes, a.wlimit = w, rate.NewLimiter(a.limiter.Limit(), 5)
	}
	return a
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
	if err := a.wlimit.Wait(ctx); err != nil {
		return err
	}
	_, err := a.writes.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
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

// Target reads one service's scalable target now; ok is false when the service has none.
func (a *AAS) Target(ctx context.Context, service string) (t ScalableTarget, ok bool, err error) {
	got, err := a.Targets(ctx, []string{service})
	if err != nil {
		return ScalableTarget{}, false, err
	}
	t, ok = got[service]
	return t, ok, nil
}

// OwnerMemo is a scalable target owner's MinCapacity, kept in memory by the daemon beside the tags: it is what
// protects a raise whose recording tags could not be written (a tag policy, the 50-tag limit, AccessDenied).
type OwnerMemo struct {
	Owner int // the owner's MinCapacity
	Set   int // the MinCapacity fastscaler set
}

// ownerMin returns the MinCapacity the target's owner configured: the recorded one while MinCapacity is one that
// fastscaler set (or was moving from), else the remembered one while MinCapacity is the one fastscaler set, else
// MinCapacity itself: nothing was raised, or the owner changed it since.
func ownerMin(t ScalableTarget, rec durable.AASRecord, memo *OwnerMemo) int {
	if owner, ok := rec.OwnerMin(t.Min); ok {
		return owner
	}
	if memo != nil && t.Min == memo.Set {
		return min(memo.Owner, t.Min)
	}
	return t.Min
}

// OwnerMin returns the MinCapacity the owner of a service's scalable target configured, as recorded in its tags.
func OwnerMin(t ScalableTarget, s Service) int { return ownerMin(t, s.Durable.AAS, nil) }

// Claimed returns the count up to which a service's tasks are fastscaler's own: MinCapacity, or the MinCapacity
// of a raise that was recorded but did not take effect (MinCapacity still at the move's start).
func Claimed(t ScalableTarget, s Service) int { return max(t.Min, UnfinishedRaise(t, s)) }

// UnfinishedRaise returns the MinCapacity of a raise recorded in s's tags that did not take effect (MinCapacity
// is still at the move's start); 0 if there is none.
func UnfinishedRaise(t ScalableTarget, s Service) int { return s.Durable.AAS.Unfinished(t.Min) }

// MinMove is the outcome of a MinCapacity move.
type MinMove struct {
	Target ScalableTarget // as it is afterwards
	OK     bool           // false: the service has no scalable target (nothing was done)
	Owner  int            // the owner's minimum the move kept to
	Tags   durable.Edit   // the tag edits made, to replay over the service's tags as read before the move
}

// RaiseMin reads s's scalable target afresh and raises its MinCapacity to want (at most MaxCapacity); a
// MinCapacity already at or above want is left alone. See MoveMin for the tags.
func (a *AAS) RaiseMin(ctx context.Context, tg Tagger, s Service, want int) (MinMove, error) {
	return moveMin(ctx, a, tg, minMove{service: s.Name, arn: s.ARN, record: s.Durable.AAS, want: want, raiseOnly: true})
}

// MoveMin reads s's scalable target afresh and sets its MinCapacity to want, clamped to [the owner's minimum,
// MaxCapacity]. Before any move that leaves it above the owner's minimum it records that minimum and the move
// in s's tags, so that a restart finds them even if the move then fails, and after the move it records the new
// value alone; back at the owner's minimum it removes the record, as it does when it finds that the owner changed
// MinCapacity. The result's Tags are the edits it made to s's tags.
func (a *AAS) MoveMin(ctx context.Context, tg Tagger, s Service, want int) (MinMove, error) {
	return moveMin(ctx, a, tg, minMove{service: s.Name, arn: s.ARN, record: s.Durable.AAS, want: want})
}

// forget removes fastscaler's AAS record from the service arn when it no longer describes t (see
// durable.AASRecord.Stale), and returns the edit it made (empty: none).
func forget(ctx context.Context, tg Tagger, arn string, rec durable.AASRecord, t ScalableTarget) (durable.Edit, error) {
	if !rec.Stale(t.Min) {
		return durable.Edit{}, nil
	}
	e := durable.ForgetAAS()
	if err := e.Apply(ctx, tg, arn); err != nil {
		return durable.Edit{}, fmt.Errorf("removing fastscaler's MinCapacity tags, stale since MinCapacity is %d: %w", t.Min, err)
	}
	return e, nil
}

// errUnrecorded marks a MinCapacity raise made although the tags recording the owner's minimum could not be written.
var errUnrecorded = errors.New("MinCapacity raised, but the owner's minimum is not recorded in the tags")

// minMove is a MinCapacity move to make: what moveMin needs of the service, and how to move.
type minMove struct {
	service, arn string
	record       durable.AASRecord // the service's AAS record as last read (or written)
	want         int
	raiseOnly    bool       // never lower MinCapacity
	memo         *OwnerMemo // the daemon's memory of the owner's minimum; nil for the CLI
}

// moveMin is MoveMin, limited to raises when raiseOnly. With memo (the daemon's memory of the owner's minimum),
// a raise whose recording tags cannot be written is made all the same, and the error wraps errUnrecorded: the
// daemon then keeps the owner's minimum in memory and retries the tags, so AAS cannot halve a surge scale-out
// because a tag policy refused a tag. A restart without the tags errs to too many tasks, never too few.
func moveMin(ctx context.Context, sc Scaling, tg Tagger, m minMove) (MinMove, error) {
	got, err := sc.Targets(ctx, []string{m.service})
	if err != nil {
		return MinMove{}, err
	}
	t, ok := got[m.service]
	if !ok {
		return MinMove{}, nil
	}
	r := MinMove{Target: t, OK: true}
	forgot, err := forget(ctx, tg, m.arn, m.record, t)
	if err != nil {
		return r, err
	}
	rec := m.record
	if !forgot.Empty() {
		r.Tags, rec = forgot, durable.AASRecord{}
	}
	r.Owner = ownerMin(t, rec, m.memo)
	owner := r.Owner
	want := min(max(owner, m.want), t.Max)
	if want == t.Min || (m.raiseOnly && want < t.Min) {
		return r, nil
	}
	var unrecorded error
	if want != owner {
		record := durable.RecordAASMove(owner, t.Min, want)
		if err := record.Apply(ctx, tg, m.arn); err != nil {
			if m.memo == nil {
				return r, fmt.Errorf("recording the owner's MinCapacity %d before moving it: %w", owner, err)
			}
			// The daemon keeps the owner's minimum in memory: move all the same, up (so AAS cannot cut a scale-out)
			// and down (so MinCapacity follows a scale-in instead of AAS pushing the count back up). A restart
			// before the tags land takes the MinCapacity it finds for the owner's: too many tasks, never too few.
			unrecorded = fmt.Errorf("%w (%d): %w", errUnrecorded, owner, err)
		} else {
			r.Tags = r.Tags.Then(record)
		}
	}
	if err := sc.SetMin(ctx, m.service, want); err != nil {
		return r, err
	}
	t.Min = want
	r.Target = t
	if unrecorded != nil {
		return r, unrecorded
	}
	if want != owner {
		// The move is done: record the new value alone, so that an owner who later sets the old one is not taken
		// for fastscaler. Should this fail, only that narrow case is lost.
		done := durable.RecordAASMin(want)
		if err := done.Apply(ctx, tg, m.arn); err != nil {
			return r, fmt.Errorf("MinCapacity is %d, but %w", want, err)
		}
		r.Tags = r.Tags.Then(done)
		return r, nil
	}
	// Back in the owner's hands. Should the untag fail, the tags no longer match MinCapacity: ownerMin takes
	// MinCapacity itself as the owner's, which it now is, and the next move or forget removes them.
	r.Tags = r.Tags.Then(durable.ForgetAAS())
	if err := durable.ForgetAAS().Apply(ctx, tg, m.arn); err != nil {
		return r, fmt.Errorf("MinCapacity is back at the owner's %d, but %w", owner, err)
	}
	return r, nil
}
