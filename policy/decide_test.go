package policy

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// expectDecision compares the parts of a service decision a test cares about.
func expectDecision(t *testing.T, d Decision, want map[string]Direction, wantDesired map[string]int) {
	t.Helper()
	got := map[string]Direction{}
	gotDesired := map[string]int{}
	for n := range want {
		got[n] = d.Services[n].Direction
	}
	for n := range wantDesired {
		gotDesired[n] = d.Services[n].Desired
	}
	if want == nil {
		got = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("directions (-want +got):\n%s\ndecision: %s", diff, describe(d))
	}
	if wantDesired != nil {
		if diff := cmp.Diff(wantDesired, gotDesired); diff != "" {
			t.Errorf("desired (-want +got):\n%s\ndecision: %s", diff, describe(d))
		}
	}
}

func describe(d Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "mode=%s reason=%q", d.Mode, d.Reason)
	for _, n := range []string{"router", "api", "api-canary"} {
		if s, ok := d.Services[n]; ok {
			fmt.Fprintf(&b, "\n  %s: %d→%d (rec %d) %s", n, s.Current, s.Desired, s.Recommended, s.Reason)
		}
	}
	return b.String()
}

var initial = map[string]int{"router": 1, "api": 4, "api-canary": 1}

// pollRate is what a 1 s poll ending at t reports for a load that ramps linearly from base at rampStart by slope.
func pollRate(base, slope float64, rampStart, t time.Duration) float64 {
	mid := (t - rampStart - 500*time.Millisecond).Seconds()
	return base + slope*max(0, mid)
}

func TestSteadyNoiseCausesNoChanges(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	for i := range 1200 {
		// ±8% deterministic noise around 950 rps: api needs ceil(855/250)=4 tasks, never 5 within tolerance.
		noise := 1 + 0.08*math.Sin(float64(i)*1.7)
		if d := tl.tick(full(950*noise), time.Second); d.Changed() {
			t.Fatalf("tick %d: noise caused a change: %s", i, describe(d))
		}
	}
	if tl.last.Mode != ModeSteady {
		t.Errorf("mode = %s, want steady", tl.last.Mode)
	}
}

func TestSurgeDetectedWithinTwoPollsAndScalesAllServicesInOneTick(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	rampStart := tl.now.Sub(epoch)
	const slope = 75.0 // 10x over 2 minutes

	// The polled rate first reaches 1.5× the baseline at the first poll ending after rampStart+7.17 s.
	var crossed, detected time.Duration
	for i := 1; i <= 120; i++ {
		at := tl.now.Sub(epoch)
		rate := pollRate(1000, slope, rampStart, at)
		if crossed == 0 && rate >= 1500 {
			crossed = at
		}
		d := tl.tick(full(rate), time.Second)
		if d.Mode == ModeSurge && detected == 0 {
			detected = at
			expectDecision(t, d, map[string]Direction{"router": Up, "api": Up, "api-canary": Up}, nil)
			if d.Projected <= d.Short {
				t.Errorf("at detection projected %.0f ≤ short %.0f; a surge must be sized ahead", d.Projected, d.Short)
			}
		}
		if d.Mode == ModeSurge {
			for n, s := range d.Services {
				if s.Direction == Down {
					t.Fatalf("%s scaled in during a surge: %s", n, describe(d))
				}
			}
		}
	}
	if detected == 0 {
		t.Fatal("surge never detected")
	}
	if polls := int((detected - crossed) / time.Second); polls > 2 {
		t.Errorf("surge detected %d polls after the load crossed 1.5× baseline; want ≤ 2", polls)
	}
	// After the ramp, capacity must cover the new 10x load.
	if got := tl.desired("api"); got < 36 {
		t.Errorf("api desired %d after the ramp, want ≥ 36 (9000 rps at 250 rps/task)", got)
	}
	if got := tl.desired("router"); got < 10 {
		t.Errorf("router desired %d after the ramp, want ≥ 10", got)
	}
}

func TestSurgeProjectsLeadTimeAheadAndCaps(t *testing.T) {
	cfg := testConfig()
	tl := newTimeline(t, cfg, initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	// A clean linear ramp at 20 rps/s for 30 s: the slope window sees only the ramp.
	for i := 1; i <= 30; i++ {
		tl.tick(full(1000+20*float64(i)), time.Second)
	}
	d := tl.tick(full(1000+20*31), time.Second)
	if d.Mode != ModeSurge {
		t.Fatalf("mode %s, want surge: %s", d.Mode, describe(d))
	}
	// The kink where the ramp began reads as a little noise, so the slope is a hair below the true 20.
	if d.Slope < 19 || d.Slope > 20 {
		t.Fatalf("slope %.3f, want 20 less a little noise", d.Slope)
	}
	want := d.Load + d.Slope*cfg.LeadTime.Seconds() // this tick's rate is above the short-window mean
	if math.Abs(d.Projected-want) > 1e-6 {
		t.Errorf("projected %.1f, want load %.1f + %.2f rps/s × %s = %.1f", d.Projected, d.Load, d.Slope, cfg.LeadTime, want)
	}

	// A violent ramp is capped at MaxProjection × the current rate ...
	cfg.MaxProjection, cfg.MaxSurgeFactor = 2, 100
	tl2 := newTimeline(t, cfg, initial)
	tl2.steady(1000, 6*time.Minute, time.Second)
	for i := 1; i <= 12; i++ {
		d = tl2.tick(full(1000+float64(i)*500), time.Second)
	}
	if d.Mode != ModeSurge || d.Projected != cfg.MaxProjection*d.Load {
		t.Errorf("projected %.0f with load %.0f, want the cap %.0f: %s", d.Projected, d.Load, cfg.MaxProjection*d.Load, describe(d))
	}

	// ... and at MaxSurgeFactor × the baseline the surge started from; the reaction to actual load is not capped.
	cfg.MaxProjection, cfg.MaxSurgeFactor = 4, 3
	tl3 := newTimeline(t, cfg, initial)
	tl3.steady(1000, 6*time.Minute, time.Second)
	for i := 1; i <= 30; i++ {
		d = tl3.tick(full(1000+float64(i)*100), time.Second)
		if d.Mode == ModeSurge && d.Projected > max(3*1000*1.01, d.Load) {
			t.Fatalf("tick %d: projected %.0f beyond 3x the 1000 rps baseline: %s", i, d.Projected, describe(d))
		}
	}
	if d.Load != 4000 || d.Projected != 4000 {
		t.Errorf("load %.0f projected %.0f, want both 4000: beyond the factor the actual load is still sized for", d.Load, d.Projected)
	}
}

// TestStepSurgeIsSizedForItsLevel checks that a load that jumps once is not read as sustained growth: it is sized
// for its new level, not projected to a multiple of it.
func TestStepSurgeIsSizedForItsLevel(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	for range 10 {
		if d := tl.tick(full(10000), time.Second); d.Projected > 10000*1.01 {
			t.Fatalf("a 10x step projected to %.0f rps: %s", d.Projected, describe(d))
		}
	}
	if got := tl.desired("api"); got != 36 {
		t.Errorf("api desired %d after a step to 10000 rps, want 36 (9000/250)", got)
	}
	if got := tl.desired("router"); got != 10 {
		t.Errorf("router desired %d, want 10", got)
	}
}

func TestSlopeSeesRampsNotSteps(t *testing.T) {
	series := func(f func(i int) float64) []Point {
		var ps []Point
		for i := range 20 {
			ps = append(ps, Point{At: epoch.Add(time.Duration(i) * time.Second), RPS: f(i)})
		}
		return ps
	}
	from, to := epoch.Add(9*time.Second), epoch.Add(19*time.Second)
	if got := slope(series(func(i int) float64 { return 1000 + 50*float64(i) }), from, to, 0); math.Abs(got-50) > 1e-9 {
		t.Errorf("slope of a ramp = %v, want 50", got)
	}
	for step := 10; step <= 19; step++ {
		if got := slope(series(func(i int) float64 { return map[bool]float64{true: 10000, false: 1000}[i >= step] }), from, to, 0); got != 0 {
			t.Errorf("slope of a step at %ds = %v, want 0", step, got)
		}
	}
	if got := slope(series(func(i int) float64 { return 5000 - 20*float64(i) }), from, to, 0); got != 0 {
		t.Errorf("slope of a falling load = %v, want 0", got)
	}
	if got := slope(series(func(i int) float64 { return 1000 }), from, to, 0); got != 0 {
		t.Errorf("slope of a flat load = %v, want 0", got)
	}
	// Noise that the baseline has shown lowers each half's slope by two standard errors: a few noisy polls
	// do not make growth, a clear ramp still does.
	zigzag := series(func(i int) float64 { return 1000 + 300*float64(i%2) })
	if got := slope(zigzag, from, to, 150); got != 0 {
		t.Errorf("slope of a noisy flat load with its noise known = %v, want 0", got)
	}
	if got := slope(series(func(i int) float64 { return 1000 + 200*float64(i) }), from, to, 150); got < 100 || got > 110 {
		t.Errorf("slope of a 200 rps/s ramp in 150 rps noise = %v, want 200 less two standard errors (≈95 here)", got)
	}
}

func TestWeightsSplitLoadAcrossCoupledServices(t *testing.T) {
	// A fresh timeline has no baseline yet, so this is steady sizing: exactly ceil(load × weight / capacity).
	tl := newTimeline(t, testConfig(), initial)
	d := tl.tick(full(8000), time.Second)
	expectDecision(t, d,
		map[string]Direction{"router": Up, "api": Up, "api-canary": Up},
		map[string]int{"router": 8, "api": 29, "api-canary": 4}) // 7200/250=28.8→29, 800/250=3.2→4
	if d.Mode == ModeSurge {
		t.Errorf("mode surge without a baseline: %s", describe(d))
	}
}

func TestCooldownThenStabilisedStepwiseScaleIn(t *testing.T) {
	cfg := testConfig()
	tl := newTimeline(t, cfg, initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	tl.steady(10000, 2*time.Minute, time.Second) // a step surge: scaled out
	if tl.desired("api") < 36 {
		t.Fatalf("api desired %d after 10000 rps, want ≥ 36", tl.desired("api"))
	}
	lastOut := tl.state.LastScaleOut["api"]
	// Load falls back. No scale-in until the cooldown has passed since the last scale-out.
	var firstIn time.Time
	prev := tl.desired("api")
	for tl.now.Before(lastOut.Add(30 * time.Minute)) {
		d := tl.tick(full(1000), time.Second)
		if s := d.Services["api"]; s.Direction == Down {
			if firstIn.IsZero() {
				firstIn = tl.now.Add(-time.Second)
			}
			if step := prev - s.Desired; step > max(1, int(float64(prev)*cfg.ScaleInStep)) {
				t.Fatalf("scale-in step %d from %d exceeds %.0f%%", step, prev, 100*cfg.ScaleInStep)
			}
		}
		prev = tl.desired("api")
	}
	if firstIn.IsZero() {
		t.Fatal("never scaled in")
	}
	if since := firstIn.Sub(lastOut); since < cfg.ScaleInCooldown {
		t.Errorf("first scale-in %v after the last scale-out, want ≥ cooldown %v", since, cfg.ScaleInCooldown)
	}
	if got := tl.desired("api"); got != 4 {
		t.Errorf("api settled at %d, want 4", got)
	}
	if got := tl.desired("router"); got != 1 {
		t.Errorf("router settled at %d, want 1", got)
	}
}

func TestScaleInWaitsForTheStabilisationWindow(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	tl := newTimeline(t, cfg, map[string]int{"router": 3, "api": 12, "api-canary": 2})
	tl.steady(2500, 6*time.Minute, time.Second) // api needs 9, router 3
	// One minute ago the load was high; now it is low: the highest recommendation over 5 min still rules.
	tl.steady(1000, time.Minute, time.Second)
	if got := tl.desired("api"); got != 9 {
		t.Fatalf("api desired %d, want 9 (the highest recommendation over the window)", got)
	}
	tl.steady(1000, 5*time.Minute, time.Second)
	if got := tl.desired("api"); got >= 9 {
		t.Errorf("api desired %d after the window passed, want < 9", got)
	}
}

func TestFloorsRaiseAtOnceHoldAndEndWithoutACliff(t *testing.T) {
	cfg := testConfig()
	tl := newTimeline(t, cfg, initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	floorEnd := tl.now.Add(20 * time.Minute)
	s := tl.services["api"]
	s.Floor = Floor{Count: 40, Until: floorEnd}
	tl.services["api"] = s

	// Even with no data at all, the floor raises at once.
	d := tl.tick(Load{Known: 4}, time.Second)
	expectDecision(t, d, map[string]Direction{"api": Up, "router": Hold}, map[string]int{"api": 40})
	if !strings.Contains(d.Services["api"].Reason, "pre-scale floor 40") {
		t.Errorf("reason %q does not name the floor", d.Services["api"].Reason)
	}
	// While the floor lasts, low load never scales in below it.
	for tl.now.Before(floorEnd) {
		if d := tl.tick(full(1000), time.Second); d.Services["api"].Desired < 40 {
			t.Fatalf("below the floor: %s", describe(d))
		}
	}
	// After the floor ends, the cooldown counts from its end, then scale-in is stepwise.
	prev := tl.desired("api")
	for tl.now.Before(floorEnd.Add(cfg.ScaleInCooldown)) {
		if d := tl.tick(full(1000), time.Second); d.Services["api"].Direction == Down {
			t.Fatalf("scaled in %v after the floor ended, before the cooldown: %s", tl.now.Sub(floorEnd), describe(d))
		}
	}
	for range 600 {
		d := tl.tick(full(1000), time.Second)
		if sd := d.Services["api"]; sd.Direction == Down && prev-sd.Desired > max(1, int(float64(prev)*cfg.ScaleInStep)) {
			t.Fatalf("cliff: %d → %d", prev, sd.Desired)
		}
		prev = tl.desired("api")
	}
	if got := tl.desired("api"); got >= 40 || got < 4 {
		t.Errorf("api desired %d 10 minutes into scale-in, want between 4 and 40", got)
	}
}

func TestPausedServiceIsLeftAlone(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	s := tl.services["api"]
	s.Paused = true
	s.Floor = Floor{Count: 30, Until: epoch.Add(time.Hour)}
	tl.services["api"] = s
	d := tl.tick(full(20000), time.Second)
	expectDecision(t, d, map[string]Direction{"api": Hold, "router": Up, "api-canary": Up}, map[string]int{"api": 4})
	if d.Services["api"].Reason != "hold: paused" {
		t.Errorf("reason %q, want hold: paused", d.Services["api"].Reason)
	}
}

func TestMissingDataNeverScalesIn(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	start := map[string]int{"router": 10, "api": 36, "api-canary": 4}
	cases := []struct {
		name string
		load Load
	}{
		{"nothing reports", Load{Known: 10}},
		{"no router known", Load{}},
		{"half report, extrapolated low", Load{RequestsPerSec: 300, Reporting: 5, Known: 10}},
		{"89% report", Load{RequestsPerSec: 900, Reporting: 8, Known: 9}},
		{"NaN", Load{RequestsPerSec: math.NaN(), Reporting: 10, Known: 10}},
		{"Inf", Load{RequestsPerSec: math.Inf(1), Reporting: 10, Known: 10}},
		{"negative", Load{RequestsPerSec: -5, Reporting: 10, Known: 10}},
		{"more reporting than known", Load{RequestsPerSec: 100, Reporting: 11, Known: 10}},
		{"new routers not reporting yet", Load{RequestsPerSec: 300, Reporting: 8, Known: 10, Serving: 8}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tl := newTimeline(t, cfg, start)
			// Long after start, low load but with the given data problem on every tick.
			for range 900 {
				if d := tl.tick(tc.load, time.Second); d.Changed() && anyDown(d) {
					t.Fatalf("scaled in on missing data: %s", describe(d))
				}
			}
		})
	}
}

func TestPartialDataScalesOutByExtrapolation(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	// Half the routers stop reporting while the load goes 10x: the half that reports sees 5000 rps.
	tl.tick(Load{RequestsPerSec: 5000, Reporting: 2, Known: 4, Serving: 4}, time.Second)
	d := tl.tick(Load{RequestsPerSec: 5000, Reporting: 2, Known: 4, Serving: 4}, time.Second)
	if d.Load != 10000 {
		t.Errorf("load %.0f, want 10000 extrapolated from 2 of 4 routers", d.Load)
	}
	// New routers that never reported are not extrapolated over: they carry no traffic yet.
	d, _ = Decide(tl.cfg, Input{Load: Load{RequestsPerSec: 5000, Reporting: 4, Known: 8, Serving: 4}, Services: tl.services}, tl.state, tl.now)
	if d.Load != 5000 {
		t.Errorf("load %.0f with 4 new routers, want 5000 (no extrapolation over new tasks)", d.Load)
	}
	if tl.desired("api") < 36 || tl.desired("router") < 10 {
		t.Errorf("desired api %d router %d, want ≥ 36 and ≥ 10: %s", tl.desired("api"), tl.desired("router"), describe(d))
	}
}

func TestAGapInCoverageBlocksScaleInForAFullWindow(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	tl := newTimeline(t, cfg, map[string]int{"router": 2, "api": 8, "api-canary": 1})
	tl.steady(1000, 3*time.Minute, time.Second) // wants api 4 once windows fill
	// A restarted router (counter reset) is missing for one tick.
	tl.tick(Load{RequestsPerSec: 750, Reporting: 3, Known: 4}, time.Second)
	gap := tl.now.Add(-time.Second)
	for tl.now.Before(gap.Add(cfg.Stabilization)) {
		if d := tl.tick(full(1000), time.Second); anyDown(d) {
			t.Fatalf("scaled in %v after a coverage gap: %s", tl.now.Sub(gap), describe(d))
		}
	}
	tl.steady(1000, 5*time.Minute, time.Second)
	if got := tl.desired("api"); got != 4 {
		t.Errorf("api desired %d, want 4 once a full window had full coverage", got)
	}
}

func TestRestartHoldsUntilWindowsFillAndHonoursDurableCooldown(t *testing.T) {
	cfg := testConfig()
	// A daemon restarts with a fleet sized for a past surge; the tags say the last scale-out was 2 minutes ago.
	tl := newTimeline(t, cfg, map[string]int{"router": 10, "api": 36, "api-canary": 4})
	for n, s := range tl.services {
		s.LastScaleOut = epoch.Add(-2 * time.Minute)
		tl.services[n] = s
	}
	d := tl.tick(full(1000), time.Second)
	if d.Changed() {
		t.Fatalf("first tick after restart changed counts: %s", describe(d))
	}
	var firstIn time.Time
	for range 1800 {
		if d := tl.tick(full(1000), time.Second); anyDown(d) && firstIn.IsZero() {
			firstIn = tl.now.Add(-time.Second)
		}
	}
	if want := epoch.Add(-2 * time.Minute).Add(cfg.ScaleInCooldown); firstIn.Before(want) {
		t.Errorf("first scale-in at %v, before the durable cooldown ends at %v", firstIn, want)
	}
	if firstIn.Sub(epoch) < cfg.Stabilization {
		t.Errorf("first scale-in %v after restart, before the windows filled (%v)", firstIn.Sub(epoch), cfg.Stabilization)
	}
}

func TestStaleServiceStateNeverScalesIn(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	tl := newTimeline(t, cfg, map[string]int{"router": 10, "api": 36, "api-canary": 4})
	s := tl.services["api"]
	s.Stale = true
	tl.services["api"] = s
	for range 900 {
		if d := tl.tick(full(1000), time.Second); d.Services["api"].Direction == Down {
			t.Fatalf("scaled in from stale state: %s", describe(d))
		}
	}
	if tl.desired("router") >= 10 {
		t.Errorf("router desired %d: fresh services should still scale in", tl.desired("router"))
	}
}

func TestDecideIsPureAndDeterministic(t *testing.T) {
	tl := newTimeline(t, testConfig(), initial)
	tl.steady(1000, 6*time.Minute, time.Second)
	in := Input{Load: full(9000), Services: tl.services}
	before := tl.state.clone()
	d1, s1 := Decide(tl.cfg, in, tl.state, tl.now)
	d2, s2 := Decide(tl.cfg, in, tl.state, tl.now)
	if diff := cmp.Diff(d1, d2); diff != "" {
		t.Errorf("same input, different decisions (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(s1, s2, cmp.AllowUnexported(rec{})); diff != "" {
		t.Errorf("same input, different states:\n%s", diff)
	}
	if diff := cmp.Diff(before, tl.state, cmp.AllowUnexported(rec{})); diff != "" {
		t.Errorf("Decide modified its input state:\n%s", diff)
	}
}

func TestMaxAndMinClamp(t *testing.T) {
	cfg := testConfig()
	tl := newTimeline(t, cfg, map[string]int{"router": 0, "api": 0, "api-canary": 0})
	d := tl.tick(full(1e9), time.Second)
	expectDecision(t, d, nil, map[string]int{"router": 100, "api": 200, "api-canary": 50})
	if !strings.Contains(d.Services["api"].Reason, "capped at max 200") {
		t.Errorf("reason %q does not say it was capped", d.Services["api"].Reason)
	}
	tl = newTimeline(t, cfg, map[string]int{"router": 0, "api": 0, "api-canary": 0})
	d = tl.tick(Load{Known: 3}, time.Second) // no data: the minimum still applies
	expectDecision(t, d, nil, map[string]int{"router": 1, "api": 2, "api-canary": 1})
}

func anyDown(d Decision) bool {
	for _, s := range d.Services {
		if s.Direction == Down {
			return true
		}
	}
	return false
}

func TestZeroStabilizationDoesNotFlap(t *testing.T) {
	cfg := testConfig()
	cfg.Stabilization, cfg.ScaleInCooldown, cfg.ScaleInInterval = 0, 0, 0
	tl := newTimeline(t, cfg, map[string]int{"router": 10, "api": 40, "api-canary": 4})
	tl.steady(10000, 2*time.Minute, time.Second) // wants api 36
	downs, ups := 0, 0
	for range 1200 {
		d := tl.tick(full(10000), time.Second)
		switch d.Services["api"].Direction {
		case Down:
			downs++
		case Up:
			ups++
		}
	}
	if ups != 0 || downs > 1 || tl.desired("api") != 36 {
		t.Errorf("constant load with a zero stabilisation window: %d ups, %d downs, api at %d; want it to settle at 36", ups, downs, tl.desired("api"))
	}
}

func TestSurgeFromAnIdleBaseline(t *testing.T) {
	tl := newTimeline(t, testConfig(), map[string]int{"router": 1, "api": 2, "api-canary": 1})
	tl.steady(0, 6*time.Minute, time.Second)
	d := tl.tick(full(5000), time.Second)
	if d.Mode != ModeSurge || anyDown(d) || d.Services["api"].Direction != Up {
		t.Errorf("the first tick at 5000 rps after an idle baseline: %s", describe(d))
	}
}

func TestAJumpNeverLetsAScaleInThrough(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	cfg.SurgeMinRPS = 1e9 // no surge mode: steady sizing alone must hold
	tl := newTimeline(t, cfg, map[string]int{"router": 3, "api": 20, "api-canary": 2})
	tl.steady(100, 6*time.Minute, time.Second)
	// Wait for a scale-in step, then jump exactly when the next step falls due.
	for tl.last.Services["api"].Direction != Down {
		tl.tick(full(100), time.Second)
	}
	for range int(cfg.ScaleInInterval/time.Second) - 1 {
		tl.tick(full(100), time.Second)
	}
	before := tl.desired("api")
	d := tl.tick(full(5000), time.Second) // the 10 s mean still dilutes this jump
	if d.Services["api"].Direction == Down || tl.desired("api") < before {
		t.Errorf("scaled in on the tick the load jumped to 5000 rps: %s", describe(d))
	}
}
