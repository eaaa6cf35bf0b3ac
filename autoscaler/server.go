package autoscaler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/lease"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

// Status is the daemon's state as /status serves it.
type Status struct {
	Time        time.Time                `json:"time"`
	Cluster     string                   `json:"cluster"`
	DryRun      bool                     `json:"dry_run"`
	Mode        policy.Mode              `json:"mode"`
	Reason      string                   `json:"reason"`
	LoadRPS     float64                  `json:"load_rps"`
	ShortRPS    float64                  `json:"short_rps"`
	SteadyRPS   float64                  `json:"steady_rps"`
	BaseRPS     float64                  `json:"baseline_rps"`
	Slope       float64                  `json:"slope_rps_per_s"`
	Projected   float64                  `json:"projected_rps"`
	InFlight    int64                    `json:"in_flight"`
	Active      int64                    `json:"active_connections"`
	Waiting     int64                    `json:"waiting_connections"`
	Dropped     int64                    `json:"dropped_connections"`
	Targets     TargetsStatus            `json:"targets"`
	Services    map[string]ServiceStatus `json:"services"`
	LastChange  *ChangeStatus            `json:"last_change,omitempty"`
	CycleMillis int64                    `json:"cycle_ms"`
	AAS         *AASStatus               `json:"aas,omitempty"` // nil with FASTSCALER_AAS_MODE=off
	// Reads are the background read loops (services, discovery, aas_targets): last success, last error, backoff.
	Reads map[string]ReadStatus `json:"reads"`
	// Blind says why the daemon cannot see the routers (empty: it can); past BlindLimit /healthz answers 503.
	Blind string `json:"blind,omitempty"`
	// Role is "leader" or "standby" with a lease (FASTSCALER_LEASE_TABLE), "single" without one; Lease is its state.
	Role  string        `json:"role"`
	Lease *lease.Status `json:"lease,omitempty"`
}

// TargetsStatus summarises the router targets.
type TargetsStatus struct {
	Known     int            `json:"known"`
	Reporting int            `json:"reporting"`
	Missing   []TargetStatus `json:"missing,omitempty"`
}

// TargetStatus is one router target that did not report.
type TargetStatus struct {
	TaskID  string `json:"task_id"`
	Address string `json:"address"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
}

// ServiceStatus is one scaled service in /status.
type ServiceStatus struct {
	Desired      int        `json:"desired"`
	Running      int        `json:"running"`
	Pending      int        `json:"pending"`
	Recommended  int        `json:"recommended"`
	Direction    string     `json:"direction"`
	Reason       string     `json:"reason"`
	Floor        int        `json:"floor,omitempty"`
	FloorUntil   *time.Time `json:"floor_until,omitempty"`
	Paused       bool       `json:"paused"`
	PauseUntil   *time.Time `json:"pause_until,omitempty"`
	LastScaleOut *time.Time `json:"last_scale_out,omitempty"`
	// DurableStateError is the last failure to record durable state (the cooldown) in the service's tags.
	DurableStateError string `json:"durable_state_error,omitempty"`
	// Gone says why ECS does not report the service ACTIVE; it is left out of scaling until it does.
	Gone string `json:"gone,omitempty"`
	// Busy says what the service's writes still in flight do.
	Busy   string     `json:"busy,omitempty"`
	ReadAt *time.Time `json:"read_at,omitempty"` // when the service was last read from ECS
}

// ChangeStatus is the last tick that changed a count.
type ChangeStatus struct {
	Time     time.Time      `json:"time"`
	Mode     policy.Mode    `json:"mode"`
	Reason   string         `json:"reason"`
	Desired  map[string]int `json:"desired"`
	Previous map[string]int `json:"previous"`
}

// AASStatus is what /status says of AAS mode.
type AASStatus struct {
	Known       bool                      `json:"known"` // false: the targets could not be read recently, and scale-in holds
	LastLookup  *time.Time                `json:"last_lookup,omitempty"`
	LookupError string                    `json:"lookup_error,omitempty"`
	Targets     map[string]ScalableTarget `json:"targets"`
	Pending     map[string]int            `json:"pending_min_capacity,omitempty"` // moves that failed, being retried
	// Unrecorded are owner minimums kept only in memory: the tags that record them could not be written yet.
	Unrecorded map[string]int `json:"unrecorded_owner_min,omitempty"`
}

// ReadStatus is one background read loop in /status.
type ReadStatus struct {
	LastSuccess *time.Time `json:"last_success,omitempty"`
	Error       string     `json:"error,omitempty"` // of the last attempt
	Failures    int        `json:"consecutive_failures,omitempty"`
	NextTry     *time.Time `json:"next_try,omitempty"`
}

func readStatus[T any](r readState[T]) ReadStatus {
	rs := ReadStatus{Failures: r.Failures}
	if !r.At.IsZero() {
		rs.LastSuccess = ptr(r.At)
	}
	if r.Err != nil {
		rs.Error = r.Err.Error()
	}
	if !r.Next.IsZero() {
		rs.NextTry = ptr(r.Next)
	}
	return rs
}

func (d *Daemon) setStatus(now time.Time, services map[string]Service, snap nginxstat.Snapshot, in policy.Input, dec policy.Decision) {
	st := Status{
		Time: now, Cluster: d.cfg.Cluster, DryRun: d.cfg.DryRun, Mode: dec.Mode, Reason: dec.Reason,
		LoadRPS: round1(dec.Load), ShortRPS: round1(dec.Short), SteadyRPS: round1(dec.Steady), BaseRPS: round1(dec.Baseline),
		Slope: round1(dec.Slope), Projected: round1(dec.Projected), InFlight: snap.InFlight, Active: snap.Active,
		Waiting: snap.Waiting, Dropped: snap.Dropped,
		Targets:     TargetsStatus{Known: in.Load.Known, Reporting: snap.Reporting},
		Services:    map[string]ServiceStatus{},
		CycleMillis: d.clock.Now().Sub(now).Milliseconds(),
		Reads: map[string]ReadStatus{
			"services":  readStatus(d.refresh.Latest()),
			"discovery": readStatus(d.discovery.Latest()),
		},
		Blind: d.blindness(now),
	}
	if d.scaling != nil {
		st.Reads["aas_targets"] = readStatus(d.lookup.Latest())
		st.AAS = d.aasStatus(now)
	}
	st.Role = "single"
	if d.leader != nil {
		ls := d.leader.Status()
		st.Role, st.Lease = d.role, &ls
		st.Reads["lease"] = readStatus(d.leasing.Latest())
	}
	for _, t := range snap.Targets {
		if t.Status != nginxstat.StatusOK {
			ts := TargetStatus{TaskID: t.Target.ID, Address: t.Target.Addr, Status: string(t.Status)}
			if t.Err != nil {
				ts.Error = t.Err.Error()
			}
			st.Targets.Missing = append(st.Targets.Missing, ts)
		}
	}
	sort.Slice(st.Targets.Missing, func(i, j int) bool { return st.Targets.Missing[i].TaskID < st.Targets.Missing[j].TaskID })
	for name, sd := range dec.Services {
		s := services[name]
		lv := d.lanes[name].view()
		ss := ServiceStatus{
			Desired: d.desiredOf(s), Running: s.Running, Pending: s.Pending, Recommended: sd.Recommended,
			Direction: string(sd.Direction), Reason: sd.Reason, Paused: s.Durable.PausedAt(now),
			Gone: s.Gone, Busy: lv.Busy, DurableStateError: lv.TagErr,
		}
		if !s.ReadAt.IsZero() {
			ss.ReadAt = ptr(s.ReadAt)
		}
		if s.Durable.FloorCount > 0 && now.Before(s.Durable.FloorUntil) {
			ss.Floor, ss.FloorUntil = s.Durable.FloorCount, ptr(s.Durable.FloorUntil)
		}
		if ss.Paused && !s.Durable.PauseUntil.IsZero() {
			ss.PauseUntil = ptr(s.Durable.PauseUntil)
		}
		if t := maxTime(s.Durable.LastScaleOut, d.state.LastScaleOut[name]); !t.IsZero() {
			ss.LastScaleOut = ptr(t)
		}
		st.Services[name] = ss
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st.LastChange = d.status.LastChange
	if dec.Changed() {
		c := &ChangeStatus{Time: now, Mode: dec.Mode, Reason: dec.Reason, Desired: map[string]int{}, Previous: map[string]int{}}
		for name, sd := range dec.Services {
			c.Desired[name], c.Previous[name] = sd.Desired, sd.Current
		}
		st.LastChange = c
	}
	d.status = st
	d.lastCycle = now
	d.blind = st.Blind
}

func (d *Daemon) aasStatus(now time.Time) *AASStatus {
	lk := d.lookup.Latest()
	st := &AASStatus{Known: d.aasKnown(now), Targets: d.targets.all()}
	if !lk.At.IsZero() {
		st.LastLookup = ptr(lk.At)
	}
	if lk.Err != nil {
		st.LookupError = lk.Err.Error()
	}
	for _, name := range d.cfg.Services() {
		lv := d.lanes[name].view()
		if lv.PendingMin > 0 {
			if st.Pending == nil {
				st.Pending = map[string]int{}
			}
			st.Pending[name] = lv.PendingMin
		}
		if lv.Memo != nil && lv.TagErr != "" {
			if st.Unrecorded == nil {
				st.Unrecorded = map[string]int{}
			}
			st.Unrecorded[name] = lv.Memo.Owner
		}
	}
	return st
}

func ptr[T any](v T) *T { return &v }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Status returns the latest status.
func (d *Daemon) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// BlindLimit is how long the daemon may see no router (none reporting valid rates, or no discovery since start)
// before /healthz answers 503, so that ECS replaces the task and the alarm on unhealthy tasks fires.
const BlindLimit = time.Minute

// blindness says why the daemon cannot see the routers (empty: it can): no discovery has succeeded since start,
// or no router task has reported valid rates, for longer than BlindLimit.
func (d *Daemon) blindness(now time.Time) string {
	disc := d.discovery.Latest()
	switch {
	case disc.At.IsZero() && now.Sub(d.started) > BlindLimit:
		why := "no router discovery has succeeded since start"
		if disc.Err != nil {
			why += ": " + disc.Err.Error()
		}
		return fmt.Sprintf("%s (%s ago; limit %s)", why, now.Sub(d.started).Round(time.Second), BlindLimit)
	case now.Sub(maxTime(d.lastReporting, d.started)) > BlindLimit:
		return fmt.Sprintf("no router task has reported valid stub_status rates for %s (limit %s)",
			now.Sub(maxTime(d.lastReporting, d.started)).Round(time.Second), BlindLimit)
	}
	return ""
}

// Healthy reports whether poll cycles are completing (the last one ended within three intervals plus the poll
// timeout of now) and the daemon is not blind (see BlindLimit).
func (d *Daemon) Healthy(now time.Time) (bool, string) {
	d.mu.Lock()
	last, blind := d.lastCycle, d.blind
	d.mu.Unlock()
	limit := 3*d.cfg.PollInterval + d.cfg.PollTimeout
	switch {
	case last.IsZero():
		return false, "no poll cycle completed yet"
	case now.Sub(last) > limit:
		return false, fmt.Sprintf("last poll cycle completed %s ago (limit %s)", now.Sub(last).Round(time.Millisecond), limit)
	case blind != "":
		return false, "blind: " + blind
	}
	return true, "ok"
}

// Handler serves /healthz and /status.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ok, why := d.Healthy(d.clock.Now())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, why)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(d.Status())
	})
	return mux
}

// Serve serves h on l until ctx ends, then shuts the server down gracefully.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving %s: %w", l.Addr(), err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
