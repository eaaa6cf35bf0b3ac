package policy

import (
	"testing"
	"time"
)

// A restart without recorded history: the first polls show 1,000 rps, then the load doubles and stays. The surge is
// detected within the first seconds, not after MinBaseline.
func TestSurgeReadyFromTheStart(t *testing.T) {
	tl := newTimeline(t, testConfig(), map[string]int{"router": 2, "api": 4, "api-canary": 1})
	tl.tick(full(1000), time.Second)
	tl.tick(full(1000), time.Second)
	var d Decision
	for i := range 3 + int(DefaultTuning().Confirm/time.Second) {
		d = tl.tick(full(2500), time.Second)
		if d.Mode == ModeSurge {
			t.Logf("surge %d s after the rise, %s after start", i+1, tl.now.Sub(epoch))
			break
		}
	}
	if d.Mode != ModeSurge {
		t.Fatalf("mode %s %s into a 2.5x rise right after start, want surge (%s)", d.Mode, 3*time.Second+DefaultTuning().Confirm, d.Reason)
	}
	if tl.desired("api") < 9 {
		t.Errorf("api %d, want sized for the rise (≥ 9)", tl.desired("api"))
	}
}

// One noisy poll right after start is no surge: every poll of the short window must show the rise.
func TestSurgeReadyNeedsASustainedRise(t *testing.T) {
	tl := newTimeline(t, testConfig(), map[string]int{"router": 2, "api": 4, "api-canary": 1})
	tl.tick(full(1000), time.Second)
	tl.tick(full(1000), time.Second)
	if d := tl.tick(full(4000), time.Second); d.Mode == ModeSurge {
		t.Errorf("one poll at 4x read as a surge: %s", d.Reason)
	}
	if d := tl.tick(full(1000), time.Second); d.Mode == ModeSurge {
		t.Errorf("surge after a one-poll blip: %s", d.Reason)
	}
}

// Seeded with what the daemon published before its restart, the baseline is ready at once: the full surge
// machinery (slope, projection) works from the first ticks, and scale-in still waits for the windows.
func TestSeedGivesABaselineAtOnce(t *testing.T) {
	cfg := testConfig()
	tl := newTimeline(t, cfg, map[string]int{"router": 2, "api": 10, "api-canary": 2})
	var recorded []Point
	for s := 300; s >= 1; s-- {
		recorded = append(recorded, Point{At: epoch.Add(-time.Duration(s) * time.Second), RPS: 1000})
	}
	tl.state = Seed(cfg, tl.state, recorded, epoch)
	d := tl.tick(full(1000), time.Second)
	if d.Baseline != 1000 {
		t.Errorf("baseline %v on the first tick after seeding, want the recorded 1000", d.Baseline)
	}
	d = tl.tick(full(1000), time.Second)
	if d.Services["api"].Direction == Down {
		t.Errorf("scale-in on the second tick after a restart: %s", d.Services["api"].Reason)
	}
	if got := Seed(cfg, State{}, []Point{{At: epoch.Add(-time.Hour), RPS: 5}}, epoch); len(got.History) != 0 {
		t.Errorf("a point older than the history span was seeded: %v", got.History)
	}
}
