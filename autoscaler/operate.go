package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

// The operator's workflows, as the CLI runs them: pre-scale floors (set, end) and pauses (pause, resume). Each
// takes the services as just read, writes through the seam, and returns what it did as values for the caller
// to render; the rules about what may change live here and in package durable, not in the commands.

// FloorWriter is what setting a floor needs of ECS: the desired count and the tags. *ECS and every Cloud satisfy it.
type FloorWriter interface {
	SetDesired(ctx context.Context, service string, desired int) (Service, error)
	Tagger
}

// FloorStep is what a prescale does to one service, as planned before any change.
type FloorStep struct {
	Service  Service         // as read before any change
	Floor    int             // the new floor
	Replaces *durable.Floor  // the floor in force it replaces; nil: none
	Target   *ScalableTarget // its scalable target, when it has one that was looked up
}

// FloorPlan is a checked prescale: one floor per service, all until the same time.
type FloorPlan struct {
	Until  time.Time
	Reason string
	Steps  []FloorStep // in service-name order
}

// FloorConflict refuses a floor that would lower or shorten the floor in force on a service, when it is not
// replaced on purpose.
type FloorConflict struct {
	Service string
	Active  durable.Floor // the floor in force
	Floor   int           // the floor asked for ...
	Until   time.Time     // ... and its end
	Now     time.Time
}

// Error shows the floor in force and what the new one would do to it.
func (c FloorConflict) Error() string {
	var what []string
	if c.Floor < c.Active.Count {
		what = append(what, fmt.Sprintf("lower it by %d", c.Active.Count-c.Floor))
	}
	until := c.Until.UTC().Truncate(time.Second) // as the tag would hold it
	if d := c.Active.Until.Sub(until); d > 0 {
		what = append(what, fmt.Sprintf("end it %s earlier", FormatSpan(d)))
	}
	reason := ""
	if c.Active.Reason != "" {
		reason = fmt.Sprintf(", reason %q", c.Active.Reason)
	}
	return fmt.Sprintf("%s has a floor of %d in force until %s (%s left%s); %s=%d until %s would %s",
		c.Service, c.Active.Count, c.Active.Until.UTC().Format(time.RFC3339), FormatSpan(c.Active.Until.Sub(c.Now)), reason,
		c.Service, c.Floor, until.Format(time.RFC3339), strings.Join(what, " and "))
}

// PlanFloors checks a prescale of floors (service → count) until until against the services as read (current,
// every one of them present) and their scalable targets (nil: none looked up), before anything changes. It
// refuses, naming every culprit: a floor above its scalable target's MaxCapacity, and a floor that would lower
// or shorten the floor in force (a FloorConflict) unless replace is set. A floor as high and as long, or higher
// or longer, replaces the one in force without replace.
func PlanFloors(floors map[string]int, until time.Time, reason string, replace bool, current map[string]Service,
	targets map[string]ScalableTarget, now time.Time) (FloorPlan, error) {
	plan := FloorPlan{Until: until, Reason: reason}
	var errs []error
	for _, name := range sortedCounts(floors) {
		s, ok := current[name]
		if !ok {
			errs = append(errs, fmt.Errorf("service %s was not read", name))
			continue
		}
		step := FloorStep{Service: s, Floor: floors[name]}
		if t, ok := targets[name]; ok {
			step.Target = &t
			if step.Floor > t.Max {
				errs = append(errs, fmt.Errorf("%s=%d is above the MaxCapacity %d of its Application Auto Scaling target: raise MaxCapacity first", name, step.Floor, t.Max))
			}
		}
		if active, ok := s.Durable.FloorAt(now); ok {
			step.Replaces = &active
			asked := durable.Floor{Count: step.Floor, Until: until}
			if !replace && !asked.Covers(active) {
				errs = append(errs, FloorConflict{Service: name, Active: active, Floor: step.Floor, Until: until, Now: now})
			}
		}
		plan.Steps = append(plan.Steps, step)
	}
	return plan, errors.Join(errs...)
}

// FloorProgress is how far a prescale got on one service.
type FloorProgress int

// How far a prescale got on a service, in the order it goes.
const (
	FloorNotSet    FloorProgress = iota // nothing changed
	FloorRecorded                       // the floor's tags are written: the daemon holds it from now
	FloorRaised                         // and the desired count is at least the floor
	FloorMinRaised                      // and the scalable target's MinCapacity too (or it needs no raise): done
)

// FloorResult is what a prescale did to one service.
type FloorResult struct {
	FloorStep
	Desired  int           // the desired count afterwards
	Progress FloorProgress // how far it got
	// MinFrom → MinTo is the MinCapacity raise made (MinTo 0: none); MinOwner is the owner's minimum it goes back
	// to as the daemon scales in.
	MinFrom, MinTo, MinOwner int
}

// SetFloors carries out a plan, service by service: the floor's tags first (from that moment the daemon does not
// scale below it), then the desired count, then the scalable target's MinCapacity (sc nil: no AAS mode). It stops
// at the first failure and returns the results so far, the failing service's last, with the error.
func SetFloors(ctx context.Context, w FloorWriter, sc Scaling, plan FloorPlan) ([]FloorResult, error) {
	var out []FloorResult
	for _, step := range plan.Steps {
		r, err := setFloor(ctx, w, sc, step, plan)
		out = append(out, r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func setFloor(ctx context.Context, w FloorWriter, sc Scaling, step FloorStep, plan FloorPlan) (FloorResult, error) {
	s := step.Service
	r := FloorResult{FloorStep: step, Desired: s.Desired}
	tags := durable.SetFloor(step.Floor, plan.Until, plan.Reason)
	if err := tags.Apply(ctx, w, s.ARN); err != nil {
		return r, err
	}
	r.Progress = FloorRecorded
	if s.Desired < step.Floor {
		u, err := w.SetDesired(ctx, s.Name, step.Floor)
		if err != nil {
			return r, fmt.Errorf("%w (the floor tag is set, so a running daemon raises it on its next tick)", err)
		}
		r.Desired = u.Desired
	}
	r.Progress = FloorRaised
	if sc != nil && step.Target != nil && step.Target.Min < step.Floor {
		m, err := moveMin(ctx, sc, w, minMove{service: s.Name, arn: s.ARN, record: s.Retagged(tags).Durable.AAS, want: step.Floor, raiseOnly: true})
		if err != nil {
			return r, fmt.Errorf("%w (the floor tag is set, so a running daemon raises MinCapacity on its next tick)", err)
		}
		if m.OK && m.Target.Min != step.Target.Min {
			r.MinFrom, r.MinTo, r.MinOwner = step.Target.Min, m.Target.Min, m.Owner
		}
	}
	r.Progress = FloorMinRaised
	return r, nil
}

// FloorEnd is what ending a floor did to one service.
type FloorEnd struct {
	Service string
	Count   int  // the floor that ended
	Removed bool // its tags were unreadable and are removed instead
}

// EndFloors ends the floors of the named services at now: each must have a floor in force, or floor tags too
// malformed to read (they are removed). A floor ends rather than vanishes, so the daemon counts its scale-in
// cooldown from its end. It stops at the first failure and returns what it ended so far.
func EndFloors(ctx context.Context, tg Tagger, current map[string]Service, names []string, now time.Time, reason string) ([]FloorEnd, error) {
	var errs []error
	for _, n := range names {
		d := current[n].Durable
		if _, active := d.FloorAt(now); !active && !d.FloorUnreadable {
			errs = append(errs, fmt.Errorf("%s has no active pre-scale floor", n))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []FloorEnd
	for _, n := range names {
		s := current[n]
		end := FloorEnd{Service: n, Count: s.Durable.FloorCount, Removed: s.Durable.FloorUnreadable}
		edit := durable.EndFloor(now, reason)
		if end.Removed {
			// An unreadable floor cannot be ended by a date: remove it (the daemon held the service meanwhile).
			edit = durable.RemoveFloor()
		}
		if err := edit.Apply(ctx, tg, s.ARN); err != nil {
			return out, err
		}
		out = append(out, end)
	}
	return out, nil
}

// PauseServices pauses the named services until until (zero: until resumed). It stops at the first failure and
// returns the services paused so far.
func PauseServices(ctx context.Context, tg Tagger, current map[string]Service, names []string, until time.Time, reason string) ([]string, error) {
	var done []string
	for _, n := range names {
		if err := durable.Pause(until, reason).Apply(ctx, tg, current[n].ARN); err != nil {
			return done, err
		}
		done = append(done, n)
	}
	return done, nil
}

// Resumed is what resuming did to one service.
type Resumed struct {
	Service   string
	WasPaused bool // false: nothing to do
}

// ResumeServices ends the pauses of the named services at now, restarting their scale-in cooldown (see
// durable.Resume). It stops at the first failure and returns what it did so far.
func ResumeServices(ctx context.Context, tg Tagger, current map[string]Service, names []string, now time.Time) ([]Resumed, error) {
	var out []Resumed
	for _, n := range names {
		s := current[n]
		if s.Durable.Paused {
			if err := durable.Resume(now).Apply(ctx, tg, s.ARN); err != nil {
				return out, err
			}
		}
		out = append(out, Resumed{Service: n, WasPaused: s.Durable.Paused})
	}
	return out, nil
}

// fmtSpan renders a span for people: 45m, 2h05m, 1d3h.
func FormatSpan(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "<1m"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 24:
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

func sortedCounts(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
