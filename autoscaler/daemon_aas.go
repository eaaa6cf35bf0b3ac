package autoscaler

// AAS mode: how the daemon shares a service with an Application Auto Scaling scalable target. fastscaler moves the
// target's MinCapacity with the desired count, so AAS can never scale below what fastscaler set, and it scales in
// only what it added. Every MinCapacity move reads the target afresh; scale-in holds whenever the targets are not
// known for sure.

import (
	"context"
	"maps"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/policy"
)

const (
	// aasLookupTimeout bounds one lookup of the scalable targets, made on the tick's path.
	aasLookupTimeout = 2 * time.Second
	// aasStaleAfter is how many discovery intervals without a successful lookup make the targets unknown, and
	// with them every scale-in hold.
	aasStaleAfter = 3
)

// aasState is the daemon's knowledge of the scalable targets.
type aasState struct {
	scalable       map[string]ScalableTarget // services with a scalable target, as last read
	lastAASLookup  time.Time                 // last successful lookup of every service's target
	lastAASAttempt time.Time                 // last lookup, successful or not
	aasLookupErr   string                    // why the last lookup failed; empty after a success
	aasPending     map[string]aasMove        // MinCapacity moves that failed, retried with backoff
}

// aasMove is a MinCapacity move: a raise, or (exact) a move to the count fastscaler set, in either direction.
type aasMove struct {
	want     int
	exact    bool
	attempts int
	next     time.Time // not retried before
}

func newAASState() aasState {
	return aasState{scalable: map[string]ScalableTarget{}, aasPending: map[string]aasMove{}}
}

// AASStatus is what /status says of AAS mode.
type AASStatus struct {
	Known       bool                      `json:"known"` // false: the targets could not be read recently, and scale-in holds
	LastLookup  *time.Time                `json:"last_lookup,omitempty"`
	LookupError string                    `json:"lookup_error,omitempty"`
	Targets     map[string]ScalableTarget `json:"targets"`
	Pending     map[string]int            `json:"pending_min_capacity,omitempty"` // moves that failed, being retried
}

func (d *Daemon) aasStatus(now time.Time) *AASStatus {
	if d.aas == nil {
		return nil
	}
	st := &AASStatus{Known: d.aasKnown(now), LookupError: d.aasLookupErr, Targets: map[string]ScalableTarget{}}
	if !d.lastAASLookup.IsZero() {
		st.LastLookup = ptr(d.lastAASLookup)
	}
	for name, t := range d.scalable {
		st.Targets[name] = t
	}
	for name, m := range d.aasPending {
		if st.Pending == nil {
			st.Pending = map[string]int{}
		}
		st.Pending[name] = m.want
	}
	return st
}

// lookupScalable finds, every discovery interval, which scaled services have a scalable target. A failed lookup
// is retried at the same pace, not every tick.
func (d *Daemon) lookupScalable(ctx context.Context, now time.Time) {
	if d.aas == nil || (!d.lastAASAttempt.IsZero() && now.Sub(d.lastAASAttempt) < d.cfg.DiscoveryInterval) {
		return
	}
	d.lastAASAttempt = now
	rctx, cancel := context.WithTimeout(ctx, aasLookupTimeout)
	defer cancel()
	got, err := d.aas.Targets(rctx, d.cfg.Services())
	if err != nil {
		if ctx.Err() == nil {
			d.aasLookupErr = err.Error()
			d.warnOnce("aas-lookup", now, "looking up Application Auto Scaling targets failed; no scale-in until it succeeds "+
				"(grant application-autoscaling:DescribeScalableTargets, or set FASTSCALER_AAS_MODE=off)", zap.Error(err))
		}
		return
	}
	for name, t := range got {
		if _, was := d.scalable[name]; !was {
			d.log.Info("service has an Application Auto Scaling target: scaling it through MinCapacity (AAS mode)",
				zap.String("service", name), zap.Int("min_capacity", t.Min), zap.Int("max_capacity", t.Max))
		}
	}
	for name := range d.aasPending {
		if _, ok := got[name]; !ok {
			delete(d.aasPending, name)
		}
	}
	d.scalable, d.lastAASLookup, d.aasLookupErr = got, now, ""
}

// aasKnown says whether the scalable targets are known well enough to scale in: looked up successfully, recently.
func (d *Daemon) aasKnown(now time.Time) bool {
	return d.aas == nil || (!d.lastAASLookup.IsZero() && now.Sub(d.lastAASLookup) <= aasStaleAfter*d.cfg.DiscoveryInterval)
}

// aasCapScaleOut caps a scale-out at the scalable target's MaxCapacity: AAS stays in charge of its own range. It
// says whether anything is left to do.
func (d *Daemon) aasCapScaleOut(c *change, fresh Service, now time.Time) bool {
	t, ok := d.scalable[c.name]
	if !ok || c.direction != policy.Up || c.to <= t.Max {
		return true
	}
	d.warnOnce("aas-max:"+c.name, now, "the scalable target's MaxCapacity caps this scale-out; raise it to let fastscaler go higher",
		zap.String("service", c.name), zap.Int("wanted", c.to), zap.Int("max_capacity", t.Max))
	c.to = t.Max
	return c.to > fresh.Desired
}

// aasScaleIn checks a scale-in against the service's scalable target, read afresh (a target registered since the
// last lookup counts too), and says whether the desired count is to be lowered. fastscaler removes only what it
// added: the count must be at or below what it claims (MinCapacity, or a raise it recorded that did not take
// effect); tasks AAS's own policy added above are AAS's to remove. It never goes below the owner's minimum. With
// the targets unknown, every scale-in holds: a service may have a target, and an owner's minimum, unseen.
func (d *Daemon) aasScaleIn(ctx context.Context, c *change, now time.Time) bool {
	if d.aas == nil {
		return true
	}
	if !d.aasKnown(now) {
		d.warnOnce("aas-unknown", now, "scale-in held: the Application Auto Scaling targets could not be read recently",
			zap.Time("last_lookup", d.lastAASLookup))
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, aasLookupTimeout)
	defer cancel()
	t, ok, err := d.aas.Target(rctx, c.name)
	if err != nil {
		d.errorOnce("aas-read:"+c.name, now, "reading the scalable target before a scale-in failed; the scale-in waits",
			zap.String("service", c.name), zap.Error(err))
		return false
	}
	if !ok {
		if _, was := d.scalable[c.name]; was {
			d.log.Info("the service's scalable target is gone: plain mode", zap.String("service", c.name))
		}
		delete(d.scalable, c.name)
		delete(d.aasPending, c.name)
		return true
	}
	d.scalable[c.name] = t
	s := d.services[c.name]
	if err := d.aas.Forget(ctx, d.ecs, &s, t); err != nil {
		d.warnOnce("aas-forget:"+c.name, now, "stale MinCapacity tags could not be removed", zap.String("service", c.name), zap.Error(err))
	}
	d.services[c.name] = s
	if claimed := Claimed(t, s); s.Desired > claimed {
		d.warnOnce("aas-holds:"+c.name, now, "Application Auto Scaling holds the desired count above fastscaler's MinCapacity; its policy scales in",
			zap.String("service", c.name), zap.Int("desired", s.Desired), zap.Int("min_capacity", t.Min), zap.Int("claimed", claimed))
		return false
	}
	c.to = max(c.to, OwnerMin(t, s))
	return c.to < s.Desired
}

// aasFollow moves MinCapacity to the desired counts fastscaler just set: up with a scale-out, so that AAS cannot
// cut it (tried even while the targets are unknown: the move reads the target itself), and to the new count with
// a scale-in (never below the owner's minimum). A failure is retried.
func (d *Daemon) aasFollow(ctx context.Context, done []change, now time.Time) {
	if d.aas == nil {
		return
	}
	var jobs []aasJob
	for _, c := range done {
		_, scalable := d.scalable[c.name]
		switch {
		case c.direction == policy.Up && (scalable || !d.aasKnown(now)):
			jobs = append(jobs, aasJob{c.name, aasMove{want: c.to}, c.reason})
		case c.direction == policy.Down && scalable:
			jobs = append(jobs, aasJob{c.name, aasMove{want: c.to, exact: true}, c.reason})
		}
	}
	d.moveAASMins(ctx, jobs, now)
}

// aasJob is a MinCapacity move to make for a service, and why.
type aasJob struct {
	name   string
	m      aasMove
	reason string
}

// moveAASMins makes the moves, their AWS calls for all services at once (a surge tick must not wait for them one
// by one), then records the outcomes, keeping failed moves pending, retried with backoff.
func (d *Daemon) moveAASMins(ctx context.Context, jobs []aasJob, now time.Time) {
	type outcome struct {
		s      Service
		t      ScalableTarget
		ok     bool
		err    error
		before ScalableTarget
	}
	out := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		s := d.services[j.name]
		s.Tags = maps.Clone(s.Tags) // the move edits the tags it writes
		out[i].before = d.scalable[j.name]
		move := d.aas.RaiseMin
		if j.m.exact {
			move = d.aas.MoveMin
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, ok, err := move(ctx, d.ecs, &s, j.m.want)
			out[i].s, out[i].t, out[i].ok, out[i].err = s, t, ok, err
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		o, name, m := out[i], j.name, j.m
		d.services[name] = o.s
		switch {
		case o.err != nil:
			if o.ok {
				d.scalable[name] = o.t
			}
			m.attempts++
			m.next = now.Add(min(time.Second<<min(m.attempts, 10), d.cfg.DiscoveryInterval))
			d.aasPending[name] = m
			d.errorOnce("aas-min:"+name, now, "moving the scalable target's MinCapacity failed; retrying",
				zap.String("service", name), zap.Int("min_capacity", m.want), zap.Int("attempts", m.attempts), zap.Error(o.err))
		case !o.ok:
			if _, was := d.scalable[name]; was {
				d.log.Info("the service's scalable target is gone: plain mode", zap.String("service", name))
			}
			delete(d.scalable, name)
			delete(d.aasPending, name)
		default:
			d.scalable[name] = o.t
			delete(d.aasPending, name)
			if o.t.Min != o.before.Min {
				d.log.Info("scalable target MinCapacity moved", zap.String("service", name), zap.Int("from", o.before.Min),
					zap.Int("min_capacity", o.t.Min), zap.Int("owner_min", OwnerMin(o.t, o.s)), zap.String("reason", j.reason))
			}
		}
	}
}

// syncAASMins, every tick, retries MinCapacity moves that failed (also those a restart finds recorded in the
// tags) and holds MinCapacity at the pre-scale floors in force (set by the CLI, whose own raise may have failed,
// or by tags alone). Paused services are left alone; with malformed fastscaler tags only raises go ahead.
func (d *Daemon) syncAASMins(ctx context.Context, now time.Time) {
	if d.aas == nil || d.cfg.DryRun {
		return
	}
	var jobs []aasJob
	for _, name := range d.cfg.Services() {
		t, scalable := d.scalable[name]
		s, known := d.services[name]
		if !scalable || !known || s.Durable.PausedAt(now) {
			continue
		}
		m, pending := d.aasPending[name]
		if pending && now.Before(m.next) {
			continue
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
		if pending && !(m.exact && len(s.TagErrors) > 0) {
			jobs = append(jobs, aasJob{name, m, reason})
		}
	}
	d.moveAASMins(ctx, jobs, now)
}
