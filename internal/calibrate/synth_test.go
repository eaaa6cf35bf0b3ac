package calibrate

import (
	"math"
	"math/rand/v2"
	"time"
)

// synthStart is the first minute of every synthetic history.
var synthStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// synth describes a synthetic service: a daily traffic curve with surges, served by a fleet that a sluggish
// autoscaler sizes for targetPerTask rps per task, with latency flat until knee rps per task and steep beyond.
type synth struct {
	service       string
	minutes       int
	knee          float64 // per-task rps where latency starts to rise
	targetPerTask float64 // what the autoscaler sizes the fleet for
	lag           int     // minutes before a scale-out's tasks serve
	surgesPerDay  int
	surgeFactor   float64 // traffic multiplier at a surge's peak
	noLatency     bool
	noErrors      bool
	seed          uint64
}

// defaultSynth is 14 days at one minute with the knee at 180 rps per task and two surges a day that push the
// per-task load to about 290 before the fleet catches up.
func defaultSynth() synth {
	return synth{
		service: "api", minutes: 14 * 1440, knee: 180, targetPerTask: 130, lag: 5,
		surgesPerDay: 2, surgeFactor: 2.2, seed: 7,
	}
}

// synthTruth is what generated a history, for tests to compare against.
type synthTruth struct {
	routerRPS []float64
	x         []float64
}

// latencyAt is the synthetic service's true latency at per-task load x, in ms.
func (s synth) latencyAt(x float64) float64 {
	if x <= s.knee {
		return 40
	}
	return 40 + 2.5*(x-s.knee)
}

// cpuAt is the synthetic service's true CPU % at per-task load x: 70 % at 180 rps per task.
func (s synth) cpuAt(x float64) float64 { return 7 + 0.35*x }

// history generates the synthetic history, deterministically from s.seed.
func (s synth) history() (History, synthTruth) {
	rng := rand.New(rand.NewPCG(s.seed, 1))
	n := s.minutes
	// Surges: each day at random minutes between 08:00 and 23:00, ramping up over 2 minutes, holding 25, easing 5.
	mult := make([]float64, n)
	for i := range mult {
		mult[i] = 1
	}
	for day := 0; day*1440 < n; day++ {
		for range s.surgesPerDay {
			at := day*1440 + 8*60 + rng.IntN(15*60)
			f := s.surgeFactor * (0.9 + 0.2*rng.Float64())
			for k := 0; k < 32 && at+k < n; k++ {
				var m float64
				switch {
				case k < 2:
					m = 1 + (f-1)*float64(k+1)/2
				case k < 27:
					m = f
				default:
					m = f - (f-1)*float64(k-26)/5
				}
				mult[at+k] = max(mult[at+k], m)
			}
		}
	}

	h := History{Service: s.service, Period: time.Minute}
	var truth synthTruth
	tasks := 2.0
	for i := range n {
		t := synthStart.Add(time.Duration(i) * time.Minute)
		hour := float64(i%1440) / 60
		daily := math.Pow(0.5-0.5*math.Cos(2*math.Pi*(hour-5)/24), 1.5)
		rps := (2000 + 6000*daily) * (1 + 0.03*rng.NormFloat64()) * mult[i]
		truth.routerRPS = append(truth.routerRPS, rps)

		// The autoscaler sees the load lag minutes late when scaling out, and scales in only once the last
		// 15 minutes' peak allows it.
		want := func(v float64) float64 { return max(2, math.Ceil(v/s.targetPerTask)) }
		out := tasks
		if i >= s.lag {
			out = want(truth.routerRPS[i-s.lag])
		}
		peak := 0.0
		for j := max(0, i-15); j < i; j++ {
			peak = max(peak, truth.routerRPS[j])
		}
		if i > 0 {
			tasks = max(out, min(tasks, want(peak)))
		} else {
			tasks = want(rps)
		}
		x := rps / tasks
		truth.x = append(truth.x, x)

		h.RequestRate.Times = append(h.RequestRate.Times, t)
		h.RequestRate.Values = append(h.RequestRate.Values, rps)
		h.RunningTasks.Times = append(h.RunningTasks.Times, t)
		h.RunningTasks.Values = append(h.RunningTasks.Values, tasks)
		h.CPU.Times = append(h.CPU.Times, t)
		h.CPU.Values = append(h.CPU.Values, min(100, max(0, s.cpuAt(x)+2*rng.NormFloat64())))
		if !s.noLatency {
			lat := s.latencyAt(x) * math.Exp(0.08*rng.NormFloat64())
			if rng.Float64() < 0.002 { // an unrelated slow minute: a deploy, a slow dependency
				lat *= 4
			}
			h.Latency.Times = append(h.Latency.Times, t)
			h.Latency.Values = append(h.Latency.Values, lat)
		}
		if !s.noErrors {
			rate := 0.00005
			if x > s.knee+40 {
				rate += 0.0005 * (x - s.knee - 40)
			}
			if errs := math.Round(rate*rps*60 + math.Sqrt(rate*rps*60)*rng.NormFloat64()); errs > 0 {
				// CloudWatch has no datapoint for a minute without 5xx.
				h.Errors5xx.Times = append(h.Errors5xx.Times, t)
				h.Errors5xx.Values = append(h.Errors5xx.Values, errs)
			}
		}
	}
	return h, truth
}
