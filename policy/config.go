package policy

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Derived windows: not knobs of their own, they follow the poll interval and the baseline window.
const (
	// DefaultPollInterval is the poll interval DefaultConfig's windows are derived for.
	DefaultPollInterval = 2 * time.Second
	// maxMinBaseline caps how long a baseline must span before surges are detected.
	maxMinBaseline = 30 * time.Second
)

// Censored demand: routers at their ceiling serve less than is asked of them, so the rate they report is a lower
// bound of the demand, not the demand.
const (
	// CeilingFactor is a router task's saturation relative to its capacity: capacity is defined at the target
	// utilisation (70% CPU), so a task saturates at capacity × 100/70.
	CeilingFactor = 100.0 / 70
	// CensoredGrowth: while the routers are at their ceiling, the demand is taken to be this multiple of what they
	// serve (Knative's panic mode doubles), or the surge's own projection if larger. Each step is bounded: the
	// served rate grows only when new routers serve, so the estimate doubles once per router start, not per tick.
	CensoredGrowth = 2.0
)

// MaxScaleOutReadAge is how old a service's read from ECS may be for a scale-out decided from it: when the re-read
// just before UpdateService fails (ECS throttling or slow), the scale-out goes ahead from a read no older than
// this (3 refresh intervals). The risk it takes, and documents: a count someone else raised within that window,
// while ECS answered no read, is set to the scale-out's count, which may be lower. fastscaler's own raises are
// never undone this way (the lanes remember them). Scale-in always needs a fresh read.
const MaxScaleOutReadAge = 15 * time.Second

// ServiceConfig says how one ECS service is sized from the router's request rate.
type ServiceConfig struct {
	Capacity float64 // requests/s one task serves at target utilisation
	Weight   float64 // percent of router requests that reach this service (0–100)
	Min      int     // never fewer tasks
	Max      int     // never more tasks
}

// Config holds every tunable of Decide.
type Config struct {
	Services map[string]ServiceConfig
	// Router names the router service in Services, whose saturation censors the measured load ("": not scaled).
	Router string
	Tuning // the knobs (knobs.go)

	ShortWindow time.Duration // surge detection: mean rate over the last 2–3 polls (SetPollInterval)
	MinBaseline time.Duration // no surge detection until the baseline spans this long (SetPollInterval)
}

// Tuning holds the knobs of Decide; each is declared, with its variable, default and bounds, in Knobs.
type Tuning struct {
	SurgeRatio     float64       // short-window rate ≥ SurgeRatio × baseline starts a surge ...
	SurgeMinRPS    float64       // ... if the short-window rate is also at least this many requests/s
	LeadTime       time.Duration // a surge is sized for the load projected this far ahead
	MaxProjection  float64       // the projection is capped at this multiple of the current rate ...
	MaxSurgeFactor float64       // ... and at this multiple of the baseline the surge started from
	SteadyWindow   time.Duration // steady sizing: mean rate over this window
	SlopeWindow    time.Duration // the load's slope is fitted over this window
	BaselineWindow time.Duration // baseline: mean rate over this window, before the short window
	SurgeHold      time.Duration // surge mode lasts this long after its condition last held
	Confirm        time.Duration // a new surge, or a load over capacity outside one, must hold this long to count

	Tolerance       float64       // no scale-out while load is within this fraction of capacity
	ScaleInCooldown time.Duration // no scale-in until this long after the last scale-out or floor end
	Stabilization   time.Duration // scale-in goes to the highest recommendation over this window
	ScaleInStep     float64       // a scale-in step removes at most this fraction of the tasks (at least 1)
	ScaleInInterval time.Duration // at least this long between scale-in steps of a service
	MinCoverage     float64       // scale-in needs this fraction of router tasks reporting

	CeilingNear float64 // routers serving this fraction of their saturation per task are at their ceiling
}

// DefaultTuning returns every knob at its declared default.
func DefaultTuning() Tuning {
	var t Tuning
	for _, k := range Knobs() {
		if err := k.SetDefault(&t); err != nil {
			panic(fmt.Sprintf("policy: the declared default of %s does not parse: %v", k.Var, err)) // a bug in Knobs, caught by every test
		}
	}
	return t
}

// DefaultConfig returns a Config with every default, windows for DefaultPollInterval, and no services.
func DefaultConfig() Config {
	c := Config{Services: map[string]ServiceConfig{}, Tuning: DefaultTuning()}
	c.SetPollInterval(DefaultPollInterval)
	return c
}

// SetPollInterval derives the windows that follow the poll interval: the short window spans the last two polls,
// so a surge is seen within two polls of crossing the ratio; a baseline must span half its window (at most 30 s).
func (c *Config) SetPollInterval(poll time.Duration) {
	c.ShortWindow = poll * 3 / 2
	c.MinBaseline = min(maxMinBaseline, c.BaselineWindow/2)
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(c.Services) == 0 {
		bad("no services to scale")
	}
	for _, name := range c.ServiceNames() {
		s := c.Services[name]
		if !(s.Capacity > 0) {
			bad("service %s: capacity %v must be > 0", name, s.Capacity)
		}
		if !(s.Weight >= 0 && s.Weight <= 100) {
			bad("service %s: weight %v must be within 0–100", name, s.Weight)
		}
		if s.Min < 0 {
			bad("service %s: min %d must be ≥ 0", name, s.Min)
		}
		if s.Max < 1 {
			bad("service %s: max %d must be ≥ 1", name, s.Max)
		}
		if s.Min > s.Max {
			bad("service %s: min %d exceeds max %d", name, s.Min, s.Max)
		}
	}
	for _, k := range Knobs() {
		if err := k.Check(c.Tuning); err != nil {
			bad("%s (%s): %v", k.Var, k.Meaning, err)
		}
	}
	if c.ShortWindow <= 0 {
		bad("short window %v must be > 0", c.ShortWindow)
	}
	if c.MinBaseline < 0 {
		bad("min baseline %v must be ≥ 0", c.MinBaseline)
	}
	if c.BaselineWindow > 0 && c.BaselineWindow <= c.ShortWindow {
		bad("baseline window %v must be longer than the short window %v", c.BaselineWindow, c.ShortWindow)
	}
	if c.MinBaseline > c.BaselineWindow-c.ShortWindow {
		bad("min baseline %v cannot exceed baseline window minus short window (%v)", c.MinBaseline, c.BaselineWindow-c.ShortWindow)
	}
	return errors.Join(errs...)
}

// ServiceNames returns the configured services in sorted order, the order decisions are made and logged in.
func (c Config) ServiceNames() []string {
	names := make([]string, 0, len(c.Services))
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// historySpan is how much load history Decide keeps.
func (c Config) historySpan() time.Duration {
	return max(c.BaselineWindow, c.SlopeWindow, c.SteadyWindow, c.ShortWindow)
}
