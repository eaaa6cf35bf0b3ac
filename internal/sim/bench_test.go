package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// day is a 24-hour trace at 1-second resolution: a daily curve with four broadcast ends.
func day() Trace {
	rng := rand.New(rand.NewPCG(1, 2))
	return curve(rng, 24*time.Hour, 0.05, func(t float64) float64 {
		h := t / 60
		base := 800 + 3200*math.Exp(-math.Pow((h-21)/3, 2)) + 600*math.Exp(-math.Pow((h-12.5)/1.5, 2))
		return base * (1 + surge(t, 20*60+54, 4, 2, 25) + surge(t, 22*60+54, 3, 2, 20) + surge(t, 12*60, 2, 2, 15) + surge(t, 8*60, 2, 3, 30))
	})
}

// BenchmarkRun24h simulates every policy over a 24-hour trace at 1-second resolution (goal: < 2 s on one core).
func BenchmarkRun24h(b *testing.B) {
	tr := day()
	cfg := exampleConfig(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(cfg, tr); err != nil {
			b.Fatal(err)
		}
	}
}
