package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

var statusCmd = command{
	name:    "status",
	summary: "show each scaled service: desired, running, pending, floor, pause, last decision",
	usage: `Usage: fastscaler status [--json] [--status-url URL] [--cluster NAME] [--watch [--interval 2s]]

One row per service in FASTSCALER_CAPACITY: desired, running and pending tasks from ECS; the pre-scale floor and
its end; whether automatic changes are paused; and the daemon's last change with its reason (from the service
tags). With --status-url (or FASTSCALER_STATUS_URL), the daemon's live /status adds its mode, its role and the
reason of its current decision.

With --watch, it reads again every --interval until interrupted (Ctrl-C or SIGTERM, exit 0): on a terminal the
table is redrawn in place; otherwise (a pipe, a log) each snapshot is appended, headed by its time, and with --json
each is one line. An AWS or daemon error is shown in its snapshot and the watch goes on.

Flags:
  --json             machine-readable output
  --status-url URL   the daemon's /status, e.g. http://10.0.3.17:9090/status
  --cluster NAME     overrides FASTSCALER_CLUSTER
  --watch            refresh until interrupted
  --interval D       time between refreshes with --watch (default 2s, at least 500ms)

Example:
  fastscaler status
  fastscaler status --json | jq '.services[] | select(.paused)'
  fastscaler status --watch --status-url http://10.0.3.17:9090/status
`,
	run: runStatus,
}

// StatusReport is the output of `fastscaler status --json`.
type StatusReport struct {
	Cluster  string          `json:"cluster"`
	Time     time.Time       `json:"time"`
	Daemon   *DaemonSummary  `json:"daemon,omitempty"`
	Services []ServiceReport `json:"services"`
	AASError string          `json:"aas_error,omitempty"` // why Application Auto Scaling targets could not be read
	Error    string          `json:"error,omitempty"`     // why ECS could not be read (status --watch goes on)
}

// DaemonSummary is what the daemon's /status says, when it could be read.
type DaemonSummary struct {
	Mode   string `json:"mode,omitempty"`
	Role   string `json:"role,omitempty"` // leader, standby, or single (no lease)
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ServiceReport is one service in StatusReport. Its floor and pause are those its tags record, in force or not:
// the daemon's /status shows only what holds.
type ServiceReport struct {
	Service string `json:"service"`
	Desired int    `json:"desired"`
	Running int    `json:"running"`
	Pending int    `json:"pending"`
	Min     int    `json:"min"`
	Max     int    `json:"max"`
	FloorReport
	PauseReport
	LastScaleOut *time.Time `json:"last_scale_out,omitempty"`
	LastAction   string     `json:"last_action,omitempty"`
	LastReason   string     `json:"last_reason,omitempty"`
	Decision     string     `json:"decision,omitempty"` // the daemon's current reason, from /status
	TagErrors    []string   `json:"tag_errors,omitempty"`
	AAS          *AASReport `json:"aas,omitempty"` // the service's Application Auto Scaling target, if any
}

// FloorReport is a service's pre-scale floor in ServiceReport, in force (FloorActive) or ended; zero: none.
type FloorReport struct {
	Floor       int        `json:"floor,omitempty"`
	FloorUntil  *time.Time `json:"floor_until,omitempty"`
	FloorActive bool       `json:"floor_active"`
	FloorReason string     `json:"floor_reason,omitempty"`
}

// floorReport is the floor d records, at now.
func floorReport(d durable.State, now time.Time) FloorReport {
	if d.FloorCount <= 0 {
		return FloorReport{}
	}
	return FloorReport{Floor: d.FloorCount, FloorUntil: ptrTime(d.FloorUntil), FloorActive: now.Before(d.FloorUntil),
		FloorReason: d.FloorReason}
}

// cell is the floor in the table's FLOOR column at now: "80 until 05:57Z (2h59m left)", "80 ended 5m ago" or "-".
func (f FloorReport) cell(now time.Time) string {
	switch {
	case f.FloorUntil == nil:
		return "-"
	case f.FloorActive:
		return fmt.Sprintf("%d until %s (%s left)", f.Floor, f.FloorUntil.UTC().Format("15:04Z"), fmtDuration(f.FloorUntil.Sub(now)))
	}
	return fmt.Sprintf("%d ended %s ago", f.Floor, fmtDuration(now.Sub(*f.FloorUntil)))
}

// PauseReport is a service's pause in ServiceReport: Paused while in force; once it expired, its end and reason stay.
type PauseReport struct {
	Paused      bool       `json:"paused"`
	PauseUntil  *time.Time `json:"pause_until,omitempty"`
	PauseReason string     `json:"pause_reason,omitempty"`
}

// pauseReport is the pause d records, at now.
func pauseReport(d durable.State, now time.Time) PauseReport {
	if !d.Paused {
		return PauseReport{}
	}
	p := PauseReport{Paused: d.PausedAt(now), PauseReason: d.PauseReason}
	if !d.PauseUntil.IsZero() {
		p.PauseUntil = ptrTime(d.PauseUntil)
	}
	return p
}

// cell is the pause in the table's PAUSED column: "no", "yes" (until resumed) or "until 03:28Z".
func (p PauseReport) cell() string {
	switch {
	case !p.Paused:
		return "no"
	case p.PauseUntil == nil:
		return "yes"
	}
	return "until " + p.PauseUntil.UTC().Format("15:04Z")
}

// AASReport is a service's Application Auto Scaling scalable target, as AAS mode sees it.
type AASReport struct {
	MinCapacity int `json:"min_capacity"`
	MaxCapacity int `json:"max_capacity"`
	OwnerMin    int `json:"owner_min"` // the MinCapacity its owner configured; below MinCapacity while fastscaler holds it up
}

// Refresh intervals of status --watch.
const (
	defaultWatchInterval = 2 * time.Second
	minWatchInterval     = 500 * time.Millisecond // each refresh calls DescribeServices, under ECS's rate limit
)

func runStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags("status")
	asJSON := fs.Bool("json", false, "JSON")
	statusURL := fs.String("status-url", lookupEnv(env.Environ, "FASTSCALER_STATUS_URL", ""), "daemon /status")
	cluster := fs.String("cluster", "", "cluster")
	watch := fs.Bool("watch", false, "refresh until interrupted")
	interval := fs.Duration("interval", defaultWatchInterval, "time between refreshes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case flagGiven(fs, "interval") && !*watch:
		return usagef("--interval needs --watch")
	case *watch && *interval < minWatchInterval:
		return usagef("--interval %s is too short: at least %s", *interval, minWatchInterval)
	}
	cfg, err := servicesConfig(env, *cluster)
	if err != nil {
		return err
	}
	e, a, err := newClients(ctx, env, cfg)
	if err != nil {
		return err
	}
	src := statusSource{cfg: cfg, ecs: e, aas: a, statusURL: *statusURL}
	if *watch {
		return watchStatus(ctx, env, src, *interval, *asJSON)
	}
	now := env.clock().Now()
	rep, err := src.read(ctx, now)
	if err != nil && len(rep.Services) == 0 {
		return explainAWS(err)
	}
	if *asJSON {
		if eerr := writeJSON(env.Stdout, rep); eerr != nil {
			return eerr
		}
		return explainAWS(err) // a partial answer still exits 1
	}
	printStatus(env.Stdout, rep, now)
	return explainAWS(err)
}

// statusSource is what a status report is read from: ECS, Application Auto Scaling (nil when off) and, when
// statusURL is set, the daemon.
type statusSource struct {
	cfg       autoscaler.Config
	ecs       *autoscaler.ECS
	aas       *autoscaler.AAS
	statusURL string
}

// read returns the report at now, and the error of reading ECS: with it, the report is partial, or has no
// services when none could be read. Errors of AAS and the daemon are in the report.
func (src statusSource) read(ctx context.Context, now time.Time) (StatusReport, error) {
	cfg := src.cfg
	names := cfg.Services()
	rep := StatusReport{Cluster: cfg.Cluster, Time: now.UTC()}
	got, err := src.ecs.DescribeServices(ctx, names, now)
	if err != nil && len(got) == 0 {
		return rep, err
	}
	var targets map[string]autoscaler.ScalableTarget
	if src.aas != nil {
		var aerr error
		if targets, aerr = src.aas.Targets(ctx, names); aerr != nil {
			rep.AASError = aerr.Error()
		}
	}
	var live *autoscaler.Status
	if src.statusURL != "" {
		st, derr := fetchDaemonStatus(ctx, src.statusURL)
		if derr != nil {
			rep.Daemon = &DaemonSummary{Error: derr.Error()}
		} else {
			live = &st
			rep.Daemon = &DaemonSummary{Mode: string(st.Mode), Role: st.Role, Reason: st.Reason}
		}
	}
	for _, n := range names {
		s, ok := got[n]
		lo, hi := cfg.MinMax(n)
		r := ServiceReport{Service: n, Min: lo, Max: hi}
		if !ok {
			r.TagErrors = []string{"not found in the cluster"}
			rep.Services = append(rep.Services, r)
			continue
		}
		d := s.Durable
		r.Desired, r.Running, r.Pending = s.Desired, s.Running, s.Pending
		r.FloorReport, r.PauseReport = floorReport(d, now), pauseReport(d, now)
		if !d.LastScaleOut.IsZero() {
			r.LastScaleOut = ptrTime(d.LastScaleOut)
		}
		r.LastAction, r.LastReason = d.LastAction, d.LastReason
		for _, te := range s.TagErrors {
			r.TagErrors = append(r.TagErrors, te.Error())
		}
		if live != nil {
			r.Decision = live.Services[n].Reason
		}
		if t, ok := targets[n]; ok {
			r.AAS = &AASReport{MinCapacity: t.Min, MaxCapacity: t.Max, OwnerMin: autoscaler.OwnerMin(t, s)}
		}
		rep.Services = append(rep.Services, r)
	}
	return rep, err
}

func printStatus(w io.Writer, rep StatusReport, now time.Time) {
	fmt.Fprintf(w, "cluster %s at %s\n", rep.Cluster, now.UTC().Format(time.RFC3339))
	if rep.Daemon != nil {
		switch {
		case rep.Daemon.Error != "":
			fmt.Fprintf(w, "daemon: unreachable: %s\n", rep.Daemon.Error)
		case rep.Daemon.Role != "":
			fmt.Fprintf(w, "daemon: %s: %s (role: %s)\n", rep.Daemon.Mode, rep.Daemon.Reason, rep.Daemon.Role)
		default:
			fmt.Fprintf(w, "daemon: %s: %s\n", rep.Daemon.Mode, rep.Daemon.Reason)
		}
	}
	if rep.AASError != "" {
		fmt.Fprintf(w, "Application Auto Scaling: not read (%s)\n", rep.AASError)
	}
	if rep.Error != "" {
		how := "partly read"
		if len(rep.Services) == 0 {
			how = "not read"
		}
		fmt.Fprintf(w, "ECS: %s: %s\n", how, strings.ReplaceAll(rep.Error, "\n", "\n  "))
	}
	if len(rep.Services) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tDESIRED\tRUNNING\tPENDING\tMIN..MAX\tFLOOR\tPAUSED\tLAST CHANGE")
	for _, r := range rep.Services {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d..%d\t%s\t%s\t%s\n", r.Service, r.Desired, r.Running, r.Pending, r.Min, r.Max,
			r.FloorReport.cell(now), r.PauseReport.cell(), cmpOr(r.LastAction, "-"))
	}
	tw.Flush()
	for _, r := range rep.Services {
		if notes := r.notes(); len(notes) > 0 {
			fmt.Fprintf(w, "  %s: %s\n", r.Service, strings.Join(notes, "; "))
		}
	}
}

// notes are what the table's row of r leaves out: the reasons of its floor and pause while they hold, the daemon's
// current or last reason, its Application Auto Scaling target, its problems.
func (r ServiceReport) notes() []string {
	var notes []string
	if r.FloorReason != "" && r.FloorActive {
		notes = append(notes, "floor: "+r.FloorReason)
	}
	if r.Paused && r.PauseReason != "" {
		notes = append(notes, "paused: "+r.PauseReason)
	}
	if r.Decision != "" {
		notes = append(notes, "now: "+r.Decision)
	} else if r.LastReason != "" {
		notes = append(notes, "last change: "+r.LastReason)
	}
	if r.AAS != nil {
		aas := fmt.Sprintf("Application Auto Scaling MinCapacity %d, MaxCapacity %d", r.AAS.MinCapacity, r.AAS.MaxCapacity)
		if r.AAS.OwnerMin != r.AAS.MinCapacity {
			aas += fmt.Sprintf(" (held up by fastscaler; the owner's minimum is %d)", r.AAS.OwnerMin)
		}
		notes = append(notes, aas)
	}
	for _, te := range r.TagErrors {
		notes = append(notes, "problem: "+te)
	}
	return notes
}

func fetchDaemonStatus(ctx context.Context, url string) (autoscaler.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return autoscaler.Status{}, fmt.Errorf("--status-url %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return autoscaler.Status{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return autoscaler.Status{}, errors.New(url + " answered " + strconv.Itoa(resp.StatusCode))
	}
	var st autoscaler.Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&st); err != nil {
		return autoscaler.Status{}, fmt.Errorf("reading %s: %w", url, err)
	}
	return st, nil
}

func ptrTime(t time.Time) *time.Time { t = t.UTC(); return &t }
