package sim

import (
	"errors"
	"fmt"
	"time"
)

// Run simulates every configured policy on the trace, each on its own copy of the same simulated fleet.
func Run(cfg Config, tr Trace) ([]Result, error) {
	cfg = cfg.DefaultPlatform()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(tr.RPS) < 2 {
		return nil, errors.New("the trace needs at least 2 seconds")
	}
	for _, fl := range tr.Floors {
		if _, ok := cfg.Scaler.Capacity[fl.Service]; !ok {
			return nil, fmt.Errorf("trace %s: floor on %q, which is not in FASTSCALER_CAPACITY", tr.Name, fl.Service)
		}
	}
	for _, at := range cfg.RestartAt {
		if at >= tr.Duration() {
			return nil, fmt.Errorf("--restart-at %v is not within the trace's %v", at, tr.Duration())
		}
	}
	results := make([]Result, 0, len(cfg.Policies))
	surges := Surges(tr.RPS)
	for _, name := range cfg.Policies {
		results = append(results, runOne(&cfg, &tr, name, surges))
	}
	oracle := -1.0
	for _, r := range results {
		if r.Summary.Policy == PolicyOracle {
			oracle = r.Summary.TaskMinutes
		}
	}
	if oracle > 0 {
		for i := range results {
			results[i].Summary.CostVsOracle = results[i].Summary.TaskMinutes / oracle
		}
	}
	return results, nil
}

func runOne(cfg *Config, tr *Trace, name string, surges []time.Duration) Result {
	w := newWorld(cfg, tr, cfg.Seed)
	ctrl := newController(name, cfg, tr)
	ctrl.init(w)
	points := make([]Point, len(tr.RPS))
	for sec := range tr.RPS {
		w.applyFloors(sec)
		points[sec] = w.serve(sec)
		ctrl.step(w, sec)
	}
	r := Result{Points: points, Services: w.names}
	for _, n := range w.names {
		r.Tasks = append(r.Tasks, w.tasks[n])
		r.Ready = append(r.Ready, w.readyLog[n])
	}
	if w.launch != nil {
		r.Launch = LaunchStats{Delayed: w.launch.delayed, MaxDelay: w.launch.maxDelay}
	}
	if fs, ok := ctrl.(*fastscaler); ok {
		r.Restarts = fs.restarted
	}
	r.Summary = summarise(name, w, points, surges)
	if len(surges) > 1 {
		var ups []time.Duration
		for _, n := range w.names {
			ups = append(ups, w.fleets[n].ups...)
		}
		r.SurgeScaleOuts = surgeScaleOuts(ups, surges)
	}
	r.Summary.LaunchesDelayed, r.Summary.MaxLaunchDelaySecs = r.Launch.Delayed, r.Launch.MaxDelay.Seconds()
	return r
}

// summarise computes a policy's figures from its run; with several surges, the first scale-out is left to
// Result.SurgeScaleOuts.
func summarise(name string, w *world, points []Point, surges []time.Duration) Summary {
	s := Summary{Policy: name}
	startCap := points[0].Capacity
	overloadAt := -1
	for i, p := range points {
		s.Requests += p.Load
		s.Unserved += p.Unserved
		if p.Unserved > 0.5 {
			s.SecondsWith503++
		}
		s.PeakUnservedRPS = max(s.PeakUnservedRPS, p.Unserved)
		if overloadAt < 0 && p.Load > startCap {
			overloadAt = i
		}
	}
	if s.Requests > 0 {
		s.UnservedPct = 100 * s.Unserved / s.Requests
	}
	for _, n := range w.names {
		for _, t := range w.tasks[n] {
			s.TaskMinutes += float64(t) / 60
		}
	}
	firstUp := time.Duration(-1)
	for _, n := range w.names {
		f := w.fleets[n]
		s.ScalingActions += f.actions
		for i, at := range f.ups {
			if firstUp < 0 || at < firstUp {
				firstUp = at
			}
			if w.falseScaleOut(f, at, f.upFrom[i]) {
				s.FalseScaleOuts++
			}
		}
	}
	if overloadAt >= 0 && firstUp >= 0 && len(surges) < 2 {
		v := (firstUp - time.Duration(overloadAt)*time.Second).Seconds()
		s.FirstScaleOutSecs = &v
	}
	return s
}

// falseScaleOut reports whether a scale-out at `at` from `from` tasks was useless: during the time its tasks could
// serve (from the start delay, plus NLB registration for the router, until the daemon's lead time later) no second
// needed more than `from` tasks. A scale-out for a blip that is over before the tasks start is false.
func (w *world) falseScaleOut(f *fleet, at time.Duration, from int) bool {
	begin := at + w.cfg.StartDelay
	if f.router {
		begin += w.cfg.NLBDelay
	}
	end := begin + w.cfg.Jitter + w.cfg.Scaler.LeadTime
	for s := int(begin / time.Second); s <= int(end/time.Second) && s < len(w.trace.RPS); s++ {
		if w.need(f, s) > from {
			return false
		}
	}
	return true
}
