package sim

import (
	"strconv"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

// Policy names, in the order they are reported.
const (
	PolicyFastscaler     = "fastscaler"
	PolicyTargetTracking = "target-tracking"
	PolicyStepScaling    = "step-scaling"
	PolicyPahud          = "pahud"
	PolicyStatic         = "static"
	PolicyOracle         = "oracle"
)

// PolicyNames lists every policy the simulator knows.
func PolicyNames() []string {
	return []string{PolicyFastscaler, PolicyTargetTracking, PolicyStepScaling, PolicyPahud, PolicyStatic, PolicyOracle}
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
		return &targetTracking{svc: map[string]*aasState{}}
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

// Synthesised stub_status gauges: a request holds a connection this long in flight, and clients keep this many
// idle keep-alive connections per request/s. They only shape in-flight and active connections, which pahud reads;
// fastscaler decides from the request counter.
const (
	inFlightSecsPerRequest = 0.05
	idleConnsPerRPS        = 0.1
	requestsPerConnection  = 100 // keep-alive: new connections per request
)

// fastscaler runs the real policy.Decide on stub_status counters synthesised for every running router task,
// turned into rates by the real nginxstat.Tracker, exactly as the daemon does each poll interval.
type fastscaler struct {
	pcfg     policy.Config
	interval time.Duration
	tracker  *nginxstat.Tracker
	state    policy.State
	base     time.Time
	next     time.Duration
	ids      []string
	samples  []nginxstat.Sample
	last     policy.Decision // the latest decision, for reports and tests
}

func newFastscaler(cfg *Config, tr *Trace) *fastscaler {
	base := tr.Start
	if base.IsZero() {
		base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &fastscaler{
		pcfg:     cfg.Scaler.Policy(),
		interval: cfg.Scaler.PollInterval,
		tracker:  nginxstat.NewTracker(4 * cfg.Scaler.PollInterval),
		base:     base,
	}
}

func (c *fastscaler) init(*world) {}

func (c *fastscaler) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	if now < c.next {
		return
	}
	c.next = now + c.interval
	at := c.base.Add(now)
	c.samples = c.samples[:0]
	running := 0
	for i, t := range w.router.tasks {
		for len(c.ids) <= i {
			c.ids = append(c.ids, "router-"+strconv.Itoa(len(c.ids)))
		}
		if t.runningAt > now {
			continue
		}
		running++
		w.routerCounters[i]++ // the poll is a request too
		rps := 0.0
		if t.readyAt <= now {
			rps = w.routerRPS
		}
		inFlight, waiting := int64(rps*inFlightSecsPerRequest), int64(rps*idleConnsPerRPS)
		accepts := int64(w.routerCounters[i] / requestsPerConnection)
		c.samples = append(c.samples, nginxstat.Sample{
			Target: nginxstat.Target{ID: c.ids[i], Addr: c.ids[i]},
			At:     at,
			Stats: nginxstat.Stats{Active: inFlight + waiting + 1, Accepts: accepts, Handled: accepts,
				Requests: int64(w.routerCounters[i]), Writing: inFlight + 1, Waiting: waiting},
		})
	}
	snap := c.tracker.Observe(at, c.samples).Screen(w.router.capacity) // the daemon's plausibility screen
	in := policy.Input{Load: autoscaler.LoadOf(snap, running), Services: make(map[string]policy.ServiceState, len(w.names))}
	for _, name := range w.names {
		f := w.fleets[name]
		ss := policy.ServiceState{Desired: f.desired(), Running: f.ready(now), Pending: f.desired() - f.ready(now)}
		if n, until := w.floorAt(name, now); n > 0 {
			ss.Floor = policy.Floor{Count: n, Until: c.base.Add(until)}
		} else if n, until := w.lastFloor(name, now); n > 0 {
			ss.Floor = policy.Floor{Count: n, Until: c.base.Add(until)} // ended: its end anchors the cooldown
		}
		in.Services[name] = ss
	}
	dec, st := policy.Decide(c.pcfg, in, c.state, at)
	c.state, c.last = st, dec
	for _, name := range w.names {
		if sd := dec.Services[name]; sd.Direction != policy.Hold {
			w.fleets[name].set(sd.Desired, now)
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
