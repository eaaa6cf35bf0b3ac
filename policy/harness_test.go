package policy

import (
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

// timeline drives Decide tick by tick, applying each decision to the service states at once (as a fleet that
// accepts every UpdateService), so tests read as a script of load over time.
type timeline struct {
	t        *testing.T
	cfg      Config
	now      time.Time
	state    State
	services map[string]ServiceState
	last     Decision
}

func newTimeline(t *testing.T, cfg Config, desired map[string]int) *timeline {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	ss := map[string]ServiceState{}
	for n, d := range desired {
		ss[n] = ServiceState{Desired: d, Running: d}
	}
	return &timeline{t: t, cfg: cfg, now: epoch, services: ss}
}

// tick decides at the current time with the given load, applies the decision, then advances the clock by dt.
func (tl *timeline) tick(load Load, dt time.Duration) Decision {
	tl.t.Helper()
	d, st := Decide(tl.cfg, Input{Load: load, Services: tl.services}, tl.state, tl.now)
	tl.state = st
	for n, sd := range d.Services {
		if s, ok := tl.services[n]; ok && sd.Direction != Hold {
			s.Desired = sd.Desired
			tl.services[n] = s
		}
	}
	tl.last = d
	tl.now = tl.now.Add(dt)
	return d
}

// steady runs ticks every dt for total with a constant, fully reported load.
func (tl *timeline) steady(rps float64, total, dt time.Duration) Decision {
	tl.t.Helper()
	var d Decision
	for end := tl.now.Add(total); tl.now.Before(end); {
		d = tl.tick(full(rps), dt)
	}
	return d
}

func (tl *timeline) desired(name string) int { return tl.services[name].Desired }

func full(rps float64) Load { return Load{RequestsPerSec: rps, Reporting: 4, Known: 4, Serving: 4} }

// testConfig scales a router (1000 rps/task) and a stable/canary API pair (250 rps/task, 90/10 split).
func testConfig() Config {
	c := DefaultConfig()
	c.ShortWindow = 1500 * time.Millisecond // the last 2 polls at 1 s
	c.Services = map[string]ServiceConfig{
		"router":     {Capacity: 1000, Weight: 100, Min: 1, Max: 100},
		"api":        {Capacity: 250, Weight: 90, Min: 2, Max: 200},
		"api-canary": {Capacity: 250, Weight: 10, Min: 1, Max: 50},
	}
	return c
}
