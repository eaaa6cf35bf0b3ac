package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

const (
	warnEvery       = 30 * time.Second // at most one warning per failing target per this long
	tagWriteEvery   = 10 * time.Second // durable-state tags are written at most this often per service
	shutdownTimeout = 5 * time.Second  // for the final tag and metric writes
	callTimeout     = 10 * time.Second // for one ECS call that must finish even when shutting down
)

// Deps are the daemon's collaborators.
type Deps struct {
	ECS     ECSAPI
	Metrics MetricsAPI  // nil: no metrics
	Clock   clock.Clock // nil: the wall clock
	Log     *zap.Logger
}

// Daemon is the fastscaler control loop.
type Daemon struct {
	cfg     Config
	pcfg    policy.Config
	log     *zap.Logger
	clock   clock.Clock
	ecs     *ECS
	metrics *Metrics
	poller  *nginxstat.Poller
	tracker *nginxstat.Tracker

	// Owned by the loop goroutine.
	targets       []nginxstat.Target
	lastDiscovery time.Time
	routerRunning int
	services      map[string]Service
	lastRefresh   time.Time
	state         policy.State
	lastMode      policy.Mode
	dryDesired    map[string]int               // dry run: the counts we would have set
	pendingUp     map[string]int               // scale-outs that failed to apply, retried next tick
	pendingTags   map[string]map[string]string // per service: tags to write
	lastTagWrite  map[string]time.Time
	lastWarn      map[string]time.Time
	lastFlush     time.Time

	mu        sync.Mutex
	status    Status
	lastCycle time.Time
}

// New returns a daemon for a validated cfg.
func New(cfg Config, deps Deps) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.ECS == nil {
		return nil, errors.New("no ECS client")
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	d := &Daemon{
		cfg:          cfg,
		pcfg:         cfg.Policy(),
		log:          deps.Log,
		clock:        deps.Clock,
		ecs:          NewECS(deps.ECS, cfg.Cluster, cfg.ECSRate),
		poller:       nginxstat.NewPoller(cfg.StatusPath, cfg.PollTimeout, nginxstat.DefaultConcurrency, deps.Clock.Now),
		tracker:      nginxstat.NewTracker(4 * cfg.PollInterval),
		services:     map[string]Service{},
		dryDesired:   map[string]int{},
		pendingUp:    map[string]int{},
		pendingTags:  map[string]map[string]string{},
		lastTagWrite: map[string]time.Time{},
		lastWarn:     map[string]time.Time{},
	}
	if deps.Metrics != nil && cfg.MetricsNamespace != "" {
		d.metrics = NewMetrics(deps.Metrics, cfg.MetricsNamespace, cfg.Cluster)
	}
	return d, nil
}

// Run ticks every poll interval until ctx ends, then writes pending tags and metrics and returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	d.log.Info("fastscaler starting",
		zap.String("cluster", d.cfg.Cluster), zap.String("router_service", d.cfg.RouterService),
		zap.Strings("services", d.cfg.Services()), zap.Duration("poll_interval", d.cfg.PollInterval),
		zap.Bool("dry_run", d.cfg.DryRun))
	t := d.clock.NewTicker(d.cfg.PollInterval)
	defer t.Stop()
	d.Tick(ctx)
	for {
		select {
		case <-ctx.Done():
			d.shutdown()
			return nil
		case <-t.C():
			d.Tick(ctx)
		}
	}
}

func (d *Daemon) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	d.flushTags(ctx, d.clock.Now(), true)
	d.flushMetrics(ctx)
	d.log.Info("fastscaler stopped")
}

// Tick runs one cycle: refresh ECS state when due, poll every router, decide, apply, record.
func (d *Daemon) Tick(ctx context.Context) {
	now := d.clock.Now()
	d.refreshServices(ctx, now, false)
	d.discover(ctx, now)
	if ctx.Err() != nil {
		return
	}

	samples := d.poller.Poll(ctx, d.targets)
	if ctx.Err() != nil {
		return // a cycle cut short by shutdown is not data
	}
	snap := d.tracker.Observe(now, samples)
	d.warnFailures(snap, now)

	in := d.input(snap, now)
	dec, st := policy.Decide(d.pcfg, in, d.state, now)
	d.state = st
	d.logDecision(dec, in)
	// The apply phase finishes its calls even if shutdown starts meanwhile.
	applyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	d.apply(applyCtx, dec, now)
	d.flushTags(applyCtx, now, false)

	desired := map[string]int{}
	for name, s := range d.services {
		if _, scaled := d.cfg.Capacity[name]; scaled {
			desired[name] = d.desiredOf(s)
		}
	}
	if d.metrics != nil {
		d.metrics.Record(Sample{At: now, RequestRate: dec.Load, InFlight: snap.InFlight, Active: snap.Active,
			TargetsReporting: snap.Reporting, Targets: in.Load.Known, Surge: dec.Mode == policy.ModeSurge, Desired: desired})
		if now.Sub(d.lastFlush) >= DefaultMetricsFlush {
			d.lastFlush = now
			d.flushMetrics(applyCtx)
		}
	}
	d.setStatus(now, snap, in, dec)
}

// refreshServices reads every scaled service and the router with DescribeServices when due (or when forced).
func (d *Daemon) refreshServices(ctx context.Context, now time.Time, force bool) {
	if !force && now.Sub(d.lastRefresh) < DefaultServiceRefresh {
		return
	}
	names := d.cfg.Services()
	if _, ok := d.cfg.Capacity[d.cfg.RouterService]; !ok {
		names = append(names, d.cfg.RouterService)
	}
	got, err := d.ecs.DescribeServices(ctx, names, now)
	if err != nil && ctx.Err() == nil {
		d.log.Warn("reading services from ECS failed; keeping the last known state (no scale-in from stale state)",
			zap.Error(err), zap.Duration("age", now.Sub(d.lastRefresh)))
	}
	for name, s := range got {
		for _, te := range s.TagErrors {
			d.warnOnce("tags:"+name, now, "malformed fastscaler tag; holding this service's scale-in", zap.String("service", name), zap.Error(te))
		}
		d.services[name] = s
	}
	if err == nil || len(got) > 0 {
		d.lastRefresh = now
	}
}

// discover refreshes the router targets every discovery interval and whenever the router's running count changed.
func (d *Daemon) discover(ctx context.Context, now time.Time) {
	router, ok := d.services[d.cfg.RouterService]
	changed := ok && router.Running != d.routerRunning
	if !changed && !d.lastDiscovery.IsZero() && now.Sub(d.lastDiscovery) < d.cfg.DiscoveryInterval {
		return
	}
	targets, skipped, err := d.ecs.DiscoverTasks(ctx, d.cfg.RouterService, d.cfg.StatusPort)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("router discovery failed; polling the last known tasks", zap.Error(err), zap.Int("known", len(d.targets)))
		}
		return
	}
	if len(skipped) > 0 {
		d.warnOnce("discovery-skipped", now, "router tasks without an ENI address were skipped", zap.Strings("task_ids", skipped))
	}
	if ok {
		d.routerRunning = router.Running
	}
	if !sameTargets(d.targets, targets) {
		d.log.Info("router tasks discovered", zap.Int("count", len(targets)), zap.Int("was", len(d.targets)))
		d.poller.CloseIdle()
	}
	d.targets = targets
	d.lastDiscovery = now
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

// input builds the policy's view of this tick.
func (d *Daemon) input(snap nginxstat.Snapshot, now time.Time) policy.Input {
	routerRunning := 0
	if r, ok := d.services[d.cfg.RouterService]; ok {
		routerRunning = r.Running
	}
	in := policy.Input{Load: LoadOf(snap, routerRunning), Services: map[string]policy.ServiceState{}}
	for name := range d.cfg.Capacity {
		s, ok := d.services[name]
		if !ok {
			continue
		}
		ps := policy.ServiceState{
			Desired: d.desiredOf(s), Running: s.Running, Pending: s.Pending,
			Paused:       s.Durable.PausedAt(now),
			LastScaleOut: s.Durable.LastScaleOut,
			Stale:        now.Sub(s.ReadAt) > 3*DefaultServiceRefresh,
		}
		if s.Durable.FloorCount > 0 {
			ps.Floor = policy.Floor{Count: s.Durable.FloorCount, Until: s.Durable.FloorUntil}
		}
		if len(s.TagErrors) > 0 {
			// Unreadable durable state: hold what we have, as a floor at the current count, until fixed.
			ps.Floor = policy.Floor{Count: max(ps.Floor.Count, ps.Desired), Until: now.Add(time.Hour)}
		}
		in.Services[name] = ps
	}
	return in
}

// LoadOf turns a poll cycle into the policy's view of the router load. Router tasks ECS counts as running but not
// polled yet (discovery lags) are known and not serving: they lower coverage, blocking scale-in, without inflating
// the extrapolated load. The simulator uses it too, so both see load the same way.
func LoadOf(snap nginxstat.Snapshot, routerRunning int) policy.Load {
	return policy.Load{
		RequestsPerSec: snap.RequestsPerSec,
		Reporting:      snap.Reporting,
		Known:          max(snap.Known, routerRunning),
		Serving:        snap.Serving(),
	}
}

func (d *Daemon) desiredOf(s Service) int {
	if v, ok := d.dryDesired[s.Name]; ok && d.cfg.DryRun {
		return v
	}
	return s.Desired
}

// apply sets every changed desired count, all services at once, and retries failed scale-outs next tick.
func (d *Daemon) apply(ctx context.Context, dec policy.Decision, now time.Time) {
	type change struct {
		name      string
		from, to  int
		direction policy.Direction
		reason    string
	}
	var changes []change
	for _, name := range d.pcfg.ServiceNames() {
		sd, ok := dec.Services[name]
		if !ok {
			continue
		}
		to, dir, reason := sd.Desired, sd.Direction, sd.Reason
		if p, ok := d.pendingUp[name]; ok {
			if p > sd.Current && p > to && sd.Direction != policy.Down {
				to, dir, reason = p, policy.Up, "retrying a scale-out that failed to apply"
			}
			if p <= sd.Current {
				delete(d.pendingUp, name)
			}
		}
		if dir == policy.Hold || to == sd.Current {
			continue
		}
		changes = append(changes, change{name: name, from: sd.Current, to: to, direction: dir, reason: reason})
	}
	if len(changes) == 0 {
		return
	}
	if d.cfg.DryRun {
		for _, c := range changes {
			d.dryDesired[c.name] = c.to
			d.log.Info("dry run: would update service", zap.String("service", c.name), zap.Int("from", c.from),
				zap.Int("desired", c.to), zap.String("direction", string(c.direction)))
		}
		return
	}

	var wg sync.WaitGroup
	results := make([]error, len(changes))
	updated := make([]Service, len(changes))
	for i, c := range changes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.direction == policy.Down {
				if err := d.confirmScaleIn(ctx, c.name, c.from, now); err != nil {
					results[i] = err
					return
				}
			}
			updated[i], results[i] = d.ecs.SetDesired(ctx, c.name, c.to)
		}()
	}
	wg.Wait()
	for i, c := range changes {
		if err := results[i]; err != nil {
			if errors.Is(err, errScaleInSkipped) {
				d.log.Info("scale-in skipped", zap.String("service", c.name), zap.Error(err))
				continue
			}
			d.log.Error("scaling failed; retrying next tick", zap.String("service", c.name), zap.Int("from", c.from),
				zap.Int("desired", c.to), zap.Error(err))
			if c.direction == policy.Up {
				d.pendingUp[c.name] = c.to
			}
			continue
		}
		delete(d.pendingUp, c.name)
		s := d.services[c.name]
		s.Desired, s.Running, s.Pending = updated[i].Desired, updated[i].Running, updated[i].Pending
		d.services[c.name] = s
		d.log.Info("service updated", zap.String("service", c.name), zap.Int("from", c.from), zap.Int("desired", c.to),
			zap.String("direction", string(c.direction)))
		tags := map[string]string{
			TagLastAction: SanitizeTagValue(fmt.Sprintf("%s %d to %d at %s", c.direction, c.from, c.to, FormatTagTime(now))),
			TagLastReason: SanitizeTagValue(c.reason),
		}
		if c.direction == policy.Up {
			tags[TagLastScaleOut] = FormatTagTime(now)
		}
		d.queueTags(c.name, tags)
	}
}

var errScaleInSkipped = errors.New("service changed since it was read")

// confirmScaleIn re-reads a service just before a scale-in, so a count an SRE or the CLI raised meanwhile is
// never cut on the strength of a read that is seconds old.
func (d *Daemon) confirmScaleIn(ctx context.Context, name string, assumed int, now time.Time) error {
	got, err := d.ecs.DescribeServices(ctx, []string{name}, now)
	if err != nil {
		return fmt.Errorf("%w: re-reading before scale-in: %v", errScaleInSkipped, err)
	}
	s := got[name]
	switch {
	case s.Desired != assumed:
		return fmt.Errorf("%w: desired count is now %d, decided from %d", errScaleInSkipped, s.Desired, assumed)
	case s.Durable.PausedAt(now):
		return fmt.Errorf("%w: paused", errScaleInSkipped)
	case s.Durable.FloorCount > 0 && now.Before(s.Durable.FloorUntil) && s.Durable.FloorCount != d.services[name].Durable.FloorCount:
		return fmt.Errorf("%w: a new pre-scale floor of %d", errScaleInSkipped, s.Durable.FloorCount)
	}
	return nil
}

func (d *Daemon) queueTags(service string, tags map[string]string) {
	p := d.pendingTags[service]
	if p == nil {
		p = map[string]string{}
		d.pendingTags[service] = p
	}
	for k, v := range tags {
		p[k] = v
	}
}

// flushTags writes queued durable-state tags, at most every tagWriteEvery per service unless final.
func (d *Daemon) flushTags(ctx context.Context, now time.Time, final bool) {
	for _, name := range sortedKeys(d.pendingTags) {
		tags := d.pendingTags[name]
		if !final && now.Sub(d.lastTagWrite[name]) < tagWriteEvery {
			continue
		}
		arn := d.services[name].ARN
		if arn == "" {
			continue
		}
		if err := d.ecs.Tag(ctx, arn, tags); err != nil {
			d.log.Warn("writing durable state tags failed; retrying", zap.String("service", name), zap.Error(err))
			continue
		}
		s := d.services[name]
		for k, v := range tags {
			s.Tags[k] = v
		}
		d.services[name] = s
		delete(d.pendingTags, name)
		d.lastTagWrite[name] = now
	}
}

func (d *Daemon) flushMetrics(ctx context.Context) {
	if d.metrics == nil {
		return
	}
	dropped, err := d.metrics.Flush(ctx)
	if err != nil {
		d.log.Warn("publishing metrics failed; keeping them for the next flush", zap.Error(err))
	}
	if dropped > 0 {
		d.log.Warn("metrics dropped while CloudWatch was unreachable", zap.Int("datums", dropped))
	}
}

// warnFailures logs each failing target by task id and address, at most once per warnEvery.
func (d *Daemon) warnFailures(snap nginxstat.Snapshot, now time.Time) {
	for _, t := range snap.Targets {
		switch t.Status {
		case nginxstat.StatusFailed:
			d.warnOnce("target:"+t.Target.ID, now, "stub_status poll failed; target counts as missing, never as zero load",
				zap.String("task_id", t.Target.ID), zap.String("address", t.Target.Addr), zap.Error(t.Err))
		case nginxstat.StatusReset:
			d.log.Info("nginx counters went down: router restarted", zap.String("task_id", t.Target.ID), zap.String("address", t.Target.Addr))
		default:
			d.log.Debug("polled", zap.String("task_id", t.Target.ID), zap.String("status", string(t.Status)),
				zap.Float64("rps", t.Rates.RequestsPerSec), zap.Int64("in_flight", t.Rates.InFlight))
		}
	}
	for key, at := range d.lastWarn {
		if now.Sub(at) > 10*warnEvery {
			delete(d.lastWarn, key)
		}
	}
}

func (d *Daemon) warnOnce(key string, now time.Time, msg string, fields ...zap.Field) {
	if last, ok := d.lastWarn[key]; ok && now.Sub(last) < warnEvery {
		return
	}
	d.lastWarn[key] = now
	d.log.Warn(msg, fields...)
}

// logDecision logs a decision: Info when a count or the mode changes, Debug otherwise.
func (d *Daemon) logDecision(dec policy.Decision, in policy.Input) {
	level := zapcore.DebugLevel
	if dec.Changed() || dec.Mode != d.lastMode {
		level = zapcore.InfoLevel
	}
	d.lastMode = dec.Mode
	ce := d.log.Check(level, "decision")
	if ce == nil {
		return
	}
	services := make([]serviceLog, 0, len(dec.Services))
	for _, name := range d.pcfg.ServiceNames() {
		sd := dec.Services[name]
		services = append(services, serviceLog{name, sd})
	}
	ce.Write(
		zap.String("mode", string(dec.Mode)), zap.String("reason", dec.Reason),
		zap.Float64("load_rps", round1(dec.Load)), zap.Float64("short_rps", round1(dec.Short)),
		zap.Float64("steady_rps", round1(dec.Steady)), zap.Float64("baseline_rps", round1(dec.Baseline)),
		zap.Float64("slope_rps_per_s", round1(dec.Slope)), zap.Float64("projected_rps", round1(dec.Projected)),
		zap.Int("reporting", in.Load.Reporting), zap.Int("known", in.Load.Known),
		zap.Array("services", serviceLogs(services)), zap.Bool("dry_run", d.cfg.DryRun),
	)
}

type serviceLog struct {
	name string
	sd   policy.ServiceDecision
}

type serviceLogs []serviceLog

func (s serviceLogs) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, l := range s {
		if err := enc.AppendObject(zapcore.ObjectMarshalerFunc(func(o zapcore.ObjectEncoder) error {
			o.AddString("service", l.name)
			o.AddString("direction", string(l.sd.Direction))
			o.AddInt("current", l.sd.Current)
			o.AddInt("desired", l.sd.Desired)
			o.AddInt("recommended", l.sd.Recommended)
			o.AddString("reason", l.sd.Reason)
			return nil
		})); err != nil {
			return err
		}
	}
	return nil
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
