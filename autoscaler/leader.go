package autoscaler

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/autoscaler/lease"
)

// With a lease (FASTSCALER_LEASE_TABLE), two daemons run: both poll and decide every tick, so both hold a warm
// history; only the lease holder writes. Each write starts only while the lease stays valid for LeaseMargin more by
// the writer's own clock, and gets LeaseCallTimeout, shorter than the margin: no write can land after a standby
// could have taken over.
const (
	LeaseMargin      = config.LeaseMargin
	LeaseCallTimeout = 3 * time.Second
)

// Leader is a leader lease: only its holder writes; *lease.Lease implements it.
type Leader interface {
	Tick(ctx context.Context) error
	Held(now time.Time, margin time.Duration) bool
	Release(ctx context.Context) error
	Status() lease.Status
	Observe(fn func(lease.Event))
}

var _ Leader = (*lease.Lease)(nil)

// ErrNotLeader refuses a write of a daemon that does not hold the lease for long enough.
var ErrNotLeader = errors.New("not the leader: the lease is not held for long enough to write")

// leaderGate lets a write through only while the lease is held for LeaseMargin, and bounds it by LeaseCallTimeout.
type leaderGate struct {
	leader Leader
	now    func() time.Time
}

func (g leaderGate) enter(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if !g.leader.Held(g.now(), LeaseMargin) {
		return ctx, func() {}, ErrNotLeader
	}
	ctx, cancel := context.WithTimeout(ctx, LeaseCallTimeout)
	return ctx, cancel, nil
}

// leaderCloud is a Cloud whose writes pass the leader gate; its reads do not need it.
type leaderCloud struct {
	Cloud
	gate leaderGate
}

func (c leaderCloud) SetDesired(ctx context.Context, service string, desired int) (Service, error) {
	ctx, cancel, err := c.gate.enter(ctx)
	defer cancel()
	if err != nil {
		return Service{}, err
	}
	return c.Cloud.SetDesired(ctx, service, desired)
}

func (c leaderCloud) Tag(ctx context.Context, arn string, tags map[string]string) error {
	ctx, cancel, err := c.gate.enter(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	return c.Cloud.Tag(ctx, arn, tags)
}

func (c leaderCloud) Untag(ctx context.Context, arn string, keys []string) error {
	ctx, cancel, err := c.gate.enter(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	return c.Cloud.Untag(ctx, arn, keys)
}

// leaderScaling is a Scaling whose MinCapacity moves pass the leader gate.
type leaderScaling struct {
	Scaling
	gate leaderGate
}

func (s leaderScaling) SetMin(ctx context.Context, service string, minCapacity int) error {
	ctx, cancel, err := s.gate.enter(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	return s.Scaling.SetMin(ctx, service, minCapacity)
}

// leaseLoop renews or acquires the lease on its own schedule, not only at poll ticks, so a takeover or a hand-over
// is seen within half a renewal period rather than up to two polls later.
func (d *Daemon) leaseLoop(ctx context.Context) {
	t := d.clock.NewTicker(d.leasing.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C():
			d.leasing.Kick(ctx, now)
		}
	}
}

// observeLease logs the lease's changes of holder and its failures (rate-limited).
func (d *Daemon) observeLease(e lease.Event) {
	now := d.clock.Now()
	switch {
	case e.Changed:
		d.log.Info("lease changed hands", zap.String("op", e.Op), zap.Bool("leader", e.Leader), zap.String("holder", e.Holder),
			zap.Duration("took", e.Took), zap.NamedError("lease_error", e.Err))
	case e.Err != nil && !errors.Is(e.Err, lease.ErrConflict):
		d.warn.warn("lease:"+e.Op, now, "leader lease call failed", zap.String("op", e.Op), zap.Bool("leader", e.Leader), zap.Error(e.Err))
	}
}
