package autoscaler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

// ConfigError is a configuration problem found only against AWS at start, e.g. a router service ECS does not
// know: the command exits 2, as for a bad variable.
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// Deps are the daemon's collaborators. ECS (or Cloud) is required; the others are optional.
type Deps struct {
	ECS *ecs.Client // wrapped in the ECS adapter unless Cloud is set
	// ECSWrites, if set, carries the writes (UpdateService, tags), with a retryer that read throttling cannot slow.
	ECSWrites *ecs.Client
	// AAS is wrapped in the AAS adapter unless Scaling is set; both nil: no Application Auto Scaling mode.
	AAS *applicationautoscaling.Client
	// AASWrites, if set, carries RegisterScalableTarget, with a retryer that lookup throttling cannot slow.
	AASWrites *applicationautoscaling.Client
	Cloud     Cloud              // overrides ECS (the unit tests' in-memory fake)
	Scaling   Scaling            // overrides AAS
	Routers   Routers            // nil: nginxstat's HTTP poller
	Metrics   *cloudwatch.Client // nil: no metrics
	History   History            // the warm start's recorded load; nil: the published metrics, if any
	Leader    Leader             // a leader lease (hot standby); nil: this daemon is the only one and always writes
	Clock     clock.Clock        // nil: the wall clock
	Log       *zap.Logger
	// PollTimeout overrides FASTSCALER_POLL_TIMEOUT; tests on a fake clock use it so that a slow CI machine does
	// not turn a stub into a failing target.
	PollTimeout time.Duration
}

// Daemon is the fastscaler control loop. It composes components that own their state: three readers (service
// refresh, router discovery, scalable-target lookup) that publish snapshots on their own schedules, the collector
// (poll, rates, plausibility), the policy, one lane per scaled service that applies its changes, and the status.
// The tick reads the latest snapshots, decides and hands changes to the lanes; it never waits for AWS.
type Daemon struct {
	cfg   Config
	pcfg  policy.Config
	log   *zap.Logger
	warn  *limiter
	clock clock.Clock

	cloud     Cloud
	scaling   Scaling
	store     *serviceStore
	targets   *targetStore
	refresh   *reader[struct{}]
	discovery *reader[[]nginxstat.Target]
	lookup    *reader[struct{}]
	warm      *reader[[]policy.Point] // nil without History
	leader    Leader                  // nil without a lease
	leasing   *reader[struct{}]       // renews or acquires the lease; nil without one
	role      string                  // "leader" or "standby" with a lease, as of the last tick
	collector *collector
	lanes     map[string]*lane
	metrics   *Metrics
	bg        sync.WaitGroup // reads and lane jobs in flight

	// Owned by the tick.
	state         policy.State
	lastMode      policy.Mode
	routerRunning int
	dryDesired    map[string]dryCount // dry run: the counts we would have set
	started       time.Time
	lastReporting time.Time
	seeded        bool // the warm start is done (or given up)
	flushing      sync.WaitGroup
	flushDone     chan struct{}
	lastFlush     time.Time

	mu        sync.Mutex
	status    Status
	lastCycle time.Time
	blind     string
}

// New returns a daemon for a validated cfg.
func New(cfg Config, deps Deps) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Cloud == nil && deps.ECS == nil {
		return nil, errors.New("no ECS client")
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	if deps.Cloud == nil {
		deps.Cloud = NewECS(deps.ECS, cfg.Cluster, cfg.ECSRate).WithWriter(deps.ECSWrites)
	}
	if deps.Scaling == nil && deps.AAS != nil {
		deps.Scaling = NewAAS(deps.AAS, cfg.Cluster, cfg.ECSRate).WithWriter(deps.AASWrites)
	}
	if deps.Routers == nil {
		deps.Routers = nginxstat.NewPoller(cfg.StatusPath, cmp.Or(deps.PollTimeout, cfg.PollTimeout), nginxstat.DefaultConcurrency, deps.Clock.Now)
	}
	warn := &limiter{log: deps.Log, last: map[string]time.Time{}}
	d := &Daemon{
		cfg: cfg, pcfg: cfg.Policy(), log: deps.Log, warn: warn, clock: deps.Clock,
		cloud: deps.Cloud, scaling: deps.Scaling, store: newServiceStore(), targets: newTargetStore(),
		lanes: map[string]*lane{}, dryDesired: map[string]dryCount{},
		collector: &collector{routers: deps.Routers, tracker: nginxstat.NewTracker(4 * cfg.PollInterval),
			capacity: cfg.Capacity[cfg.RouterService], log: deps.Log, warn: warn, draining: map[string]drainingTarget{}},
	}
	env := &laneEnv{cloud: d.cloud, scaling: d.scaling, store: d.store, targets: d.targets, log: d.log, warn: warn,
		clock: d.clock, bg: &d.bg, dryRun: cfg.DryRun, retryMax: cfg.DiscoveryInterval}
	if deps.Leader != nil {
		d.leader = deps.Leader
		gate := leaderGate{leader: deps.Leader, now: d.clock.Now}
		env.cloud = leaderCloud{Cloud: d.cloud, gate: gate}
		if d.scaling != nil {
			env.scaling = leaderScaling{Scaling: d.scaling, gate: gate}
		}
		every := max(cfg.LeaseRenew/2, 500*time.Millisecond)
		d.leasing = &reader[struct{}]{every: every, timeout: LeaseCallTimeout, maxBackoff: every,
			read: func(ctx context.Context, _ time.Time) (struct{}, error) { return struct{}{}, deps.Leader.Tick(ctx) },
			bg:   &d.bg, clock: d.clock.Now}
		deps.Leader.Observe(d.observeLease)
	}
	for _, name := range cfg.Services() {
		d.lanes[name] = &lane{name: name, env: env}
	}
	d.refresh = &reader[struct{}]{every: DefaultServiceRefresh, timeout: refreshTimeout,
		maxBackoff: refreshBackoffMax, read: d.readServices, bg: &d.bg, clock: d.clock.Now}
	d.discovery = &reader[[]nginxstat.Target]{every: cfg.DiscoveryInterval, timeout: discoveryTimeout,
		maxBackoff: discoveryBackoffMax, read: d.discover, bg: &d.bg, clock: d.clock.Now}
	d.lookup = &reader[struct{}]{every: cfg.DiscoveryInterval, timeout: lookupTimeout,
		maxBackoff: cfg.DiscoveryInterval, read: d.lookupTargets, bg: &d.bg, clock: d.clock.Now}
	if deps.Metrics != nil && cfg.MetricsNamespace != "" {
		d.metrics = NewMetrics(deps.Metrics, cfg.MetricsNamespace, cfg.Cluster)
		if deps.History == nil {
			deps.History = d.metrics
		}
	}
	if deps.History != nil {
		h := deps.History
		d.warm = &reader[[]policy.Point]{every: 24 * time.Hour, timeout: warmTimeout, maxBackoff: 10 * time.Second,
			read: func(ctx context.Context, now time.Time) ([]policy.Point, error) {
				return h.RequestRate(ctx, now.Add(-cfg.BaselineWindow-cfg.PollInterval), now)
			}, bg: &d.bg, clock: d.clock.Now}
	}
	return d, nil
}

// Run checks the router service, then ticks every poll interval until ctx ends, then finishes the writes in
// flight, writes pending tags and metrics and returns nil. A router service ECS does not know is a ConfigError.
func (d *Daemon) Run(ctx context.Context) error {
	d.log.Info("fastscaler starting",
		zap.String("cluster", d.cfg.Cluster), zap.String("router_service", d.cfg.RouterService),
		zap.Strings("services", d.cfg.Services()), zap.Duration("poll_interval", d.cfg.PollInterval),
		zap.Bool("dry_run", d.cfg.DryRun))
	if err := d.CheckRouter(ctx); err != nil {
		return err
	}
	if d.leasing != nil {
		d.bg.Add(1)
		go func() { defer d.bg.Done(); d.leaseLoop(ctx) }()
	}
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

// CheckRouter reads the router service once at start: one ECS does not know (a misspelt
// FASTSCALER_ROUTER_SERVICE) is a ConfigError. A read that fails is only logged: ECS may be throttling, and the
// refresh loop retries; /healthz turns 503 if the routers stay unseen past BlindLimit.
func (d *Daemon) CheckRouter(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	now := d.clock.Now()
	got, err := d.cloud.Services(rctx, []string{d.cfg.RouterService}, now)
	if r, ok := got[d.cfg.RouterService]; ok && r.Gone != "" {
		return ConfigError{fmt.Errorf("FASTSCALER_ROUTER_SERVICE: %q in cluster %s: %s", d.cfg.RouterService, d.cfg.Cluster, r.Gone)}
	}
	if err != nil {
		d.log.Warn("reading the router service at start failed; carrying on, the refresh loop retries", zap.Error(err))
	}
	return nil
}

// The shutdown's budget: lane jobs finish their calls within shutdownWait, then the final tag and metric writes
// get shutdownTimeout; both fit within ECS's 15 s stopTimeout.
const (
	shutdownWait    = 8 * time.Second // for the ECS calls in flight
	shutdownTimeout = 4 * time.Second // for the final tag and metric writes
)

func (d *Daemon) shutdown() {
	// Lane jobs finish their calls (reads end with the cancelled context), but within ECS's stop timeout: the final
	// tag flush must still fit before SIGKILL.
	done := make(chan struct{})
	go func() { d.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownWait):
		d.log.Warn("shutting down with ECS calls still in flight", zap.Duration("waited", shutdownWait))
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	now := d.clock.Now()
	for _, name := range d.cfg.Services() {
		d.lanes[name].flushTags(ctx, now, true)
	}
	d.flushing.Wait()
	d.flushMetrics(ctx)
	if d.leader != nil {
		// After the last write: the standby takes over at its next lease tick, not a lease duration later.
		if err := d.leader.Release(ctx); err != nil {
			d.log.Warn("releasing the leader lease failed; the standby takes over when it expires", zap.Error(err))
		} else {
			d.log.Info("leader lease released")
		}
	}
	d.log.Info("fastscaler stopped")
}

// Tick runs one cycle on the latest snapshots: kick the reads that are due, poll every router, decide, hand the
// changes to the lanes, record. It waits only for the poll, which the poll timeout bounds.
func (d *Daemon) Tick(ctx context.Context) {
	now := d.clock.Now()
	if d.started.IsZero() {
		d.started = now
	}
	if d.leasing != nil {
		d.leasing.Kick(ctx, now)
	}
	d.kickReads(ctx, now)
	d.warmStart(ctx, now)
	disc := d.discovery.Latest()
	d.collector.discovered(disc.Value, disc.At, now)
	snap, ok := d.collector.collect(ctx, now)
	if !ok {
		return
	}
	if snap.Reporting > 0 {
		d.lastReporting = now
	}
	services := d.store.all() // this tick's view: the decision, the metrics and /status all read it
	in := d.input(services, snap, now)
	dec, st := policy.Decide(d.pcfg, in, d.state, now)
	d.state = st
	d.logDecision(dec, in)
	d.act(ctx, dec, now)
	d.record(now, services, snap, in, dec)
}

// warmStart seeds the policy's history, once, with the RequestRate the daemon published before it (re)started, so
// that surge detection has its baseline from the first ticks. Without it (first start, no cloudwatch:GetMetricData,
// CloudWatch down) the policy starts surge-ready on its own first polls; the attempt ends when a baseline window
// of its own data has passed.
func (d *Daemon) warmStart(ctx context.Context, now time.Time) {
	if d.warm == nil || d.seeded {
		return
	}
	if now.Sub(d.started) > d.cfg.BaselineWindow {
		d.seeded = true
		return
	}
	w := d.warm.Latest()
	if w.At.IsZero() {
		if w.Err != nil {
			d.warn.warn("warm-start", now, "reading the recorded request rate from CloudWatch failed; surge detection starts from its own polls "+
				"(grant cloudwatch:GetMetricData for a warm start)", zap.Error(w.Err))
		}
		d.warm.Kick(ctx, now)
		return
	}
	d.seeded = true
	d.state = policy.Seed(d.pcfg, d.state, w.Value, now)
	d.log.Info("warm start: surge baseline seeded from the recorded request rate", zap.Int("points", len(w.Value)),
		zap.Int("seeded", len(d.state.History)))
}

// input builds the policy's view of this tick: the load, and for every service everything that bears on its
// decision, holds and caps included, so that the decision, its log line, /status and what is applied agree.
func (d *Daemon) input(services map[string]Service, snap nginxstat.Snapshot, now time.Time) policy.Input {
	routerRunning := 0
	if r, ok := services[d.cfg.RouterService]; ok && r.Gone == "" {
		routerRunning = r.Running
	}
	in := policy.Input{Load: snap.Load(routerRunning), Services: map[string]policy.ServiceState{}}
	aasKnown := d.aasKnown(now)
	targets := d.targets.all()
	for name := range d.cfg.Capacity {
		s, ok := services[name]
		if !ok {
			continue
		}
		lv := d.lanes[name].view()
		ps := policy.ServiceState{
			Desired: d.desiredOf(s), Running: s.Running, Pending: s.Pending,
			Paused:       s.Durable.PausedAt(now),
			LastScaleOut: s.Durable.LastScaleOut,
			LastScaleIn:  s.Durable.LastScaleIn,
			ReadAge:      now.Sub(s.ReadAt),
			Stale:        now.Sub(s.ReadAt) > 3*DefaultServiceRefresh,
			Gone:         s.Gone,
			Busy:         lv.Busy,
		}
		if s.Durable.Paused && !s.Durable.PauseUntil.IsZero() && !now.Before(s.Durable.PauseUntil) {
			ps.PauseEnded = s.Durable.PauseUntil
		}
		if s.Durable.FloorCount > 0 {
			ps.Floor = policy.Floor{Count: s.Durable.FloorCount, Until: s.Durable.FloorUntil}
		}
		if len(s.TagErrors) > 0 {
			ps.ScaleInHold = fmt.Sprintf("its fastscaler tags are malformed (%v); fix or remove them", s.TagErrors[0])
		}
		if d.scaling != nil {
			t, scalable := targets[name]
			switch {
			case !aasKnown:
				ps.ScaleInHold = firstNonEmpty(ps.ScaleInHold, "the Application Auto Scaling targets could not be read recently")
			case scalable:
				ps.Max, ps.MaxNote = t.Max, fmt.Sprintf("the scalable target's MaxCapacity %d", t.Max)
				if owner := ownerMin(t, s.Durable.AAS, lv.Memo); owner > 0 {
					ps.OwnerMin, ps.OwnerMinNote = owner, fmt.Sprintf("the scalable target owner's MinCapacity %d", owner)
				}
				if claimed := Claimed(t, s); s.Desired > claimed {
					ps.ScaleInHold = firstNonEmpty(ps.ScaleInHold, fmt.Sprintf(
						"Application Auto Scaling holds the count above fastscaler's MinCapacity %d; its own policy scales those tasks in", claimed))
				}
			}
		}
		in.Services[name] = ps
	}
	return in
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

// acting says whether this daemon writes now: it has no lease, or holds it for LeaseMargin more. It logs a change of
// role once.
func (d *Daemon) acting(now time.Time) bool {
	if d.leader == nil {
		return true
	}
	role := "standby"
	if d.leader.Held(now, LeaseMargin) {
		role = "leader"
	}
	if role != d.role {
		st := d.leader.Status()
		d.log.Info("lease role", zap.String("role", role), zap.String("was", d.role), zap.String("holder", st.Holder),
			zap.String("lease_error", st.LastError))
		d.role = role
	}
	return role == "leader"
}

// act hands each service's change to its lane (a dry run only logs it; so does a standby), and starts due
// background work (tags, MinCapacity retries and floors) on idle lanes. It never waits for them.
func (d *Daemon) act(ctx context.Context, dec policy.Decision, now time.Time) {
	if !d.acting(now) {
		for _, name := range d.pcfg.ServiceNames() {
			if sd, ok := dec.Services[name]; ok && sd.Direction != policy.Hold && sd.Desired != sd.Current {
				d.log.Info("standby: the leader would update service", zap.String("service", name), zap.Int("from", sd.Current),
					zap.Int("desired", sd.Desired), zap.String("direction", string(sd.Direction)))
			}
		}
		return
	}
	aasKnown := d.aasKnown(now)
	for _, name := range d.pcfg.ServiceNames() {
		l := d.lanes[name]
		var c *change
		if sd, ok := dec.Services[name]; ok && sd.Direction != policy.Hold && sd.Desired != sd.Current {
			c = &change{from: sd.Current, to: sd.Desired, direction: sd.Direction, reason: sd.Reason}
		}
		if c != nil && d.cfg.DryRun {
			s, _ := d.store.get(name)
			d.dryDesired[name] = dryCount{to: c.to, base: s.Desired}
			d.log.Info("dry run: would update service", zap.String("service", name), zap.Int("from", c.from),
				zap.Int("desired", c.to), zap.String("direction", string(c.direction)))
			c = nil
		}
		if c == nil && !l.hasWork(now) {
			continue
		}
		l.submit(ctx, c, now, aasKnown)
	}
}

// record publishes the tick's metrics and status.
func (d *Daemon) record(now time.Time, services map[string]Service, snap nginxstat.Snapshot, in policy.Input, dec policy.Decision) {
	if d.metrics != nil {
		desired := map[string]int{}
		for name, s := range services {
			if _, scaled := d.cfg.Capacity[name]; scaled && s.Gone == "" {
				desired[name] = s.Desired // what ECS runs, also in a dry run
			}
		}
		d.metrics.Record(Sample{At: now, RequestRate: dec.Load, InFlight: snap.InFlight, Active: snap.Active,
			TargetsReporting: snap.Reporting, Targets: in.Load.Known, Surge: dec.Mode == policy.ModeSurge, Desired: desired})
		if now.Sub(d.lastFlush) >= config.MetricsFlush && d.flushMetricsAsync() {
			d.lastFlush = now
		}
	}
	d.setStatus(now, services, snap, in, dec)
}

// Quiesce waits for background work (reads, lane jobs, a metrics flush) to finish; tests on a fake clock call it
// after each tick.
func (d *Daemon) Quiesce() {
	d.bg.Wait()
	d.flushing.Wait()
}

// callTimeout bounds a metrics flush.
const callTimeout = 10 * time.Second

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
		zap.Array("services", serviceLogs(services)), zap.Bool("dry_run", d.cfg.DryRun), zap.String("role", d.role),
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
