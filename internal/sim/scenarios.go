package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// DefaultScenario is what `fastscaler simulate` runs without --scenario or --trace.
const DefaultScenario = "broadcast-end"

// scenario builds a trace from a seed.
type scenario struct {
	about string
	build func(rng *rand.Rand) Trace
}

var scenarios = map[string]scenario{
	"broadcast-end": {
		about: "10 min at 1,000 rps; a broadcast ends and viewers arrive: 10x over 2 minutes; they stay for the next 45-minute programme, then leave over 15 minutes",
		build: func(rng *rand.Rand) Trace {
			return curve(rng, 80*time.Minute, 0.03, func(t float64) float64 {
				return piecewise(t, [][2]float64{{0, 1000}, {10, 1000}, {12, 10000}, {57, 10000}, {72, 2000}, {80, 2000}})
			})
		},
	},
	"double": {
		about: "10 min at 1,000 rps, then 2x within one minute, held for 20 minutes",
		build: func(rng *rand.Rand) Trace {
			return curve(rng, 40*time.Minute, 0.03, func(t float64) float64 {
				return piecewise(t, [][2]float64{{0, 1000}, {10, 1000}, {11, 2000}, {40, 2000}})
			})
		},
	},
	"step": {
		about: "10 min at 1,000 rps, then 8x within 10 seconds, held for 20 minutes: the starting routers saturate and hide the demand",
		build: func(rng *rand.Rand) Trace {
			return curve(rng, 30*time.Minute, 0.03, func(t float64) float64 {
				return piecewise(t, [][2]float64{{0, 1000}, {10, 1000}, {10 + 10.0/60, 8000}, {30, 8000}})
			})
		},
	},
	"big-broadcast": {
		about: "a known big broadcast: the SRE pre-scales at minute 5 until minute 50, then 5x over 2 minutes at minute 20",
		build: func(rng *rand.Rand) Trace {
			tr := curve(rng, 70*time.Minute, 0.03, func(t float64) float64 {
				return piecewise(t, [][2]float64{{0, 1000}, {20, 1000}, {22, 5000}, {40, 5000}, {55, 1500}, {70, 1500}})
			})
			from, until := 5*time.Minute, 50*time.Minute
			tr.Floors = []Floor{
				{Service: "router", Count: 4, From: from, Until: until},
				{Service: "api", Count: 14, From: from, Until: until},
				{Service: "api-canary", Count: 2, From: from, Until: until},
			}
			return tr
		},
	},
	"noisy": {
		about: "30 min at 2,000 rps with ±20% noise every second and one 5-second blip to 2x at minute 15: counts false scale-outs",
		build: func(rng *rand.Rand) Trace {
			tr := curve(rng, 30*time.Minute, 0.20, func(float64) float64 { return 2000 })
			for s := 15 * 60; s < 15*60+5; s++ {
				tr.RPS[s] *= 2
			}
			return tr
		},
	},
	"evening": {
		about: "6 hours from 18:00 JST: an evening curve from 1,500 to 4,000 rps with two broadcast ends (4x at 20:54, 3x at 22:54)",
		build: func(rng *rand.Rand) Trace {
			tr := curve(rng, 6*time.Hour, 0.05, func(t float64) float64 {
				// t in minutes from 18:00: a smooth rise to a 21:30 peak and a fall towards midnight.
				base := 1500 + 2500*math.Exp(-math.Pow((t-210)/110, 2))
				return base * (1 + surge(t, 174, 3, 2, 25) + surge(t, 294, 2, 2, 20))
			})
			tr.Start = time.Date(2026, 11, 22, 18, 0, 0, 0, time.FixedZone("JST", 9*3600))
			return tr
		},
	},
}

// ScenarioNames lists the embedded scenarios, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ScenarioAbout describes a scenario in one line.
func ScenarioAbout(name string) string { return scenarios[name].about }

// Scenario builds an embedded scenario; the same seed always gives the same trace.
func Scenario(name string, seed uint64) (Trace, error) {
	s, ok := scenarios[name]
	if !ok {
		return Trace{}, fmt.Errorf("unknown scenario %q (have %v)", name, ScenarioNames())
	}
	tr := s.build(rand.New(rand.NewPCG(seed, 0x5eed)))
	tr.Name = name
	return tr, nil
}

// curve samples f (minutes → rps) every second for d, with uniform noise of ±noise.
func curve(rng *rand.Rand, d time.Duration, noise float64, f func(minutes float64) float64) Trace {
	n := int(d / time.Second)
	rps := make([]float64, n)
	for s := range rps {
		v := f(float64(s) / 60)
		rps[s] = max(0, v*(1+noise*(2*rng.Float64()-1)))
	}
	return Trace{RPS: rps}
}

// piecewise interpolates linearly between (minute, rps) knots.
func piecewise(t float64, knots [][2]float64) float64 {
	for i := 1; i < len(knots); i++ {
		if t <= knots[i][0] {
			a, b := knots[i-1], knots[i]
			return a[1] + (b[1]-a[1])*(t-a[0])/(b[0]-a[0])
		}
	}
	return knots[len(knots)-1][1]
}

// surge is the extra load factor of a broadcast end at minute at: it rises by factor−1 over rise minutes, then
// decays exponentially with the given time constant.
func surge(t, at, factor, rise, decay float64) float64 {
	switch {
	case t < at:
		return 0
	case t < at+rise:
		return (factor - 1) * (t - at) / rise
	}
	return (factor - 1) * math.Exp(-(t-at-rise)/decay)
}
