package autoscaler

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/nginxstat"
)

// reader runs one kind of read (service refresh, router discovery, scalable-target lookup) on its own schedule:
// the tick kicks it, and it starts a read in the background when one is due and none is running, so the tick never
// waits for a read. Each read has its own timeout; a failure backs off exponentially up to maxBackoff instead of
// being retried every tick. The outcome is published as an immutable readState.
type reader[T any] struct {
	every      time.Duration // between successful reads
	timeout    time.Duration // of one read
	maxBackoff time.Duration // longest wait after failures
	read       func(ctx context.Context, now time.Time) (T, error)
	bg         *sync.WaitGroup
	clock      func() time.Time // stamps a read when it starts and when it ends

	mu      sync.Mutex
	state   readState[T]
	running bool
	next    time.Time
	forced  bool
}

// readState is a reader's published outcome.
type readState[T any] struct {
	Value       T         // of the last successful read
	At          time.Time // when the last successful read started; zero: none yet
	Err         error     // of the last read; nil after a success
	Failures    int       // consecutive failures
	LastAttempt time.Time // when the last read started
	Next        time.Time // when the next read is due
}

// Kick starts a read in the background when one is due (or forced) and none is running.
func (r *reader[T]) Kick(ctx context.Context, now time.Time) {
	r.mu.Lock()
	if r.running || (!r.forced && now.Before(r.next)) {
		r.mu.Unlock()
		return
	}
	r.running, r.forced = true, false
	r.state.LastAttempt = now
	r.mu.Unlock()

	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		rctx, cancel := context.WithTimeout(ctx, r.timeout)
		start := r.clock() // what the read shows is at least this recent
		v, err := r.read(rctx, start)
		cancel()
		end := r.clock()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running = false
		if err != nil {
			r.state.Err = err
			r.state.Failures++
			// Backoff counts from the end of the failed read: a read that timed out is not retried at once.
			r.next = end.Add(backoff(r.every, r.maxBackoff, r.state.Failures))
		} else {
			r.state = readState[T]{Value: v, At: start, LastAttempt: now}
			r.next = start.Add(r.every)
		}
		r.state.Next = r.next
	}()
}

// Force makes the next Kick start a read even if none is due (a running read is not interrupted); a reader backing
// off after failures is not forced.
func (r *reader[T]) Force() {
	r.mu.Lock()
	r.forced = r.state.Failures == 0
	r.mu.Unlock()
}

// Latest returns the published state.
func (r *reader[T]) Latest() readState[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// backoff is the wait after n consecutive failures: every, doubled per further failure, at most limit.
func backoff(every, limit time.Duration, n int) time.Duration {
	d := every
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// The daemon's reads, and their schedules.
const (
	// refreshTimeout and discoveryTimeout bound one service refresh (DescribeServices) and one router discovery
	// (ListTasks + DescribeTasks). They run in the background, so they can wait out a slow ECS (seconds per call).
	refreshTimeout   = 25 * time.Second
	discoveryTimeout = 30 * time.Second
	lookupTimeout    = 10 * time.Second
	warmTimeout      = 10 * time.Second
	// refreshBackoffMax and discoveryBackoffMax are the longest waits between failing reads. A refresh is retried
	// well within policy.MaxScaleOutReadAge, so a scale-out does not wait for a read it could have had. Failed
	// scalable-target lookups are retried every discovery interval.
	refreshBackoffMax   = 10 * time.Second
	discoveryBackoffMax = 30 * time.Second
	// aasStaleAfter is how many discovery intervals without a successful lookup make the scalable targets unknown,
	// and with them every scale-in hold.
	aasStaleAfter = 3
)

// kickReads starts the reads that are due; discovery also whenever the router's running count changed.
func (d *Daemon) kickReads(ctx context.Context, now time.Time) {
	if r, ok := d.store.get(d.cfg.RouterService); ok && r.Running != d.routerRunning {
		d.routerRunning = r.Running
		d.discovery.Force()
	}
	d.refresh.Kick(ctx, now)
	d.discovery.Kick(ctx, now)
	if d.scaling != nil {
		d.lookup.Kick(ctx, now)
	}
}

// readServices refreshes every scaled service and the router (DescribeServices), storing what it read even when
// part of the read failed.
func (d *Daemon) readServices(ctx context.Context, now time.Time) (struct{}, error) {
	names := d.cfg.Services()
	if _, ok := d.cfg.Capacity[d.cfg.RouterService]; !ok {
		names = append(names, d.cfg.RouterService)
	}
	got, err := d.cloud.Services(ctx, names, now)
	for name, s := range got {
		for _, te := range s.TagErrors {
			d.warn.warn("tags:"+name, now, "malformed fastscaler tag; holding this service's scale-in", zap.String("service", name), zap.Error(te))
		}
		if s.Gone != "" {
			d.warn.error("gone:"+name, now, "service left out of scaling until ECS reports it ACTIVE again", zap.String("service", name), zap.String("why", s.Gone))
		}
		d.store.put(s)
	}
	if err != nil && ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded) {
		fields := []zap.Field{zap.Error(err)}
		if last := d.refresh.Latest().At; !last.IsZero() {
			fields = append(fields, zap.Duration("age", now.Sub(last)))
		}
		d.warn.warn("refresh", now, "reading services from ECS failed; keeping the last read (no scale-in from a stale one); backing off", fields...)
	}
	return struct{}{}, err
}

// discover lists the router's tasks (ListTasks, DescribeTasks).
func (d *Daemon) discover(ctx context.Context, now time.Time) ([]nginxstat.Target, error) {
	targets, skipped, err := d.cloud.RouterTargets(ctx, d.cfg.RouterService, d.cfg.StatusPort)
	if err != nil {
		d.warn.warn("discovery", now, "router discovery failed; polling the last known tasks; backing off", zap.Error(err))
		return nil, err
	}
	if len(skipped) > 0 {
		d.warn.warn("discovery-skipped", now, "router tasks without an ENI address were skipped", zap.Strings("task_ids", skipped))
	}
	return targets, nil
}

// lookupTargets finds which scaled services have a scalable target.
func (d *Daemon) lookupTargets(ctx context.Context, now time.Time) (struct{}, error) {
	got, err := d.scaling.Targets(ctx, d.cfg.Services())
	if err != nil {
		d.warn.warn("aas-lookup", now, "looking up Application Auto Scaling targets failed; no scale-in until it succeeds "+
			"(grant application-autoscaling:DescribeScalableTargets, or set FASTSCALER_AAS_MODE=off)", zap.Error(err))
		return struct{}{}, err
	}
	for _, name := range d.targets.lookedUp(got, now) {
		t := got[name]
		d.log.Info("service has an Application Auto Scaling target: scaling it through MinCapacity (AAS mode)",
			zap.String("service", name), zap.Int("min_capacity", t.Min), zap.Int("max_capacity", t.Max))
	}
	return struct{}{}, nil
}

// aasKnown says whether the scalable targets are known well enough to scale in: looked up successfully, recently.
func (d *Daemon) aasKnown(now time.Time) bool {
	if d.scaling == nil {
		return true
	}
	_, _, at := d.targets.get("")
	return !at.IsZero() && now.Sub(at) <= aasStaleAfter*d.cfg.DiscoveryInterval
}
