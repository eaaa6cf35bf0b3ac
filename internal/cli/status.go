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
)

func init() {
	register(&command{
		name:    "status",
		summary: "show each scaled service: desired, running, pending, floor, pause, last decision",
		usage: `Usage: fastscaler status [--json] [--status-url URL] [--cluster NAME]

One row per service in FASTSCALER_CAPACITY: desired, running and pending tasks from ECS; the pre-scale floor and
its end; whether automatic changes are paused; and the daemon's last change with its reason (from the service
tags). With --status-url (or FASTSCALER_STATUS_URL), the daemon's live /status adds its mode and the reason of its
current decision.

Flags:
  --json             machine-readable output
  --status-url URL   the daemon's /status, e.g. http://10.0.3.17:9090/status
  --cluster NAME     overrides FASTSCALER_CLUSTER

Example:
  fastscaler status
  fastscaler status --json | jq '.services[] | select(.paused)'
`,
		run: runStatus,
	})
}

// StatusReport is the output of `fastscaler status --json`.
type StatusReport struct {
	Cluster  string          `json:"cluster"`
	Time     time.Time       `json:"time"`
	Daemon   *DaemonSummary  `json:"daemon,omitempty"`
	Services []ServiceReport `json:"services"`
	AASError string          `json:"aas_error,omitempty"` // why Application Auto Scaling targets could not be read
}

// DaemonSummary is what the daemon's /status says, when it could be read.
type DaemonSummary struct {
	Mode   string `json:"mode,omitempty"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ServiceReport is one service in StatusReport.
type ServiceReport struct {
	Service      string     `json:"service"`
	Desired      int        `json:"desired"`
	Running      int        `json:"running"`
	Pending      int        `json:"pending"`
	Min          int        `json:"min"`
	Max          int        `json:"max"`
	Floor        int        `json:"floor,omitempty"`
	FloorUntil   *time.Time `json:"floor_until,omitempty"`
	FloorActive  bool       `json:"floor_active"`
	FloorReason  string     `json:"floor_reason,omitempty"`
	Paused       bool       `json:"paused"`
	PauseUntil   *time.Time `json:"pause_until,omitempty"`
	PauseReason  string     `json:"pause_reason,omitempty"`
	LastScaleOut *time.Time `json:"last_scale_out,omitempty"`
	LastAction   string     `json:"last_action,omitempty"`
	LastReason   string     `json:"last_reason,omitempty"`
	Decision     string     `json:"decision,omitempty"` // the daemon's current reason, from /status
	TagErrors    []string   `json:"tag_errors,omitempty"`
	AAS          *AASReport `json:"aas,omitempty"` // the service's Application Auto Scaling target, if any
}

// AASReport is a service's Application Auto Scaling scalable target, as AAS mode sees it.
type AASReport struct {
	MinCapacity int `json:"min_capacity"`
	MaxCapacity int `json:"max_capacity"`
	OwnerMin    int `json:"owner_min"` // the MinCapacity its owner configured; below MinCapacity while fastscaler holds it up
}

func runStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags("status")
	asJSON := fs.Bool("json", false, "JSON")
	statusURL := fs.String("status-url", lookupEnv(env.Environ, "FASTSCALER_STATUS_URL", ""), "daemon /status")
	cluster := fs.String("cluster", "", "cluster")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := servicesConfig(env, *cluster)
	if err != nil {
		return err
	}
	e, a, err := newClients(ctx, env, cfg)
	if err != nil {
		return err
	}
	now := env.clock().Now()
	names := cfg.Services()
	got, err := e.DescribeServices(ctx, names, now)
	if err != nil && len(got) == 0 {
		return explainAWS(err)
	}
	rep := StatusReport{Cluster: cfg.Cluster, Time: now.UTC()}
	var targets map[string]autoscaler.ScalableTarget
	if a != nil {
		var aerr error
		if targets, aerr = a.Targets(ctx, names); aerr != nil {
			rep.AASError = aerr.Error()
		}
	}
	var live *autoscaler.Status
	if *statusURL != "" {
		st, derr := fetchDaemonStatus(ctx, *statusURL)
		if derr != nil {
			rep.Daemon = &DaemonSummary{Error: derr.Error()}
		} else {
			live = &st
			rep.Daemon = &DaemonSummary{Mode: string(st.Mode), Reason: st.Reason}
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
		if d.FloorCount > 0 {
			r.Floor, r.FloorUntil, r.FloorActive, r.FloorReason = d.FloorCount, ptrTime(d.FloorUntil), now.Before(d.FloorUntil), d.FloorReason
		}
		if d.Paused {
			r.Paused = d.PausedAt(now)
			if !d.PauseUntil.IsZero() {
				r.PauseUntil = ptrTime(d.PauseUntil)
			}
			r.PauseReason = d.PauseReason
		}
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
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(rep); eerr != nil {
			return eerr
		}
		return explainAWS(err) // a partial answer still exits 1
	}
	printStatus(env.Stdout, rep, now)
	if err != nil {
		return explainAWS(err)
	}
	return nil
}

func printStatus(w io.Writer, rep StatusReport, now time.Time) {
	fmt.Fprintf(w, "cluster %s at %s\n", rep.Cluster, now.UTC().Format(time.RFC3339))
	if rep.Daemon != nil {
		if rep.Daemon.Error != "" {
			fmt.Fprintf(w, "daemon: unreachable: %s\n", rep.Daemon.Error)
		} else {
			fmt.Fprintf(w, "daemon: %s: %s\n", rep.Daemon.Mode, rep.Daemon.Reason)
		}
	}
	if rep.AASError != "" {
		fmt.Fprintf(w, "Application Auto Scaling: not read (%s)\n", rep.AASError)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tDESIRED\tRUNNING\tPENDING\tMIN..MAX\tFLOOR\tPAUSED\tLAST CHANGE")
	for _, r := range rep.Services {
		floor := "-"
		if r.FloorUntil != nil {
			if r.FloorActive {
				floor = fmt.Sprintf("%d until %s (%s left)", r.Floor, r.FloorUntil.UTC().Format("15:04Z"), fmtDuration(r.FloorUntil.Sub(now)))
			} else {
				floor = fmt.Sprintf("%d ended %s ago", r.Floor, fmtDuration(now.Sub(*r.FloorUntil)))
			}
		}
		paused := "no"
		if r.Paused {
			paused = "yes"
			if r.PauseUntil != nil {
				paused = "until " + r.PauseUntil.UTC().Format("15:04Z")
			}
		}
		last := r.LastAction
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d..%d\t%s\t%s\t%s\n", r.Service, r.Desired, r.Running, r.Pending, r.Min, r.Max, floor, paused, last)
	}
	tw.Flush()
	for _, r := range rep.Services {
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
		if len(notes) > 0 {
			fmt.Fprintf(w, "  %s: %s\n", r.Service, strings.Join(notes, "; "))
		}
	}
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
