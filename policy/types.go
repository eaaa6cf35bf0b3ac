package policy

import "time"

// Mode is the daemon's scaling mode at one tick.
type Mode string

// Modes of a Decision; see the package documentation for the transitions.
const (
	ModeWarmup   Mode = "warmup"   // no valid load seen since start
	ModeNoData   Mode = "nodata"   // no valid load this tick: hold
	ModeSteady   Mode = "steady"   // size for the current load; scale in when allowed
	ModeSurge    Mode = "surge"    // size for the projected load; never scale in
	ModeCooldown Mode = "cooldown" // a recent scale-out or floor end blocks scale-in
)

// Direction says how a service's desired count changes.
type Direction string

// Directions of a ServiceDecision.
const (
	Hold Direction = "hold"
	Up   Direction = "up"
	Down Direction = "down"
)

// Load is this tick's request rate through the routers.
type Load struct {
	RequestsPerSec float64 // sum over the reporting router tasks only
	Reporting      int     // router tasks with a valid rate this tick
	Known          int     // router tasks that should report (coverage is Reporting/Known)
	Serving        int     // router tasks known to carry traffic: Known minus tasks that never reported yet
	// DroppedPerSec is the rate of connections the reporting routers accepted but could not handle (nginx at its
	// worker_connections): a router at its ceiling.
	DroppedPerSec float64
}

// Coverage is the fraction of known router tasks that reported.
func (l Load) Coverage() float64 {
	if l.Known <= 0 {
		return 0
	}
	return float64(l.Reporting) / float64(l.Known)
}

// Floor is a pre-scale floor: at least Count tasks until Until.
type Floor struct {
	Count int
	Until time.Time
}

// ActiveAt reports whether the floor holds at now.
func (f Floor) ActiveAt(now time.Time) bool { return f.Count > 0 && now.Before(f.Until) }

// ServiceState is what ECS and the durable tags say about one service now.
type ServiceState struct {
	Desired      int
	Running      int
	Pending      int
	Floor        Floor     // pre-scale floor (zero: none)
	Paused       bool      // automatic changes are paused
	LastScaleOut time.Time // the durable record of the last scale-out (zero: none)
	LastScaleIn  time.Time // the durable record of the last scale-in step (zero: none): paces a new leader
	Stale        bool      // this state could not be refreshed recently: never scale in from it
	// ReadAge is how old the read of this service from ECS is: a scale-out needs one within MaxScaleOutReadAge.
	ReadAge time.Duration
	// PauseEnded is when a timed pause that has expired ended (zero: none): the cooldown counts from it, so a count
	// an SRE set by hand during the pause is not cut at once.
	PauseEnded time.Time
	// Gone says why ECS does not report the service as ACTIVE (missing, INACTIVE); a gone service is left alone
	// until it is back. Empty: the service is there.
	Gone string
	// Busy says what the service's writes still in flight do (empty: none): it holds until they land.
	Busy string
	// Max, when > 0, is a maximum tighter than the configured one, e.g. a scalable target's MaxCapacity; MaxNote
	// says where it comes from.
	Max     int
	MaxNote string
	// OwnerMin, when > 0, is a minimum scale-in keeps besides the configured one, e.g. the minimum the owner of a
	// scalable target configured; OwnerMinNote says where it comes from.
	OwnerMin     int
	OwnerMinNote string
	// ScaleInHold, when not empty, refuses every scale-in of the service and says why (e.g. malformed durable
	// state, or Application Auto Scaling targets that could not be read). Scale-out is not affected.
	ScaleInHold string
}

// Input is everything Decide looks at besides its own State.
type Input struct {
	Load     Load
	Services map[string]ServiceState // a configured service missing here is left alone
}

// Point is one load sample in the history.
type Point struct {
	At  time.Time
	RPS float64
}

// rec is one recommended count, kept for scale-in stabilisation.
type rec struct {
	At    time.Time
	Count int
}

// State is what Decide remembers between ticks. The zero value is a fresh start. Decide never modifies the State
// it is given, so a caller may keep and replay old states.
type State struct {
	Started      time.Time            // first tick
	FirstData    time.Time            // first tick with valid load
	History      []Point              // extrapolated load of valid ticks, oldest first
	Recs         map[string][]rec     // per service: recommendations of valid ticks, oldest first
	LastScaleOut map[string]time.Time // per service
	LastScaleIn  map[string]time.Time // per service
	LastGap      time.Time            // last tick after FirstData with coverage below MinCoverage
	SurgeSince   time.Time            // start of the current surge (zero: none)
	SurgeBase    float64              // the baseline when the current surge started
	SurgeUntil   time.Time            // surge mode lasts until this time
	RiseSince    time.Time            // first tick of the current unbroken run of the surge condition (zero: none)
	OverSince    map[string]time.Time // per service: first tick of the current run of load over capacity
}

// ServiceDecision is the decision for one service.
type ServiceDecision struct {
	Current     int       // desired count before this tick
	Desired     int       // desired count after this tick
	Recommended int       // tasks the load calls for, before clamping and stabilisation
	Direction   Direction // Up, Down or Hold
	Reason      string
}

// Decision is the outcome of one tick.
type Decision struct {
	Mode      Mode
	Reason    string
	Load      float64 // request rate used for this tick (extrapolated to all known routers)
	Short     float64 // mean over the short window
	Steady    float64 // mean over the steady window
	Baseline  float64 // mean over the baseline window (0 until it spans MinBaseline)
	Slope     float64 // requests/s per second over the slope window
	Projected float64 // load sized for in surge mode (0 otherwise)
	// Censored says why the load is a lower bound of the demand (the routers at their ceiling); empty otherwise.
	Censored string
	// Pending says what rise is waiting for its confirmation (see Config.Confirm); empty otherwise.
	Pending  string
	Coverage float64 // fraction of router tasks reporting
	Services map[string]ServiceDecision
}

// Changed reports whether any service's desired count changes.
func (d Decision) Changed() bool {
	for _, s := range d.Services {
		if s.Direction != Hold {
			return true
		}
	}
	return false
}
