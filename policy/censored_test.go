package policy

import (
	"strings"
	"testing"
	"time"
)

// saturated is n routers serving perTask each (1,428: their saturation, 1,000 rps of capacity × 100/70).
func saturated(perTask float64, n int) Load {
	return Load{RequestsPerSec: perTask * float64(n), Reporting: n, Known: n, Serving: n}
}

// routerTimeline is a timeline of cfg with a router service ("router", 2 tasks) whose windows are full at 1,000 rps.
func routerTimeline(t *testing.T, cfg Config) *timeline {
	t.Helper()
	cfg.Router = "router"
	tl := newTimeline(t, cfg, map[string]int{"router": 2, "api": 4, "api-canary": 1})
	tl.steady(1000, 6*time.Minute, time.Second)
	return tl
}

func TestCensoredDemandDoublesPerRouterStart(t *testing.T) {
	tl := routerTimeline(t, testConfig()) // 1,000 rps over 2 routers
	// The routers saturate: they serve 2 × 1,428 whatever the demand is.
	var d Decision
	for range 5 {
		d = tl.tick(saturated(1428, 2), time.Second)
	}
	if d.Censored == "" || !strings.Contains(d.Reason, "ceiling") {
		t.Fatalf("no censoring at saturation: %q", d.Reason)
	}
	// 2 × 2,856 rps: 6 routers, ⌈5,712 × 0.9 / 250⌉ = 21 api tasks.
	if got := tl.desired("router"); got != 6 {
		t.Errorf("router desired %d at the ceiling, want 6 (twice what 2 saturated routers serve)", got)
	}
	if got := tl.desired("api"); got != 21 {
		t.Errorf("api desired %d, want 21", got)
	}
	// The new routers are not serving yet: the estimate does not grow tick after tick.
	for range 60 {
		tl.tick(saturated(1428, 2), time.Second)
	}
	if got := tl.desired("router"); got != 6 {
		t.Errorf("router desired %d after a minute at the same ceiling, want 6 still (one doubling per router start)", got)
	}
	// Six routers serve, still at their ceiling: the next doubling.
	tl.tick(Load{RequestsPerSec: 6 * 1428, Reporting: 6, Known: 6, Serving: 6}, time.Second)
	tl.tick(Load{RequestsPerSec: 6 * 1428, Reporting: 6, Known: 6, Serving: 6}, time.Second)
	if got := tl.desired("router"); got != 18 {
		t.Errorf("router desired %d with 6 routers saturated, want 18", got)
	}
}

func TestDroppedConnectionsMeanCeiling(t *testing.T) {
	tl := routerTimeline(t, testConfig())
	l := saturated(1300, 2) // 91% of saturation: below the rate rule's 98%
	l.DroppedPerSec = 200   // over 5% of the 2,600 rps served
	d := tl.tick(l, time.Second)
	if !strings.Contains(d.Censored, "drops 200 connections/s") {
		t.Errorf("censored %q with nginx dropping connections, want it said", d.Censored)
	}
}

func TestBelowTheCeilingIsNotCensored(t *testing.T) {
	tl := routerTimeline(t, testConfig())
	for range 10 {
		if d := tl.tick(saturated(1300, 2), time.Second); d.Censored != "" {
			t.Fatalf("censored at 91%% of saturation: %q", d.Censored)
		}
	}
	tl = newTimeline(t, testConfig(), map[string]int{"router": 2, "api": 4, "api-canary": 1}) // no router service
	if d := tl.tick(saturated(1428, 2), time.Second); d.Censored != "" {
		t.Errorf("censored without a router service configured: %q", d.Censored)
	}
}

func TestFewDroppedConnectionsAreNoCeiling(t *testing.T) {
	tl := routerTimeline(t, testConfig())
	for _, l := range []Load{
		{RequestsPerSec: 1200, Reporting: 2, Known: 2, Serving: 2, DroppedPerSec: 500}, // far below the ceiling
		{RequestsPerSec: 2600, Reporting: 2, Known: 2, Serving: 2, DroppedPerSec: 20},  // a trickle of drops
	} {
		if d := tl.tick(l, time.Second); d.Censored != "" {
			t.Errorf("censored with %+v: %q", l, d.Censored)
		}
	}
}

// A new leader paces its scale-in by the last step recorded in the tags, not only by its own memory: a takeover
// never doubles the pace.
func TestRecordedScaleInPacesTheNextStep(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleInCooldown = 0
	tl := newTimeline(t, cfg, map[string]int{"router": 2, "api": 20, "api-canary": 1})
	tl.steady(100, 6*time.Minute, time.Second)
	s := tl.services["api"]
	s.Desired, s.LastScaleIn = 20, tl.now.Add(-30*time.Second)
	tl.services["api"] = s
	tl.state.LastScaleIn = nil // a new leader's memory
	d := tl.tick(full(100), time.Second)
	if d.Services["api"].Direction == Down || !strings.Contains(d.Services["api"].Reason, "next scale-in step in") {
		t.Errorf("api %s (%s) 30 s after a recorded scale-in step, want the interval held", d.Services["api"].Direction, d.Services["api"].Reason)
	}
}

// TestCeilingNearIsAKnob: FASTSCALER_CEILING_NEAR moves where a busy fleet counts as saturated.
func TestCeilingNearIsAKnob(t *testing.T) {
	for _, tt := range []struct {
		near     float64
		censored bool
	}{{0.98, false}, {0.9, true}} {
		cfg := testConfig()
		cfg.CeilingNear = tt.near
		tl := routerTimeline(t, cfg)
		var d Decision
		for range 5 {
			d = tl.tick(saturated(1350, 2), time.Second) // 94.5% of saturation
		}
		if got := d.Censored != ""; got != tt.censored {
			t.Errorf("ceiling near %v: censored %v (%q), want %v", tt.near, got, d.Censored, tt.censored)
		}
	}
}
