package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/policy"
)

// Defaults of the simulated platform.
const (
	DefaultStartDelay  = 60 * time.Second // a new Fargate task serves this long after launch
	DefaultJitter      = 15 * time.Second // plus a uniform random extra of up to this
	DefaultNLBDelay    = 30 * time.Second // a router task also waits for NLB registration and health checks
	DefaultMetricDelay = 60 * time.Second // a CloudWatch ECS datapoint is usable this long after its minute ends
	DefaultTargetCPU   = 70.0             // CPU % at which a task serves its configured capacity
	DefaultSeed        = 1
	// DefaultHRMetricDelay is how long after its 20-second period a high-resolution ECS CPU datapoint is usable
	// (see baselines.go: AWS documents no figure; one period reproduces AWS's 86 s benchmark).
	DefaultHRMetricDelay = 20 * time.Second
	// DefaultLaunchBurst and DefaultLaunchRate are Fargate's documented task launch token bucket per account and
	// Region (see launch.go): 100 tasks at once, then 20 a second.
	DefaultLaunchBurst = 100
	DefaultLaunchRate  = 20
	// DefaultWorkerConnections is the connections one router task's nginx holds (worker_connections ×
	// worker_processes): the router image's default WORKER_CONNECTIONS 4096, one worker on a ≤ 1 vCPU task.
	DefaultWorkerConnections = 4096
)

// Config is a simulation: the daemon's own configuration plus the simulated platform.
type Config struct {
	Scaler      config.Config // every FASTSCALER_* knob, exactly as the daemon reads them
	StartDelay  time.Duration
	Jitter      time.Duration
	NLBDelay    time.Duration
	MetricDelay time.Duration
	TargetCPU   float64  // the baselines' CPU target; capacity is defined at this utilisation
	Seed        uint64   // seeds task start jitter, so runs are reproducible
	Policies    []string // which policies to run, in this order; empty: all
	// HRMetricDelay is how long after its 20-second period a high-resolution CPU datapoint is usable
	// (target-tracking-hr).
	HRMetricDelay time.Duration
	// LaunchBurst and LaunchRate are the Fargate task launch token bucket every service of a world shares (one
	// account and Region): LaunchBurst tasks at once, refilled at LaunchRate tasks a second. LaunchRate 0: no limit.
	LaunchBurst, LaunchRate float64
	// WorkerConnections is the connections one router task's nginx can hold; a saturated router's queue grows
	// toward it, and connections beyond it are accepted and dropped (stub_status accepts − handled). 0: the default.
	WorkerConnections int
	// RestartAt are offsets from the trace's start at which the fastscaler daemon restarts: its policy.State and
	// its stub_status rate tracker are lost; the durable ECS tags (last scale-out, floors) are not.
	RestartAt []time.Duration
	// WarmStart, when set, gives the fastscaler policy's State after a restart at `at`, from what the daemon
	// published to CloudWatch before it (its RequestRate metric: the load of every tick with valid data, oldest
	// first), as a restarted daemon could read it back. All of it is passed: a hook modelling a crash may drop the
	// last flush interval's points, which the daemon had not sent yet. Nil: a cold start from policy.State{}.
	WarmStart func(at time.Time, published []policy.Point) policy.State
}

// NewConfig returns a simulation of the daemon configuration scaler on the default platform.
func NewConfig(scaler config.Config) Config {
	return Config{Scaler: scaler, StartDelay: DefaultStartDelay, Jitter: DefaultJitter, NLBDelay: DefaultNLBDelay,
		MetricDelay: DefaultMetricDelay, TargetCPU: DefaultTargetCPU, Seed: DefaultSeed,
		HRMetricDelay: DefaultHRMetricDelay, LaunchBurst: DefaultLaunchBurst, LaunchRate: DefaultLaunchRate,
		WorkerConnections: DefaultWorkerConnections}
}

// DefaultPlatform fills what has no meaningful zero: the CPU target, the seed, the router's worker connections and
// the policy list. Delays are taken as given (0 is a valid delay), and so is the launch limit (rate 0: none).
func (c Config) DefaultPlatform() Config {
	if c.TargetCPU == 0 {
		c.TargetCPU = DefaultTargetCPU
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.WorkerConnections == 0 {
		c.WorkerConnections = DefaultWorkerConnections
	}
	if len(c.Policies) == 0 {
		c.Policies = PolicyNames()
	}
	return c
}

// Validate reports every problem of the simulation's configuration.
func (c Config) Validate() error {
	var errs []error
	if err := c.Scaler.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, ok := c.Scaler.Capacity[c.Scaler.RouterService]; !ok {
		errs = append(errs, fmt.Errorf("FASTSCALER_ROUTER_SERVICE %q must be in FASTSCALER_CAPACITY: the simulator serves every request through the router", c.Scaler.RouterService))
	}
	if c.StartDelay < 0 || c.Jitter < 0 || c.NLBDelay < 0 || c.MetricDelay < 0 || c.HRMetricDelay < 0 {
		errs = append(errs, errors.New("--start-delay, --jitter, --nlb-delay, --metric-delay and --hr-metric-delay must be ≥ 0"))
	}
	if !(c.LaunchBurst >= 0 && c.LaunchBurst <= 1e9) || !(c.LaunchRate >= 0 && c.LaunchRate <= 1e9) {
		errs = append(errs, fmt.Errorf("--launch-burst %v and --launch-rate %v must be within [0, 1e9] (rate 0: no limit)", c.LaunchBurst, c.LaunchRate))
	}
	if c.WorkerConnections < 1 {
		errs = append(errs, fmt.Errorf("--worker-connections %d must be ≥ 1", c.WorkerConnections))
	}
	for _, at := range c.RestartAt {
		if at < 0 {
			errs = append(errs, fmt.Errorf("--restart-at %v must be ≥ 0", at))
		}
	}
	if !(c.TargetCPU > 0 && c.TargetCPU <= 100) {
		errs = append(errs, fmt.Errorf("--target-cpu %v must be within (0, 100]", c.TargetCPU))
	}
	known := map[string]bool{}
	for _, p := range PolicyNames() {
		known[p] = true
	}
	for _, p := range c.Policies {
		if !known[p] {
			errs = append(errs, fmt.Errorf("unknown policy %q (have %v)", p, PolicyNames()))
		}
	}
	return errors.Join(errs...)
}

// task is one launched Fargate task.
type task struct {
	runningAt time.Duration // RUNNING in ECS (a router task is polled from here)
	readyAt   time.Duration // serving traffic
}

// fleet is a simulated ECS service on Fargate.
type fleet struct {
	name     string
	capacity float64 // requests/s per ready task
	weight   float64 // share of router traffic, 0–1 (1 for the router)
	router   bool
	tasks    []task // launch order
	rng      *rand.Rand
	cfg      *Config
	launch   *launchBucket // the world's Fargate launch rate limit (nil: none)
	actions  int
	ups      []time.Duration // times of scale-outs
	upFrom   []int           // desired before each scale-out
}

func (f *fleet) desired() int { return len(f.tasks) }

// set changes the desired count at now. New tasks launch once Fargate's launch rate limit lets them, and serve after
// the start delay plus jitter (plus NLB registration for the router); scale-in stops tasks at once, those not yet
// serving first, then the newest.
func (f *fleet) set(n int, now time.Duration) {
	cur := len(f.tasks)
	if n == cur || n < 0 {
		return
	}
	f.actions++
	if n > cur {
		f.ups = append(f.ups, now)
		f.upFrom = append(f.upFrom, cur)
		for range n - cur {
			run := now + f.launch.take(now) + f.cfg.StartDelay
			if f.cfg.Jitter > 0 {
				run += time.Duration(f.rng.Int64N(int64(f.cfg.Jitter)))
			}
			ready := run
			if f.router {
				ready += f.cfg.NLBDelay
			}
			f.tasks = append(f.tasks, task{runningAt: run, readyAt: ready})
		}
		return
	}
	// Stop the tasks that are furthest from serving first: ECS prefers stopping tasks that are not running.
	sort.SliceStable(f.tasks, func(i, j int) bool { return f.tasks[i].readyAt < f.tasks[j].readyAt })
	f.tasks = f.tasks[:n]
}

// counts returns how many of the fleet's tasks are RUNNING in ECS at now, and how many serve traffic.
func (f *fleet) counts(now time.Duration) (running, ready int) {
	for _, t := range f.tasks {
		if t.runningAt <= now {
			running++
		}
		if t.readyAt <= now {
			ready++
		}
	}
	return running, ready
}

// world is one policy's simulated services and what they served.
type world struct {
	cfg       *Config
	trace     *Trace
	fleets    map[string]*fleet
	names     []string // sorted
	router    *fleet
	routerRPS float64 // this second's requests/s each ready router task served (what its request counter counts)
	// routerDemand is this second's requests/s the NLB sent each ready router task: the true demand, above
	// routerRPS when the routers are saturated.
	routerDemand float64
	// cpu holds, per service, the per-second CPU utilisation the baselines' CloudWatch metric averages.
	cpu map[string][]float64
	// tasks and readyLog record, per service and second, the launched and serving tasks.
	tasks, readyLog map[string][]int32
	// routerCounters are cumulative stub_status counters per router task (index = launch order).
	routerCounters []float64
	// routerQueue and routerDropped are, per router task (as routerCounters), the requests a saturated task holds
	// waiting on open connections (a gauge, 0 when it is not saturated) and the connections it accepted but could
	// not handle, beyond worker_connections (a counter, stub_status accepts − handled).
	routerQueue, routerDropped []float64
	// launch is the Fargate task launch rate limit all of this world's services share.
	launch *launchBucket
	// saturation is how far beyond its configured capacity a task can serve: the capacity is defined at the
	// target utilisation (TargetCPU), so a task saturates at 100% CPU, capacity × 100/TargetCPU.
	saturation float64
}

func newWorld(cfg *Config, tr *Trace, seed uint64) *world {
	w := &world{cfg: cfg, trace: tr, fleets: map[string]*fleet{}, cpu: map[string][]float64{},
		tasks: map[string][]int32{}, readyLog: map[string][]int32{}, saturation: 100 / cfg.TargetCPU,
		launch: newLaunchBucket(cfg.LaunchBurst, cfg.LaunchRate)}
	sc := cfg.Scaler
	for _, name := range sc.Services() {
		weight := 1.0
		if name != sc.RouterService {
			weight = sc.Policy().Services[name].Weight / 100
		}
		f := &fleet{name: name, capacity: sc.Capacity[name], weight: weight, router: name == sc.RouterService,
			rng: rand.New(rand.NewPCG(seed, hash(name))), cfg: cfg, launch: w.launch}
		// Every policy starts from the same fleet, all serving: what the first minute's peak needs at the capacity
		// (target utilisation), within min..max, as a fleet sized by yesterday's evening would be.
		first := 0.0
		for _, v := range tr.RPS[:min(len(tr.RPS), 60)] {
			first = max(first, v)
		}
		lo, hi := sc.MinMax(name)
		n := min(max(ceilTasks(first*weight/f.capacity), lo), hi)
		for range n {
			f.tasks = append(f.tasks, task{})
		}
		w.fleets[name] = f
		w.names = append(w.names, name)
		w.cpu[name] = make([]float64, 0, len(tr.RPS))
		w.tasks[name] = make([]int32, 0, len(tr.RPS))
		w.readyLog[name] = make([]int32, 0, len(tr.RPS))
	}
	w.router = w.fleets[sc.RouterService]
	return w
}

// serve runs one second: the load goes through the ready routers, then splits to the backends by weight.
func (w *world) serve(sec int) Point {
	now := time.Duration(sec) * time.Second
	load := w.trace.RPS[sec]
	p := Point{Load: load}
	_, rReady := w.router.counts(now)
	routerCap := float64(rReady) * w.router.capacity * w.saturation
	served := min(load, routerCap)
	p.Unserved = load - served
	p.Capacity = routerCap
	p.RouterServed = served
	w.routerRPS, w.routerDemand = 0, 0
	if rReady > 0 {
		w.routerRPS = served / float64(rReady)
		w.routerDemand = load / float64(rReady)
	}
	for _, name := range w.names {
		f := w.fleets[name]
		_, ready := f.counts(now)
		w.tasks[name] = append(w.tasks[name], int32(len(f.tasks)))
		w.readyLog[name] = append(w.readyLog[name], int32(ready))
		offered := load
		if !f.router {
			offered = served * f.weight
			capS := float64(ready) * f.capacity * w.saturation
			p.Unserved += offered - min(offered, capS)
			if f.weight > 0 {
				p.Capacity = min(p.Capacity, capS/f.weight)
			}
		}
		util := 100.0
		if ready > 0 {
			util = min(100, w.cfg.TargetCPU*offered/(float64(ready)*f.capacity))
		}
		w.cpu[name] = append(w.cpu[name], util)
	}
	// Counters of every serving router task advance by what it served; tasks that are RUNNING but not yet
	// registered with the NLB serve nothing.
	w.growRouters()
	for i, t := range w.router.tasks {
		if t.readyAt > now {
			w.routerQueue[i] = 0
			continue
		}
		w.routerCounters[i] += w.routerRPS
		w.queue(i)
	}
	return p
}

// growRouters gives every launched router task its stub_status counters.
func (w *world) growRouters() {
	for len(w.routerCounters) < len(w.router.tasks) {
		w.routerCounters = append(w.routerCounters, 1000)
		w.routerQueue = append(w.routerQueue, 0)
		w.routerDropped = append(w.routerDropped, 0)
	}
}

// need returns the tasks service f needs for the load of second sec.
func (w *world) need(f *fleet, sec int) int {
	if sec >= len(w.trace.RPS) {
		sec = len(w.trace.RPS) - 1
	}
	return ceilTasks(w.trace.RPS[sec] * f.weight / f.capacity)
}

// floorAt returns the pre-scale floor of a service at now (0 if none).
func (w *world) floorAt(name string, now time.Duration) (int, time.Duration) {
	count, until := 0, time.Duration(0)
	for _, fl := range w.trace.Floors {
		if fl.Service == name && now >= fl.From && now < fl.Until && fl.Count > count {
			count, until = fl.Count, fl.Until
		}
	}
	return count, until
}

// setClamped applies a desired count within min..max and above any active floor.
func (w *world) setClamped(name string, n int, now time.Duration) {
	lo, hi := w.cfg.Scaler.MinMax(name)
	if fl, _ := w.floorAt(name, now); fl > lo {
		lo = min(fl, hi)
	}
	w.fleets[name].set(min(max(n, lo), hi), now)
}

func ceilTasks(x float64) int {
	if !(x > 0) {
		return 0
	}
	return int(math.Ceil(x - 1e-9))
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// lastFloor returns the most recently ended floor of a service at now (0 if none), whose end anchors the cooldown.
func (w *world) lastFloor(name string, now time.Duration) (int, time.Duration) {
	count, until := 0, time.Duration(-1)
	for _, fl := range w.trace.Floors {
		if fl.Service == name && fl.Until <= now && fl.Until > until {
			count, until = fl.Count, fl.Until
		}
	}
	return count, until
}

// applyFloors raises every service whose floor starts this second, as `fastscaler prescale` does with UpdateService
// whatever policy runs.
func (w *world) applyFloors(sec int) {
	now := time.Duration(sec) * time.Second
	for _, fl := range w.trace.Floors {
		if fl.From == now {
			if f, ok := w.fleets[fl.Service]; ok && f.desired() < fl.Count {
				_, hi := w.cfg.Scaler.MinMax(fl.Service)
				f.set(min(fl.Count, hi), now)
				// The SRE's action, not the policy's: it counts in neither actions nor scale-outs.
				f.actions--
				f.ups, f.upFrom = f.ups[:len(f.ups)-1], f.upFrom[:len(f.upFrom)-1]
			}
		}
	}
}
