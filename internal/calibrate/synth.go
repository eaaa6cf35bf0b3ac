package calibrate

import (
	"math"
	"math/rand/v2"
	"time"
)

// SynthStart is the first minute of a synthetic history whose Synth.Start is zero.
var SynthStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Synth describes a synthetic service whose knee is known, to check Estimate and the calibrate command against:
// a daily traffic curve with surges, served by a fleet that a sluggish autoscaler sizes for TargetPerTask rps per
// task, with latency flat until Knee rps per task and steep beyond, 5xx from 40 rps per task past it.
type Synth struct {
	Service       string
	Start         time.Time // the first minute; zero means SynthStart
	Minutes       int       // length of the history, one period per minute
	Knee          float64   // per-task rps where latency starts to rise
	TargetPerTask float64   // what the autoscaler sizes the fleet for
	Lag           int       // minutes before a scale-out's tasks serve
	SurgesPerDay  int
	SurgeFactor   float64 // traffic multiplier at a surge's peak
	NoLatency     bool    // leave Latency empty, as without Service Connect
	NoErrors      bool    // leave Errors5xx empty
	// BackgroundErrorRate is a 5xx fraction added at every load, as from a broken client or a failing
	// dependency; the service always has 0.005% besides.
	BackgroundErrorRate float64
	Seed                uint64
}

// DefaultSynth is 14 days at one minute with the knee at 180 rps per task and two surges a day that push the
// per-task load to about 290 before the fleet catches up.
func DefaultSynth() Synth {
	return Synth{
		Service: "api", Minutes: 14 * 1440, Knee: 180, TargetPerTask: 130, Lag: 5,
		SurgesPerDay: 2, SurgeFactor: 2.2, Seed: 7,
	}
}

// SynthTruth is what generated a synthetic history, for comparing an estimate against.
type SynthTruth struct {
	RouterRPS []float64 // the requests/s reaching the service each minute
	X         []float64 // the per-task load each minute
}

// LatencyAt is the synthetic service's true latency at per-task load x, in ms.
func (s Synth) LatencyAt(x float64) float64 {
	if x <= s.Knee {
		return 40
	}
	return 40 + 2.5*(x-s.Knee)
}

// CPUAt is the synthetic service's true CPU % at per-task load x: 70 % at 180 rps per task.
func (s Synth) CPUAt(x float64) float64 { return 7 + 0.35*x }

// History generates the synthetic history, deterministically from s.Seed.
func (s Synth) History() (History, SynthTruth) {
	rng := rand.New(rand.NewPCG(s.Seed, 1))
	n := s.Minutes
	start := s.Start
	if start.IsZero() {
		start = SynthStart
	}
	// Surges: each day at random minutes between 08:00 and 23:00, ramping up over 2 minutes, holding 25, easing 5.
	mult := make([]float64, n)
	for i := range mult {
		mult[i] = 1
	}
	for day := 0; day*1440 < n; day++ {
		for range s.SurgesPerDay {
			at := day*1440 + 8*60 + rng.IntN(15*60)
			f := s.SurgeFactor * (0.9 + 0.2*rng.Float64())
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

	h := History{Service: s.Service, Period: time.Minute}
	var truth SynthTruth
	tasks := 2.0
	for i := range n {
		t := start.Add(time.Duration(i) * time.Minute)
		hour := float64(i%1440) / 60
		daily := math.Pow(0.5-0.5*math.Cos(2*math.Pi*(hour-5)/24), 1.5)
		rps := (2000 + 6000*daily) * (1 + 0.03*rng.NormFloat64()) * mult[i]
		truth.RouterRPS = append(truth.RouterRPS, rps)

		// The autoscaler sees the load Lag minutes late when scaling out, and scales in only once the last
		// 15 minutes' peak allows it.
		want := func(v float64) float64 { return max(2, math.Ceil(v/s.TargetPerTask)) }
		out := tasks
		if i >= s.Lag {
			out = want(truth.RouterRPS[i-s.Lag])
		}
		peak := 0.0
		for j := max(0, i-15); j < i; j++ {
			peak = max(peak, truth.RouterRPS[j])
		}
		if i > 0 {
			tasks = max(out, min(tasks, want(peak)))
		} else {
			tasks = want(rps)
		}
		x := rps / tasks
		truth.X = append(truth.X, x)

		h.RequestRate.Times = append(h.RequestRate.Times, t)
		h.RequestRate.Values = append(h.RequestRate.Values, rps)
		h.RunningTasks.Times = append(h.RunningTasks.Times, t)
		h.RunningTasks.Values = append(h.RunningTasks.Values, tasks)
		h.CPU.Times = append(h.CPU.Times, t)
		h.CPU.Values = append(h.CPU.Values, min(100, max(0, s.CPUAt(x)+2*rng.NormFloat64())))
		if !s.NoLatency {
			lat := s.LatencyAt(x) * math.Exp(0.08*rng.NormFloat64())
			if rng.Float64() < 0.002 { // an unrelated slow minute: a deploy, a slow dependency
				lat *= 4
			}
			h.Latency.Times = append(h.Latency.Times, t)
			h.Latency.Values = append(h.Latency.Values, lat)
		}
		if !s.NoErrors {
			rate := 0.00005 + s.BackgroundErrorRate
			if x > s.Knee+40 {
				rate += 0.0005 * (x - s.Knee - 40)
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
