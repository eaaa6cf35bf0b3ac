package autoscaler

import (
	"cmp"
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
	callTimeout     = 10 * time.Second // for the apply phase, which finishes even when shutting down
	readTimeout     = 5 * time.Second  // for one refresh or discovery, so a hung ECS call cannot stall polling
	// DrainGrace is how long a router task that left discovery (scaled in, replaced) is still polled: the NLB
	// keeps its established connections for the deregistration delay (300 s by default), and its traffic must
	// not vanish from the load while it drains.
	DrainGrace = 5 * time.Minute
)

// Deps are the daemon's collaborators.
type Deps struct {
	ECS     ECSAPI
	AAS     AASAPI      // nil: no Application Auto Scaling mode
	Metrics MetricsAPI  // nil: no metrics
	Clock   clock.Clock // nil: the wall clock
	Log     *zap.Logger
	// PollTimeout overrides FASTSCALER_POLL_TIMEOUT; tests on a fake clock use it so that a slow CI machine does
	// not turn a stub into a failing target.
	PollTimeout time.Duration
}

// Daemon is the fastscaler control loop.
type Daemon struct {
	cfg     Config
	pcfg    policy.Config
	log     *zap.Logger
	clock   clock.Clock
	ecs     *ECS
	aas     *AAS // nil without an Application Auto Scaling client
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
	dryDesired    map[string]dryCount       // dry run: the counts we would have set
	draining      map[string]drainingTarget // router tasks that left discovery, polled while they drain
	tagErrors     map[string]string         // per service: the last failure to write durable state
	aasState
	flushing     sync.WaitGroup // the metrics flush in flight, if any
	flushDone    chan struct{}
	pendingTags  map[string]map[string]string // per service: tags to write
	lastTagWrite map[string]time.Time
	lastWarn     map[string]time.Time
	lastFlush    time.Time

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
		poller:       nginxstat.NewPoller(cfg.StatusPath, cmp.Or(deps.PollTimeout, cfg.PollTimeout), nginxstat.DefaultConcurrency, deps.Clock.Now),
		tracker:      nginxstat.NewTracker(4 * cfg.PollInterval),
		services:     map[string]Service{},
		dryDesired:   map[string]dryCount{},
		draining:     map[string]drainingTarget{},
		tagErrors:    map[string]string{},
		aasState:     newAASState(),
		pendingTags:  map[string]map[string]string{},
		lastTagWrite: map[string]time.Time{},
		lastWarn:     map[string]time.Time{},
	}
	if deps.AAS != nil {
		d.aas = NewAAS(deps.AAS, cfg.Cluster, cfg.ECSRate)
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
	d.flushing.Wait()
	d.flushMetrics(ctx)
	d.log.Info("fastscaler stopped")
}

// Tick runs one cycle: refresh ECS state when due, poll every router, decide, apply, record.
func (d *Daemon) Tick(ctx context.Context) {
	now := d.clock.Now()
	d.refreshServices(ctx, now, false)
	d.discover(ctx, now)
	d.lookupScalable(ctx, now)
	if ctx.Err() != nil {
		return
	}

	samples := d.poller.Poll(ctx, d.pollTargets(now))
	if ctx.Err() != nil {
		return // a cycle cut short by shutdown is not data
	}
	snap := d.tracker.Observe(now, d.dropDrained(samples))
	d.warnFailures(snap, now)

	in := d.input(snap, now)
	dec, st := policy.Decide(d.pcfg, in, d.state, now)
	d.state = st
	d.logDecision(dec, in)
	// The apply phase finishes its calls even if shutdown starts meanwhile.
	applyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	d.apply(applyCtx, dec, now)
	d.syncAASMins(applyCtx, now)
	d.flushTags(applyCtx, now, false)

	if d.metrics != nil {
		desired := map[string]int{}
		for name, s := range d.services {
			if _, scaled := d.cfg.Capacity[name]; scaled {
				desired[name] = s.Desired // what ECS runs, also in a dry run
			}
		}
		d.metrics.Record(Sample{At: now, RequestRate: dec.Load, InFlight: snap.InFlight, Active: snap.Active,
			TargetsReporting: snap.Reporting, Targets: in.Load.Known, Surge: dec.Mode == policy.ModeSurge, Desired: desired})
		if now.Sub(d.lastFlush) >= DefaultMetricsFlush && d.flushMetricsAsync() {
			d.lastFlush = now
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
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	got, err := d.ecs.DescribeServices(rctx, names, now)
	if err != nil && ctx.Err() == nil {
		d.warnOnce("refresh", now, "reading services from ECS failed; keeping the last known state (no scale-in from stale state)",
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
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	targets, skipped, err := d.ecs.DiscoverTasks(rctx, d.cfg.RouterService, d.cfg.StatusPort)
	if err != nil {
		if ctx.Err() == nil {
			d.warnOnce("discovery", now, "router discovery failed; polling the last known tasks", zap.Error(err), zap.Int("known", len(d.targets)))
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
	current := make(map[string]bool, len(targets))
	for _, t := range targets {
		current[t.ID] = true
		delete(d.draining, t.ID)
	}
	for _, t := range d.targets {
		if !current[t.ID] {
			d.draining[t.ID] = drainingTarget{Target: t, since: now}
		}
	}
	d.targets = targets
	d.lastDiscovery = now
}

// drainingTarget is a router task that left discovery but may still serve its established connections.
type drainingTarget struct {
	nginxstat.Target
	since time.Time
}

// pollTargets returns the discovered router tasks plus those still draining.
func (d *Daemon) pollTargets(now time.Time) []nginxstat.Target {
	if len(d.draining) == 0 {
		return d.targets
	}
	out := append([]nginxstat.Target(nil), d.targets...)
	for id, t := range d.draining {
		if now.Sub(t.since) > DrainGrace {
			delete(d.draining, id)
			continue
		}
		out = append(out, t.Target)
	}
	return out
}

// dropDrained removes draining tasks that no longer answer: they are gone, not missing, so they must neither
// block scale-in nor read as zero load. Draining tasks that answer keep contributing their traffic.
func (d *Daemon) dropDrained(samples []nginxstat.Sample) []nginxstat.Sample {
	if len(d.draining) == 0 {
		return samples
	}
	out := samples[:0]
	for _, s := range samples {
		if _, draining := d.draining[s.Target.ID]; draining && s.Err != nil {
			delete(d.draining, s.Target.ID)
			continue
		}
		out = append(out, s)
	}
	return out
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

// change is one service's new desired count, as decided.
type change struct {
	name      string
	from, to  int
	direction policy.Direction
	reason    string
}

// dryCount is a count a dry run would have set, valid while ECS still reports the count it was decided from.
type dryCount struct{ to, base int }

func (d *Daemon) desiredOf(s Service) int {
	if v, ok := d.dryDesired[s.Name]; ok && d.cfg.DryRun {
		if s.Desired == v.base {
			return v.to
		}
		delete(d.dryDesired, s.Name) // someone changed the real count: decide from it again
	}
	return s.Desired
}

// apply sets every changed desired count, all services at once. It first re-reads the services it is about to
// change: a count an SRE raised or a floor set since the last refresh always wins, so a decision made from a
// read seconds old never lowers a count, and a scale-in goes ahead only if nothing changed. A change that fails
// is decided again, and so retried, next tick: the count in ECS did not move.
func (d *Daemon) apply(ctx context.Context, dec policy.Decision, now time.Time) {
	var changes []change
	var names []string
	for _, name := range d.pcfg.ServiceNames() {
		sd, ok := dec.Services[name]
		if !ok || sd.Direction == policy.Hold || sd.Desired == sd.Current {
			continue
		}
		changes = append(changes, change{name: name, from: sd.Current, to: sd.Desired, direction: sd.Direction, reason: sd.Reason})
		names = append(names, name)
	}
	if len(changes) == 0 {
		return
	}
	if d.cfg.DryRun {
		for _, c := range changes {
			d.dryDesired[c.name] = dryCount{to: c.to, base: d.services[c.name].Desired}
			d.log.Info("dry run: would update service", zap.String("service", c.name), zap.Int("from", c.from),
				zap.Int("desired", c.to), zap.String("direction", string(c.direction)))
		}
		return
	}

	fresh, err := d.ecs.DescribeServices(ctx, names, now)
	if err != nil {
		d.errorOnce("reread", now, "re-reading services before scaling failed; deciding again next tick", zap.Error(err))
		return
	}

	var todo []change
	for _, c := range changes {
		s, ok := fresh[c.name]
		if !ok {
			continue
		}
		cached := d.services[c.name]
		d.services[c.name] = s
		if !d.aasCapScaleOut(&c, s, now) {
			continue
		}
		if why := stale(c.direction, c.from, c.to, cached, s, now); why != "" {
			d.log.Info("scaling skipped: the service changed since it was read", zap.String("service", c.name),
				zap.Int("decided_from", c.from), zap.Int("desired", c.to), zap.Int("now", s.Desired), zap.String("why", why))
			continue
		}
		if c.direction == policy.Down && !d.aasScaleIn(ctx, &c, now) {
			continue
		}
		todo = append(todo, c)
	}

	var wg sync.WaitGroup
	results := make([]error, len(todo))
	updated := make([]Service, len(todo))
	for i, c := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			updated[i], results[i] = d.ecs.SetDesired(ctx, c.name, c.to)
		}()
	}
	wg.Wait()
	var done []change
	for i, c := range todo {
		if results[i] == nil {
			done = append(done, c)
		}
	}
	d.aasFollow(ctx, done, now)
	for i, c := range todo {
		if err := results[i]; err != nil {
			d.errorOnce("update:"+c.name, now, "scaling failed; deciding again next tick", zap.String("service", c.name),
				zap.Int("from", c.from), zap.Int("desired", c.to), zap.Error(err))
			continue
		}
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
			// Without this tag a restarted daemon would not know the cooldown: say so loudly, in logs and /status.
			d.errorOnce("tags:"+name, now, "writing durable state tags failed; a restart would forget the cooldown; retrying",
				zap.String("service", name), zap.Error(err))
			d.tagErrors[name] = err.Error()
			continue
		}
		delete(d.tagErrors, name)
		s := d.services[name]
		for k, v := range tags {
			s.Tags[k] = v
		}
		d.services[name] = s
		delete(d.pendingTags, name)
		d.lastTagWrite[name] = now
	}
}

// Quiesce waits for background work (a metrics flush) to finish; tests on a fake clock call it after each tick.
func (d *Daemon) Quiesce() { d.flushing.Wait() }

// flushMetricsAsync publishes buffered metrics without holding up the poll loop; one flush at a time.
func (d *Daemon) flushMetricsAsync() bool {
	if d.flushDone != nil {
		select {
		case <-d.flushDone:
		default:
			return false // the previous flush is still running; the datums wait in the buffer
		}
	}
	done := make(chan struct{})
	d.flushDone = done
	d.flushing.Add(1)
	go func() {
		defer d.flushing.Done()
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		d.flushMetrics(ctx)
	}()
	return true
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
	if d.limited(key, now) {
		d.log.Warn(msg, fields...)
	}
}

// errorOnce logs at Error, at most once per warnEvery per key.
func (d *Daemon) errorOnce(key string, now time.Time, msg string, fields ...zap.Field) {
	if d.limited(key, now) {
		d.log.Error(msg, fields...)
	}
}

func (d *Daemon) limited(key string, now time.Time) bool {
	if last, ok := d.lastWarn[key]; ok && now.Sub(last) < warnEvery {
		return false
	}
	d.lastWarn[key] = now
	return true
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
