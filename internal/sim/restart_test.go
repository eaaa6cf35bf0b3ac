package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/policy"
)

// stepFastscaler runs the fastscaler policy alone on tr, second by second, calling each(sec, c) after every step.
func stepFastscaler(t *testing.T, cfg Config, tr Trace, each func(sec int, c *fastscaler)) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w := newWorld(&cfg, &tr, cfg.Seed)
	c := newFastscaler(&cfg, &tr)
	c.init(w)
	for sec := range tr.RPS {
		w.applyFloors(sec)
		w.serve(sec)
		c.step(w, sec)
		each(sec, c)
	}
}

// TestRestartDropsStateAndRatesNeedTwoPolls: 150 rps on 2 routers of 100, polled every 2 s (at 1, 3, 5, ... s); a
// restart at 300 s (between two polls) polls at once, at 300 s, with a fresh tracker: every router answers for the
// first time, so no rate yet (warm-up, counts held); the next poll, 2 s later, has rates again. The policy's State
// starts again at the restart.
func TestRestartDropsStateAndRatesNeedTwoPolls(t *testing.T) {
	cfg := handConfig(t, "router:100")
	cfg.RestartAt = []time.Duration{300 * time.Second}
	modes := map[int]policy.Mode{}
	var started time.Time
	stepFastscaler(t, cfg, steps(400, 0, 150, 150), func(sec int, c *fastscaler) {
		modes[sec+1] = c.last.Mode
		if sec+1 == 300 {
			started = c.state.Started
			if !slices.Equal(c.restarted, []time.Duration{300 * time.Second}) {
				t.Errorf("restarted %v, want [300s]", c.restarted)
			}
		}
	})
	if modes[299] == policy.ModeWarmup || modes[300] != policy.ModeWarmup || modes[302] == policy.ModeWarmup || modes[302] == policy.ModeNoData {
		t.Errorf("modes at 299/300/302 s: %s/%s/%s; want data, warm-up at the restart, data again one poll later",
			modes[299], modes[300], modes[302])
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(300 * time.Second); !started.Equal(want) {
		t.Errorf("state after the restart started at %v, want %v", started, want)
	}
}

// TestRestartKeepsTheDurableLastScaleOut: 50 rps on one router of 100 for 5 minutes, then 400: fastscaler scales
// out (at once, and again when its new routers serve). It restarts at 420 s: its State (and the scale-outs it
// remembered) is gone, but the service's last-scale-out tag is not, so once rates are back (one poll later) it is
// in its 10-minute scale-in cooldown. Without the tag (a mutation: the tag lost too) it would not be.
func TestRestartKeepsTheDurableLastScaleOut(t *testing.T) {
	for _, keepTag := range []bool{true, false} {
		cfg := handConfig(t, "router:100")
		cfg.RestartAt = []time.Duration{420 * time.Second}
		// A cold restart (no CloudWatch history): only the tag can carry the cooldown over.
		cfg.WarmStart = func(time.Time, []policy.Point) policy.State { return policy.State{} }
		var mode policy.Mode
		var tag time.Time
		stepFastscaler(t, cfg, steps(600, 300, 50, 400), func(sec int, c *fastscaler) {
			if sec+1 == 419 {
				tag = c.lastUp["router"]
				if !keepTag {
					c.lastUp = map[string]time.Time{}
				}
			}
			if sec+1 == 422 {
				mode = c.last.Mode
			}
		})
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if tag.Before(base.Add(300*time.Second)) || !tag.Before(base.Add(419*time.Second)) {
			t.Fatalf("last scale-out tag %v, want after the jump at 300 s", tag.Sub(base))
		}
		if got := mode == policy.ModeCooldown; got != keepTag {
			t.Errorf("tag kept %v: mode at 422 s %q, want cooldown %v", keepTag, mode, keepTag)
		}
	}
}

// TestWarmStartHookGetsWhatWasPublished: the hook is called once, at the restart, with the load of every tick with
// valid data before it; the State it returns is the one the policy continues from.
func TestWarmStartHookGetsWhatWasPublished(t *testing.T) {
	cfg := handConfig(t, "router:100")
	cfg.RestartAt = []time.Duration{200 * time.Second}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var calls []time.Time
	var got []policy.Point
	sentinel := base.Add(-time.Hour)
	cfg.WarmStart = func(at time.Time, published []policy.Point) policy.State {
		calls = append(calls, at)
		got = published
		return policy.State{Started: sentinel}
	}
	var started time.Time
	stepFastscaler(t, cfg, steps(300, 0, 80, 80), func(sec int, c *fastscaler) {
		started = c.state.Started
	})
	if len(calls) != 1 || !calls[0].Equal(base.Add(200*time.Second)) {
		t.Fatalf("hook called at %v, want once at 200 s", calls)
	}
	// Polls every 2 s from 1 s; the first has no rate yet: 3, 5, ..., 199 s.
	if len(got) != 99 || !got[0].At.Equal(base.Add(3*time.Second)) || !got[len(got)-1].At.Equal(base.Add(199*time.Second)) {
		t.Fatalf("%d points published, %v to %v; want 99, 3 s to 199 s", len(got), got[0].At.Sub(base), got[len(got)-1].At.Sub(base))
	}
	for _, p := range got {
		if p.RPS < 75 || p.RPS > 85 {
			t.Errorf("published %v at %v, want ≈ 80 rps", p.RPS, p.At.Sub(base))
		}
	}
	if !started.Equal(sentinel) {
		t.Errorf("the policy went on from a State started at %v, not the hook's", started)
	}
}

// TestRestartOnlyTouchesFastscaler: the other policies' runs do not change; fastscaler's result lists the restarts.
func TestRestartOnlyTouchesFastscaler(t *testing.T) {
	cfg := handConfig(t, "router:1000,api:250,api-canary:250", PolicyFastscaler, PolicyTargetTracking, PolicyOracle)
	tr, _ := Scenario("double", 1)
	plain := runHand(t, cfg, tr)
	cfg.RestartAt = []time.Duration{11 * time.Minute, 10 * time.Minute}
	restarted := runHand(t, cfg, tr)
	if got := restarted[PolicyFastscaler].Restarts; !slices.Equal(got, []time.Duration{10 * time.Minute, 11 * time.Minute}) {
		t.Errorf("restarts %v, want [10m 11m]", got)
	}
	for _, p := range []string{PolicyTargetTracking, PolicyOracle} {
		a, b := restarted[p].Summary, plain[p].Summary
		if *a.FirstScaleOutSecs != *b.FirstScaleOutSecs {
			t.Errorf("%s: first scale-out %v vs %v", p, *a.FirstScaleOutSecs, *b.FirstScaleOutSecs)
		}
		a.FirstScaleOutSecs, b.FirstScaleOutSecs = nil, nil
		if a != b || restarted[p].Restarts != nil {
			t.Errorf("%s changed with a fastscaler restart: %+v vs %+v", p, restarted[p].Summary, plain[p].Summary)
		}
	}
	cfg.RestartAt = []time.Duration{tr.Duration()}
	if _, err := Run(cfg, tr); err == nil {
		t.Error("a restart after the trace was accepted")
	}
	cfg.RestartAt = []time.Duration{-time.Second}
	if _, err := Run(cfg, tr); err == nil {
		t.Error("a negative restart was accepted")
	}
}
