package sim

import (
	"slices"
	"strconv"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

// Policy names, in the order they are reported.
const (
	PolicyFastscaler     = "fastscaler"
	PolicyTargetTracking = "target-tracking"
	PolicyTargetTrackHR  = "target-tracking-hr"
	PolicyStepScaling    = "step-scaling"
	PolicyPahud          = "pahud"
	PolicyStatic         = "static"
	PolicyOracle         = "oracle"
)

// PolicyNames lists every policy the simulator knows.
func PolicyNames() []string {
	return []string{PolicyFastscaler, PolicyTargetTracking, PolicyTargetTrackHR, PolicyStepScaling, PolicyPahud, PolicyStatic, PolicyOracle}
}

// controller decides desired counts for a world. init runs before the first second; step runs at the end of
// every second.
type controller interface {
	init(w *world)
	step(w *world, sec int)
}

func newController(name string, cfg *Config, tr *Trace) controller {
	switch name {
	case PolicyFastscaler:
		return newFastscaler(cfg, tr)
	case PolicyTargetTracking:
		return newTargetTracking(false)
	case PolicyTargetTrackHR:
		return newTargetTracking(true)
	case PolicyStepScaling:
		return &stepScaling{svc: map[string]*aasState{}}
	case PolicyPahud:
		return &pahud{}
	case PolicyStatic:
		return staticFleet{}
	case PolicyOracle:
		return oracle{}
	}
	return nil
}

// fastscaler runs the real policy.Decide on stub_status counters synthesised for every running router task,
// turned into rates by the real nginxstat.Tracker, exactly as the daemon does each poll interval.
//
// A restart (Config.RestartAt) loses what the daemon keeps in memory, its policy.State and its tracker's last
// samples (so rates need two polls again), and polls at once. What survives is what the daemon reads back: the
// services' durable tags (the last scale-out, the cooldown's anchor, and floors, which the trace gives every tick)
// and, through Config.WarmStart, what it published to CloudWatch.
type fastscaler struct {
	pcfg      policy.Config
	interval  time.Duration
	tracker   *nginxstat.Tracker
	state     policy.State
	base      time.Time
	next      time.Duration
	ids       []string
	samples   []nginxstat.Sample
	last      policy.Decision // the latest decision, for reports and tests
	restarts  []time.Duration // Config.RestartAt, sorted
	restarted []time.Duration // when the restarts happened
	// lastUp is each service's durable last-scale-out tag (fastscaler:last-scale-out), which the daemon writes on
	// every scale-out and passes to the policy as ServiceState.LastScaleOut.
	lastUp    map[string]time.Time
	warm      func(at time.Time, published []policy.Point) policy.State
	published []policy.Point // the RequestRate the daemon published, kept only for warm
}

func newFastscaler(cfg *Config, tr *Trace) *fastscaler {
	base := tr.Start
	if base.IsZero() {
		base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	restarts := slices.Clone(cfg.RestartAt)
	slices.Sort(restarts)
	c := &fastscaler{
		pcfg:     cfg.Scaler.Policy(),
		interval: cfg.Scaler.PollInterval,
		tracker:  nginxstat.NewTracker(4 * cfg.Scaler.PollInterval),
		base:     base,
		restarts: restarts,
		lastUp:   map[string]time.Time{},
		warm:     cfg.WarmStart,
	}
	if c.warm == nil {
		c.warm = daemonWarmStart(c.pcfg)
	}
	return c
}

// daemonWarmStart is the daemon's warm start (autoscaler's warmStart): the restarted policy's history is seeded with
// the RequestRate published before the restart, less the last metrics flush interval, which a crash loses.
func daemonWarmStart(pcfg policy.Config) func(at time.Time, published []policy.Point) policy.State {
	return func(at time.Time, published []policy.Point) policy.State {
		var sent []policy.Point
		for _, p := range published {
			if p.At.Before(at.Add(-config.MetricsFlush)) {
				sent = append(sent, p)
			}
		}
		return policy.Seed(pcfg, policy.State{}, sent, at)
	}
}

func (c *fastscaler) init(*world) {}

// restart drops the daemon's in-memory state at now, as a process restart would.
func (c *fastscaler) restart(now time.Duration) {
	c.state = policy.State{}
	if c.warm != nil {
		c.state = c.warm(c.base.Add(now), slices.Clone(c.published))
	}
	c.tracker = nginxstat.NewTracker(4 * c.interval)
	c.next = now // a daemon polls as it starts
	c.restarted = append(c.restarted, now)
}

func (c *fastscaler) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	if len(c.restarts) > 0 && now >= c.restarts[0] {
		for len(c.restarts) > 0 && now >= c.restarts[0] {
			c.restarts = c.restarts[1:]
		}
		c.restart(now)
	}
	if now < c.next {
		return
	}
	c.next = now + c.interval
	at := c.base.Add(now)
	c.samples = c.samples[:0]
	running := 0
	w.growRouters()
	for i, t := range w.router.tasks {
		for len(c.ids) <= i {
			c.ids = append(c.ids, "router-"+strconv.Itoa(len(c.ids)))
		}
		if t.runningAt > now {
			continue
		}
		running++
		w.routerCounters[i]++ // the poll is a request too
		c.samples = append(c.samples, nginxstat.Sample{
			Target: nginxstat.Target{ID: c.ids[i], Addr: c.ids[i]},
			At:     at,
			Stats:  w.stubStatus(i, now),
		})
	}
	snap := c.tracker.Observe(at, c.samples).Screen(w.router.capacity) // the daemon's plausibility screen
	in := policy.Input{Load: snap.Load(running), Services: make(map[string]policy.ServiceState, len(w.names))}
	for _, name := range w.names {
		f := w.fleets[name]
		_, ready := f.counts(now)
		ss := policy.ServiceState{Desired: f.desired(), Running: ready, Pending: f.desired() - ready, LastScaleOut: c.lastUp[name]}
		if n, until := w.floorAt(name, now); n > 0 {
			ss.Floor = policy.Floor{Count: n, Until: c.base.Add(until)}
		} else if n, until := w.lastFloor(name, now); n > 0 {
			ss.Floor = policy.Floor{Count: n, Until: c.base.Add(until)} // ended: its end anchors the cooldown
		}
		in.Services[name] = ss
	}
	dec, st := policy.Decide(c.pcfg, in, c.state, at)
	c.state, c.last = st, dec
	if c.warm != nil && dec.Mode != policy.ModeWarmup && dec.Mode != policy.ModeNoData {
		c.published = append(c.published, policy.Point{At: at, RPS: dec.Load})
	}
	for _, name := range w.names {
		if sd := dec.Services[name]; sd.Direction != policy.Hold {
			w.fleets[name].set(sd.Desired, now)
			if sd.Direction == policy.Up {
				c.lastUp[name] = at
			}
		}
	}
}

// staticFleet runs, from the start, the fleet the trace's peak needs: no 503s, the highest cost.
type staticFleet struct{}

func (staticFleet) init(w *world) {
	peak := 0.0
	for _, v := range w.trace.RPS {
		peak = max(peak, v)
	}
	for _, name := range w.names {
		f := w.fleets[name]
		lo, hi := w.cfg.Scaler.MinMax(name)
		n := min(max(ceilTasks(peak*f.weight/f.capacity), lo), hi)
		f.tasks = f.tasks[:0]
		for range n {
			f.tasks = append(f.tasks, task{})
		}
	}
}

func (staticFleet) step(*world, int) {}

// oracle knows the future: every second it keeps each service at the most tasks any second within one start
// delay (the longest, jitter and NLB registration included) ahead will need. Tasks it starts are ready exactly in
// time and it scales in at once, so its task-minutes are the floor any real policy can reach.
type oracle struct{}

func (oracle) init(*world) {}

func (oracle) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	for _, name := range w.names {
		f := w.fleets[name]
		lead := w.cfg.StartDelay + w.cfg.Jitter
		if f.router {
			lead += w.cfg.NLBDelay
		}
		need := 0
		for s := sec + 1; s <= sec+1+int(lead/time.Second) && s < len(w.trace.RPS); s++ {
			need = max(need, w.need(f, s))
		}
		lo, hi := w.cfg.Scaler.MinMax(name)
		w.fleets[name].set(min(max(need, lo), hi), now)
	}
}
