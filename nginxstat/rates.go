package nginxstat

import (
	"sort"
	"time"

	"github.com/fastscaler/fastscaler/policy"
)

// Status says whether a target's sample yielded rates this cycle.
type Status string

// Statuses of a target in a Snapshot. Only StatusOK contributes rates; every other status is missing data.
const (
	StatusOK     Status = "ok"     // two consecutive good samples: rates are valid
	StatusFirst  Status = "first"  // first good sample (or first after a gap): gauges valid, rates need one more
	StatusReset  Status = "reset"  // a counter went down: nginx restarted, rates start again next cycle
	StatusStale  Status = "stale"  // the previous good sample is too old to turn into a current rate
	StatusFailed Status = "failed" // the fetch or parse failed
	StatusFrozen Status = "frozen" // the request counter did not move, though our own poll is a request
	StatusClock  Status = "clock"  // the sample is not later than the previous one
	// StatusImplausible marks a rate no router task can serve (see Snapshot.Screen): a corrupt or wrapped counter.
	StatusImplausible Status = "implausible"
)

// Rates are what one target did between two consecutive samples, net of the poller's own request.
type Rates struct {
	RequestsPerSec float64 // Δrequests/Δt
	AcceptsPerSec  float64 // Δaccepts/Δt: new client connections
	InFlight       int64   // reading+writing, minus the poll's own request
	Active         int64   // open connections, minus the poll's own
	Waiting        int64   // idle keep-alive connections
	Dropped        int64   // accepts−handled since nginx started: connections nginx could not handle
	DroppedPerSec  float64 // Δ(accepts−handled)/Δt: connections nginx could not handle, per second (at its ceiling)
}

// TargetState is one target's part of a Snapshot.
type TargetState struct {
	Target Target
	Status Status
	Rates  Rates // rates valid only when Status is StatusOK; gauges also for StatusFirst and StatusReset
	Err    error // why the target is missing, for StatusFailed and StatusImplausible
	New    bool  // answered for the first time, with no clients: not serving traffic yet
}

// Snapshot aggregates one poll cycle over all known targets.
type Snapshot struct {
	At        time.Time
	Known     int // targets polled
	Fetched   int // targets that answered with a valid page (gauges available)
	Reporting int // targets with valid rates (StatusOK)
	New       int // targets that answered for the first time with no clients: not serving traffic yet
	Targets   []TargetState

	// Sums over reporting targets (rates) or fetched targets (gauges). They cover only part of the fleet when
	// Reporting < Known; see Coverage.
	RequestsPerSec float64
	AcceptsPerSec  float64
	DroppedPerSec  float64
	InFlight       int64
	Active         int64
	Waiting        int64
	Dropped        int64
}

// Serving is the number of targets that carry (or may carry) traffic: every known target but the new ones.
func (s Snapshot) Serving() int { return s.Known - s.New }

// Load turns a poll cycle into the policy's view of the router load. Router tasks ECS counts as running but not
// polled yet (discovery lags) are known and not serving: they lower coverage, blocking scale-in, without inflating
// the extrapolated load. The daemon and the simulator both use it, so both see load the same way.
func (s Snapshot) Load(routerRunning int) policy.Load {
	return policy.Load{
		RequestsPerSec: s.RequestsPerSec,
		Reporting:      s.Reporting,
		Known:          max(s.Known, routerRunning),
		Serving:        s.Serving(),
		DroppedPerSec:  s.DroppedPerSec,
	}
}

// Coverage is the fraction of known targets that reported valid rates (0 when none are known).
func (s Snapshot) Coverage() float64 {
	if s.Known == 0 {
		return 0
	}
	return float64(s.Reporting) / float64(s.Known)
}

// Tracker turns successive poll cycles into rates. It remembers the last good sample of each target.
// It is not safe for concurrent use.
type Tracker struct {
	staleAfter time.Duration
	prev       map[string]Sample
}

// NewTracker returns a Tracker that refuses to compute a rate across a gap longer than staleAfter (e.g. a few poll
// intervals): such a rate would average away exactly the surge we are looking for.
func NewTracker(staleAfter time.Duration) *Tracker {
	return &Tracker{staleAfter: staleAfter, prev: make(map[string]Sample)}
}

// Observe folds one poll cycle into the tracker and returns the cycle's snapshot. Targets absent from samples are
// forgotten. at is the cycle's time.
func (t *Tracker) Observe(at time.Time, samples []Sample) Snapshot {
	snap := Snapshot{At: at, Known: len(samples), Targets: make([]TargetState, 0, len(samples))}
	seen := make(map[string]struct{}, len(samples))
	for _, s := range samples {
		seen[s.Target.ID] = struct{}{}
		prev, hadPrev := t.prev[s.Target.ID]
		st := Derive(prev, hadPrev, s, t.staleAfter)
		// A target is new (not known to serve) only when it answered for the first time and shows no clients: a
		// task that just started and that the NLB does not send traffic to yet. A target that fails from the start
		// may well carry traffic we cannot see, so it counts as serving (its load is extrapolated), and a first
		// answer that shows clients serves already.
		st.New = !hadPrev && st.Status == StatusFirst && st.Rates.Active == 0
		if st.New {
			snap.New++
		}
		if s.Err == nil && st.Status != StatusClock {
			t.prev[s.Target.ID] = s
		}
		snap.Targets = append(snap.Targets, st)
		if st.Status == StatusFailed || st.Status == StatusClock || st.Status == StatusFrozen {
			continue
		}
		snap.Fetched++
		snap.InFlight += st.Rates.InFlight
		snap.Active += st.Rates.Active
		snap.Waiting += st.Rates.Waiting
		snap.Dropped += st.Rates.Dropped
		if st.Status == StatusOK {
			snap.Reporting++
			snap.RequestsPerSec += st.Rates.RequestsPerSec
			snap.AcceptsPerSec += st.Rates.AcceptsPerSec
			snap.DroppedPerSec += st.Rates.DroppedPerSec
		}
	}
	for id := range t.prev {
		if _, ok := seen[id]; !ok {
			delete(t.prev, id)
		}
	}
	sort.Slice(snap.Targets, func(i, j int) bool { return snap.Targets[i].Target.ID < snap.Targets[j].Target.ID })
	return snap
}

// Derive computes a target's state from its previous good sample (if any) and the current sample. It is pure.
func Derive(prev Sample, hadPrev bool, cur Sample, staleAfter time.Duration) TargetState {
	st := TargetState{Target: cur.Target}
	if cur.Err != nil {
		st.Status, st.Err = StatusFailed, cur.Err
		return st
	}
	c := cur.Stats
	st.Rates = Rates{
		InFlight: max(0, c.Reading+c.Writing-1),
		Active:   max(0, c.Active-1),
		Waiting:  c.Waiting,
		Dropped:  c.Accepts - c.Handled,
	}
	switch {
	case !hadPrev:
		st.Status = StatusFirst
		return st
	case !cur.At.After(prev.At):
		st.Status = StatusClock
		return st
	case staleAfter > 0 && cur.At.Sub(prev.At) > staleAfter:
		st.Status = StatusStale
		return st
	}
	p := prev.Stats
	if c.Requests < p.Requests || c.Accepts < p.Accepts || c.Handled < p.Handled {
		st.Status = StatusReset
		return st
	}
	if c.Requests == p.Requests {
		// Our own poll is a request, so a live nginx always moves the counter: a page that does not is a copy, a
		// cache or another process, and reading it as zero load would invite a scale-in.
		st.Status = StatusFrozen
		return st
	}
	dt := cur.At.Sub(prev.At).Seconds()
	// The poll that read cur is itself one request, counted between the two samples.
	st.Rates.RequestsPerSec = float64(max(0, c.Requests-p.Requests-1)) / dt
	st.Rates.AcceptsPerSec = float64(c.Accepts-p.Accepts) / dt
	st.Rates.DroppedPerSec = float64(max(0, (c.Accepts-c.Handled)-(p.Accepts-p.Handled))) / dt
	st.Status = StatusOK
	return st
}
