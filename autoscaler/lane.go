package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/policy"
)

const (
	// rereadTimeout bounds the re-read of a service just before its UpdateService. When it fails, a scale-out
	// goes ahead from a read no older than policy.MaxScaleOutReadAge; a scale-in waits.
	rereadTimeout = time.Second
	// jobTimeout bounds one lane job (re-read, UpdateService, MinCapacity move, tags), which finishes even when
	// shutting down.
	jobTimeout = 30 * time.Second
	// tagBackoffMax is the longest wait between retries of failing tag writes.
	tagBackoffMax = time.Minute
	// tagWriteEvery is how often, at most, a service's durable-state tags are written.
	tagWriteEvery = 10 * time.Second
)

// laneEnv is what every lane shares.
type laneEnv struct {
	cloud   Cloud
	scaling Scaling // nil: no AAS mode
	store   *serviceStore
	targets *targetStore
	log     *zap.Logger
	warn    *limiter
	clock   clock.Clock
	bg      *sync.WaitGroup
	dryRun  bool
	// retryMax is the longest wait between retries of a failed MinCapacity move.
	retryMax time.Duration
}

// lane applies the decisions for one service in the background, one job at a time: it re-reads the service, sets
// its desired count, moves its scalable target's MinCapacity and writes its durable-state tags. One service's slow
// or failing calls never hold up another's, nor the tick; while a job runs, the service's decision is a hold that
// says so.
type lane struct {
	name string
	env  *laneEnv

	mu           sync.Mutex
	busy         string       // what the running job does; empty when idle
	pendingTags  durable.Edit // durable state to write
	tagFailures  int
	tagNext      time.Time // failing tag writes are not retried before
	lastTagWrite time.Time
	tagErr       string
	move         *aasMove   // a MinCapacity move that failed, retried with backoff
	memo         *OwnerMemo // the owner's minimum while fastscaler holds MinCapacity above it
	lastSet      int        // the desired count this lane last set ...
	lastSetAt    time.Time  // ... and when
}

// ownLast returns the count this lane set within editMemory of now (0: none).
func (l *lane) ownLast(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSetAt) > editMemory {
		return 0
	}
	return l.lastSet
}

// aasMove is a MinCapacity move: a raise, or (exact) a move to the count fastscaler set, in either direction.
type aasMove struct {
	want     int
	exact    bool
	attempts int
	next     time.Time // not retried before
}

// change is one service's new desired count, as decided.
type change struct {
	from, to  int
	direction policy.Direction
	reason    string
}

// laneView is what the tick and /status see of a lane.
type laneView struct {
	Busy        string
	TagErr      string
	PendingMin  int // a MinCapacity move being retried (0: none)
	Memo        *OwnerMemo
	PendingTags int
}

func (l *lane) view() laneView {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := laneView{Busy: l.busy, TagErr: l.tagErr, PendingTags: l.pendingTags.Len()}
	if l.move != nil {
		v.PendingMin = l.move.want
	}
	if l.memo != nil {
		m := *l.memo
		v.Memo = &m
	}
	return v
}

// submit starts a job unless one is running: a change (nil: only background work), with AAS known or not.
func (l *lane) submit(ctx context.Context, c *change, now time.Time, aasKnown bool) bool {
	what := "writing durable state"
	if c != nil {
		what = fmt.Sprintf("a change to %d is still being applied", c.to)
	}
	l.mu.Lock()
	if l.busy != "" {
		l.mu.Unlock()
		return false
	}
	l.busy = what
	l.mu.Unlock()
	l.env.bg.Add(1)
	go func() {
		defer l.env.bg.Done()
		defer func() { l.mu.Lock(); l.busy = ""; l.mu.Unlock() }()
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
		defer cancel()
		if c != nil {
			l.apply(jctx, *c, now, aasKnown)
		}
		l.forgetStale(jctx, now)
		l.syncMin(jctx, now)
		l.flushTags(jctx, now, false)
	}()
	return true
}

// hasWork says whether background work is due: tags to write, or a MinCapacity move to make.
func (l *lane) hasWork(now time.Time) bool {
	l.mu.Lock()
	tagsDue := !l.pendingTags.Empty() && !now.Before(l.tagNext) && now.Sub(l.lastTagWrite) >= tagWriteEvery
	l.mu.Unlock()
	if tagsDue {
		return true
	}
	_, _, ok := l.minJob(now)
	return ok || l.staleTags(now)
}

// staleTags says whether the service's MinCapacity tags no longer describe its scalable target: the owner changed
// MinCapacity, or it is back at the owner's minimum. Left in place, they would let a later MinCapacity be taken
// for fastscaler's.
func (l *lane) staleTags(now time.Time) bool {
	e := l.env
	if e.scaling == nil || e.dryRun {
		return false
	}
	t, scalable, _ := e.targets.get(l.name)
	s, known := e.store.get(l.name)
	if !scalable || !known || s.Gone != "" || s.Durable.PausedAt(now) {
		return false
	}
	return s.Durable.AAS.Stale(t.Min)
}

// forgetStale removes stale MinCapacity tags (see staleTags).
func (l *lane) forgetStale(ctx context.Context, now time.Time) {
	if !l.staleTags(now) {
		return
	}
	e := l.env
	// Only a fresh read of the target may decide that the record is stale: a lookup that raced with a raise shows
	// the MinCapacity from before it.
	got, err := e.scaling.Targets(ctx, []string{l.name})
	if err != nil {
		e.warn.warn("aas-forget:"+l.name, now, "reading the scalable target failed; stale MinCapacity tags stay for now", zap.String("service", l.name), zap.Error(err))
		return
	}
	t, ok := got[l.name]
	e.targets.set(l.name, t, ok, e.clock.Now())
	s, _ := e.store.get(l.name)
	if !ok {
		return
	}
	forgot, err := forget(ctx, e.cloud, s.ARN, s.Durable.AAS, t)
	if err != nil {
		e.warn.warn("aas-forget:"+l.name, now, "stale MinCapacity tags could not be removed", zap.String("service", l.name), zap.Error(err))
		return
	}
	e.store.write(l.name, e.clock.Now(), retag(forgot))
}

// apply re-reads the service and, unless it changed in a way that makes the change wrong, sets its desired count.
func (l *lane) apply(ctx context.Context, c change, now time.Time, aasKnown bool) {
	e := l.env
	cached, _ := e.store.get(l.name)
	rctx, cancel := context.WithTimeout(ctx, rereadTimeout)
	got, err := e.cloud.Services(rctx, []string{l.name}, e.clock.Now())
	cancel()
	fresh, ok := got[l.name]
	switch {
	case err == nil && ok:
		e.store.put(fresh)
	case c.direction == policy.Down:
		e.warn.error("reread:"+l.name, now, "scale-in skipped: re-reading the service failed, and a scale-in needs a fresh read",
			zap.String("service", l.name), zap.Error(err))
		return
	case now.Sub(cached.ReadAt) > policy.MaxScaleOutReadAge || c.to < l.ownLast(now):
		// Too old; or below the count this lane itself set moments ago, which a read that raced with that write
		// may not show yet: a cached read must never lower what fastscaler just raised.
		e.warn.error("reread:"+l.name, now, "scale-out skipped: re-reading the service failed and the last read is too old",
			zap.String("service", l.name), zap.Duration("read_age", now.Sub(cached.ReadAt)), zap.Error(err))
		return
	default:
		e.warn.warn("reread:"+l.name, now, "re-reading the service before a scale-out failed; scaling out from the last read",
			zap.String("service", l.name), zap.Duration("read_age", now.Sub(cached.ReadAt)), zap.Error(err))
		fresh = cached
	}
	if fresh.Gone != "" {
		e.log.Info("scaling skipped: the service is gone", zap.String("service", l.name), zap.String("why", fresh.Gone))
		return
	}
	if why := stale(c.direction, c.from, c.to, cached, fresh, now); why != "" {
		e.log.Info("scaling skipped: the service changed since it was read", zap.String("service", l.name),
			zap.Int("decided_from", c.from), zap.Int("desired", c.to), zap.Int("now", fresh.Desired), zap.String("why", why))
		return
	}
	if c.direction == policy.Down && !l.checkScaleIn(ctx, &c, fresh, now, aasKnown) {
		return
	}
	updated, err := e.cloud.SetDesired(ctx, l.name, c.to)
	if errors.Is(err, ErrServiceGone) {
		e.store.write(l.name, e.clock.Now(), func(s *Service) { s.Gone = GoneInactive })
		e.warn.error("gone:"+l.name, now, "scaling failed: ECS says the service is gone; leaving it out until it is ACTIVE again",
			zap.String("service", l.name), zap.Error(err))
		return
	}
	if err != nil {
		e.warn.error("update:"+l.name, now, "scaling failed; deciding again next tick", zap.String("service", l.name),
			zap.Int("from", c.from), zap.Int("desired", c.to), zap.Error(err))
		return
	}
	done := e.clock.Now()
	e.store.write(l.name, done, func(s *Service) {
		s.Desired, s.Running, s.Pending, s.ReadAt = updated.Desired, updated.Running, updated.Pending, maxTime(s.ReadAt, done)
	})
	l.mu.Lock()
	l.lastSet, l.lastSetAt = c.to, done
	l.mu.Unlock()
	e.log.Info("service updated", zap.String("service", l.name), zap.Int("from", c.from), zap.Int("desired", c.to),
		zap.String("direction", string(c.direction)))
	l.queueTags(durable.RecordChange(c.direction, c.from, c.to, c.reason, now))
	if e.scaling == nil {
		return
	}
	_, scalable, _ := e.targets.get(l.name)
	switch {
	case c.direction == policy.Up && (scalable || !aasKnown):
		// Raise MinCapacity with the count, so AAS cannot cut it (tried even while the targets are unknown: the
		// move reads the target itself).
		l.moveMin(ctx, aasMove{want: c.to}, c.reason, now)
	case c.direction == policy.Down && scalable:
		l.moveMin(ctx, aasMove{want: c.to, exact: true}, c.reason, now)
	}
}

// checkScaleIn checks a scale-in against the service's scalable target, read afresh (a target registered since the
// last lookup counts too): the optimistic-concurrency side of the holds the policy already applied. fastscaler
// removes only what it added, never below the owner's minimum. It says whether the desired count is to be lowered.
func (l *lane) checkScaleIn(ctx context.Context, c *change, s Service, now time.Time, aasKnown bool) bool {
	e := l.env
	if e.scaling == nil {
		return true
	}
	if !aasKnown {
		return false // the policy holds already; a lookup that failed since the decision holds too
	}
	got, err := e.scaling.Targets(ctx, []string{l.name})
	if err != nil {
		e.warn.error("aas-read:"+l.name, now, "reading the scalable target before a scale-in failed; the scale-in waits",
			zap.String("service", l.name), zap.Error(err))
		return false
	}
	t, ok := got[l.name]
	e.targets.set(l.name, t, ok, e.clock.Now())
	if !ok {
		l.mu.Lock()
		l.move, l.memo = nil, nil
		l.mu.Unlock()
		return true
	}
	if forgot, err := forget(ctx, e.cloud, s.ARN, s.Durable.AAS, t); err != nil {
		e.warn.warn("aas-forget:"+l.name, now, "stale MinCapacity tags could not be removed", zap.String("service", l.name), zap.Error(err))
	} else if !forgot.Empty() {
		e.store.write(l.name, e.clock.Now(), retag(forgot))
		s = s.Retagged(forgot)
	}
	memo := l.view().Memo
	if claimed := Claimed(t, s); s.Desired > claimed {
		e.warn.warn("aas-holds:"+l.name, now, "scale-in skipped: Application Auto Scaling holds the desired count above fastscaler's MinCapacity",
			zap.String("service", l.name), zap.Int("desired", s.Desired), zap.Int("min_capacity", t.Min))
		return false
	}
	c.to = max(c.to, ownerMin(t, s.Durable.AAS, memo))
	return c.to < s.Desired
}

// minJob returns the MinCapacity move due now, if any: a failed move to retry, a raise a restart finds recorded but
// not made, or a raise to a pre-scale floor in force. Paused and gone services are left alone; with malformed
// fastscaler tags only raises go ahead.
func (l *lane) minJob(now time.Time) (aasMove, string, bool) {
	e := l.env
	if e.scaling == nil || e.dryRun {
		return aasMove{}, "", false
	}
	t, scalable, _ := e.targets.get(l.name)
	s, known := e.store.get(l.name)
	if !scalable || !known || s.Gone != "" || s.Durable.PausedAt(now) {
		return aasMove{}, "", false
	}
	l.mu.Lock()
	var m aasMove
	pending := l.move != nil
	if pending {
		m = *l.move
	}
	l.mu.Unlock()
	if pending && now.Before(m.next) {
		return aasMove{}, "", false
	}
	reason := "retrying a failed move"
	if pending && !m.exact {
		m.want = min(m.want, s.Desired) // a raise never above the count now: the count may have been lowered since
	}
	if r := UnfinishedRaise(t, s); !pending && r > 0 && r <= s.Desired {
		m, pending, reason = aasMove{want: r}, true, "finishing a recorded raise"
	}
	floor := 0
	if now.Before(s.Durable.FloorUntil) && len(s.TagErrors) == 0 {
		floor = s.Durable.FloorCount
	}
	switch {
	case pending && m.want < floor:
		m.want = floor // never below the floor
	case !pending && min(floor, t.Max) > t.Min:
		m, pending, reason = aasMove{want: floor}, true, "pre-scale floor"
	}
	if !pending || (m.exact && len(s.TagErrors) > 0) {
		return aasMove{}, "", false
	}
	return m, reason, true
}

// syncMin makes the MinCapacity move due now, if any.
func (l *lane) syncMin(ctx context.Context, now time.Time) {
	if m, reason, ok := l.minJob(now); ok {
		l.moveMin(ctx, m, reason, now)
	}
}

// moveMin moves MinCapacity and records the outcome: a failed move is retried with backoff; a raise whose tags
// could not be written is kept in memory, and its tags are retried with the other durable state.
func (l *lane) moveMin(ctx context.Context, m aasMove, reason string, now time.Time) {
	e := l.env
	s, _ := e.store.get(l.name)
	before, _, _ := e.targets.get(l.name)
	memo := l.view().Memo
	if memo == nil {
		memo = &OwnerMemo{Owner: -1, Set: -1} // allows an unrecorded move; matches no MinCapacity
	}
	r, err := moveMin(ctx, e.scaling, e.cloud, minMove{service: l.name, arn: s.ARN, record: s.Durable.AAS, want: m.want, raiseOnly: !m.exact, memo: memo})
	done := e.clock.Now()
	e.store.write(l.name, done, retag(r.Tags))
	if r.OK || err == nil {
		e.targets.set(l.name, r.Target, r.OK, done)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil && !errors.Is(err, errUnrecorded):
		m.attempts++
		m.next = now.Add(min(time.Second<<min(m.attempts, 10), e.retryMax))
		l.move = &m
		e.warn.error("aas-min:"+l.name, now, "moving the scalable target's MinCapacity failed; retrying",
			zap.String("service", l.name), zap.Int("min_capacity", m.want), zap.Int("attempts", m.attempts), zap.Error(err))
		return
	case !r.OK:
		l.move, l.memo = nil, nil
		return
	}
	l.move = nil
	l.pendingTags = l.pendingTags.WithoutAAS()
	l.memo = nil
	if r.Target.Min != r.Owner {
		l.memo = &OwnerMemo{Owner: r.Owner, Set: r.Target.Min}
	}
	if err != nil {
		// MinCapacity is raised, so AAS cannot cut the scale-out; only its record is missing. Keep it in memory
		// and write it with the other durable state, with backoff.
		l.pendingTags = l.pendingTags.Then(durable.RecordAASRaise(r.Owner, r.Target.Min))
		e.warn.error("aas-unrecorded:"+l.name, now, "MinCapacity raised, but the tags recording the owner's minimum could not be written; "+
			"it is kept in memory and the tags are retried (a restart before they are written keeps MinCapacity high: too many tasks, never too few)",
			zap.String("service", l.name), zap.Int("min_capacity", r.Target.Min), zap.Int("owner_min", r.Owner), zap.Error(err))
	}
	if r.Target.Min != before.Min {
		e.log.Info("scalable target MinCapacity moved", zap.String("service", l.name), zap.Int("from", before.Min),
			zap.Int("min_capacity", r.Target.Min), zap.Int("owner_min", r.Owner), zap.String("reason", reason))
	}
}

func (l *lane) queueTags(e durable.Edit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pendingTags = l.pendingTags.Then(e)
}

// flushTags writes the queued durable state, at most every tagWriteEvery (unless final), backing off while it fails.
func (l *lane) flushTags(ctx context.Context, now time.Time, final bool) {
	e := l.env
	l.mu.Lock()
	tags := l.pendingTags
	due := final || (!now.Before(l.tagNext) && now.Sub(l.lastTagWrite) >= tagWriteEvery)
	l.mu.Unlock()
	if tags.Empty() || !due {
		return
	}
	s, _ := e.store.get(l.name)
	if s.ARN == "" || s.Gone != "" {
		return
	}
	err := tags.Apply(ctx, e.cloud, s.ARN)
	l.mu.Lock()
	if err != nil {
		l.tagFailures++
		l.tagNext = now.Add(backoff(2*time.Second, tagBackoffMax, l.tagFailures))
		l.tagErr = err.Error()
		n, next := l.tagFailures, l.tagNext
		l.mu.Unlock()
		// Without these tags a restarted daemon would not know the cooldown: say so loudly, in logs and /status.
		e.warn.error("tags:"+l.name, now, "writing durable state tags failed; a restart would forget them; retrying with backoff",
			zap.String("service", l.name), zap.Int("failures", n), zap.Time("next_try", next), zap.Error(err))
		return
	}
	l.pendingTags = l.pendingTags.Done(tags)
	l.tagFailures, l.tagErr, l.tagNext, l.lastTagWrite = 0, "", time.Time{}, now
	l.mu.Unlock()
	e.store.write(l.name, e.clock.Now(), retag(tags))
}

// stale says why a change decided from the cached read must not be applied to the fresh read (empty: apply).
func stale(dir policy.Direction, from, to int, cached, fresh Service, now time.Time) string {
	switch {
	case fresh.Durable.PausedAt(now):
		return "paused"
	case dir == policy.Up && fresh.Desired >= to:
		return "already at or above the count"
	case dir == policy.Up:
		return ""
	case fresh.Desired != from:
		return "the desired count changed"
	case len(fresh.TagErrors) > 0:
		return "its fastscaler tags are malformed"
	case fresh.Durable.FloorCount > to && now.Before(fresh.Durable.FloorUntil):
		return "a pre-scale floor holds it"
	case fresh.Durable.FloorCount > 0 && !fresh.Durable.FloorUntil.Equal(cached.Durable.FloorUntil):
		return "its pre-scale floor changed"
	case fresh.Durable.LastScaleOut.After(cached.Durable.LastScaleOut):
		return "it was scaled out meanwhile"
	}
	return ""
}

// retag returns a store edit that makes the tag edit e, and only it: tags anyone else changed meanwhile (a pause,
// a floor) are left as they are.
func retag(e durable.Edit) func(*Service) {
	return func(s *Service) { e.ApplyTo(s.Tags) }
}
