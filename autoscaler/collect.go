package autoscaler

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/nginxstat"
)

// collector polls the router tasks and turns each poll cycle into a screened snapshot: it owns the target list
// (the latest discovery plus the tasks still draining), the rate tracker and the plausibility screen.
type collector struct {
	routers  Routers
	tracker  *nginxstat.Tracker
	capacity float64 // requests/s one router task serves (0: the router is not scaled; no ceiling screen)
	log      *zap.Logger
	warn     *limiter

	targets      []nginxstat.Target
	discoveredAt time.Time
	draining     map[string]drainingTarget
}

// DrainGrace is how long a router task that left discovery (scaled in, replaced) is still polled: the NLB keeps its
// established connections for the deregistration delay (300 s by default), and its traffic must not vanish from the
// load while it drains.
const DrainGrace = 5 * time.Minute

// drainingTarget is a router task that left discovery but may still serve its established connections.
type drainingTarget struct {
	nginxstat.Target
	since time.Time
}

// discovered takes a discovery's result (read at at) into the target list, once per discovery.
func (c *collector) discovered(targets []nginxstat.Target, at, now time.Time) {
	if at.IsZero() || !at.After(c.discoveredAt) {
		return
	}
	c.discoveredAt = at
	if !sameTargets(c.targets, targets) {
		c.log.Info("router tasks discovered", zap.Int("count", len(targets)), zap.Int("was", len(c.targets)))
		c.routers.CloseIdle()
	}
	current := make(map[string]bool, len(targets))
	for _, t := range targets {
		current[t.ID] = true
		delete(c.draining, t.ID)
	}
	for _, t := range c.targets {
		if !current[t.ID] {
			c.draining[t.ID] = drainingTarget{Target: t, since: now}
		}
	}
	c.targets = targets
}

// collect polls every target once and returns the cycle's snapshot; ok is false when ctx ended meanwhile (a cycle
// cut short by shutdown is not data).
func (c *collector) collect(ctx context.Context, now time.Time) (nginxstat.Snapshot, bool) {
	samples := c.routers.Poll(ctx, c.pollTargets(now))
	if ctx.Err() != nil {
		return nginxstat.Snapshot{}, false
	}
	snap := c.tracker.Observe(now, c.dropDrained(samples)).Screen(c.capacity)
	c.warnFailures(snap, now)
	return snap, true
}

// pollTargets returns the discovered router tasks plus those still draining.
func (c *collector) pollTargets(now time.Time) []nginxstat.Target {
	if len(c.draining) == 0 {
		return c.targets
	}
	out := append([]nginxstat.Target(nil), c.targets...)
	for id, t := range c.draining {
		if now.Sub(t.since) > DrainGrace {
			delete(c.draining, id)
			continue
		}
		out = append(out, t.Target)
	}
	return out
}

// dropDrained removes draining tasks that no longer answer: they are gone, not missing, so they must neither
// block scale-in nor read as zero load. Draining tasks that answer keep contributing their traffic.
func (c *collector) dropDrained(samples []nginxstat.Sample) []nginxstat.Sample {
	if len(c.draining) == 0 {
		return samples
	}
	out := samples[:0]
	for _, s := range samples {
		if _, draining := c.draining[s.Target.ID]; draining && s.Err != nil {
			delete(c.draining, s.Target.ID)
			continue
		}
		out = append(out, s)
	}
	return out
}

// warnFailures logs each failing or implausible target by task id and address, at most once per warnEvery.
func (c *collector) warnFailures(snap nginxstat.Snapshot, now time.Time) {
	for _, t := range snap.Targets {
		switch t.Status {
		case nginxstat.StatusFailed:
			c.warn.warn("target:"+t.Target.ID, now, "stub_status poll failed; target counts as missing, never as zero load",
				zap.String("task_id", t.Target.ID), zap.String("address", t.Target.Addr), zap.Error(t.Err))
		case nginxstat.StatusImplausible:
			c.warn.warn("implausible:"+t.Target.ID, now, "implausible stub_status counters; target counts as missing",
				zap.String("task_id", t.Target.ID), zap.String("address", t.Target.Addr), zap.Error(t.Err))
		case nginxstat.StatusReset:
			c.log.Info("nginx counters went down: router restarted", zap.String("task_id", t.Target.ID), zap.String("address", t.Target.Addr))
		default:
			c.log.Debug("polled", zap.String("task_id", t.Target.ID), zap.String("status", string(t.Status)),
				zap.Float64("rps", t.Rates.RequestsPerSec), zap.Int64("in_flight", t.Rates.InFlight))
		}
	}
}

func sameTargets(a, b []nginxstat.Target) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[nginxstat.Target]bool, len(a))
	for _, t := range a {
		m[t] = true
	}
	for _, t := range b {
		if !m[t] {
			return false
		}
	}
	return true
}
