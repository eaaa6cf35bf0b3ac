package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
)

// MaxWindow is how far ahead a pre-scale floor or a pause may end.
const MaxWindow = 7 * 24 * time.Hour

// waitPoll is how often --wait reads the services.
const waitPoll = 5 * time.Second

var prescaleCmd = command{
	name:    "prescale",
	summary: "raise services to a floor now and hold it until a time (before a big broadcast)",
	usage: `Usage: fastscaler prescale --service NAME=COUNT [--service NAME=COUNT ...] (--for DURATION | --until RFC3339)
                           [--reason TEXT] [--replace] [--wait] [--wait-timeout DURATION] [--cluster NAME]
       fastscaler prescale --cancel --service NAME [--service NAME ...] [--cluster NAME]

Raises each service's desired count to at least COUNT at once (UpdateService, so it works even while the daemon
is down) and records the floor, its end and the reason as service tags. The daemon never goes below a floor while
it lasts; when it ends, the daemon scales in by its normal rules (cooldown counted from the floor's end, then
stepwise), never in one cliff. --cancel ends floors now, with the same gentle scale-in afterwards.

A new prescale of a service replaces its floor in force only with one at least as high that lasts at least as long;
one that would lower it or end it earlier is refused (exit 2, nothing changed) unless --replace is given. The
output shows every floor in force that was replaced.

Every check runs before any change: each service must be in FASTSCALER_CAPACITY and exist in the cluster, COUNT
must lie within its FASTSCALER_MIN_TASKS..FASTSCALER_MAX_TASKS, and the window must end in the future and within 7
days. DURATION is like 90m, 2h or 1d.

Flags:
  --service NAME=COUNT   service and floor (repeatable; with --cancel: NAME only)
  --for DURATION         the floor lasts this long from now
  --until RFC3339        the floor lasts until this time, e.g. 2026-12-31T23:30:00+09:00
  --reason TEXT          why, shown by 'fastscaler status' (default: "prescale by $USER")
  --replace              replace a floor in force even with a lower COUNT or an earlier end
  --wait                 wait until every service runs at least its floor, showing progress
  --wait-timeout D       give up waiting after this long, exit 1 (default 15m)
  --cancel               end the floors of the given services now
  --cluster NAME         overrides FASTSCALER_CLUSTER

Example:
  fastscaler prescale --service router=12 --service api=60 --for 3h --reason "World Cup final" --wait
`,
	run: runPrescale,
}

// serviceCounts is a repeatable --service NAME=COUNT flag.
type serviceCounts struct {
	names  []string
	counts map[string]int
	raw    []string
}

func (s *serviceCounts) String() string { return strings.Join(s.raw, ",") }

func (s *serviceCounts) Set(v string) error {
	s.raw = append(s.raw, v)
	return nil
}

// parse validates the collected values; withCount says whether NAME=COUNT or a bare NAME is expected.
func (s *serviceCounts) parse(withCount bool) error {
	s.counts = map[string]int{}
	var errs []error
	for _, v := range s.raw {
		name, count, hasCount := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("--service %q: missing service name", v))
			continue
		case withCount && !hasCount:
			errs = append(errs, fmt.Errorf("--service %q: want NAME=COUNT, e.g. api=40", v))
			continue
		case !withCount && hasCount:
			errs = append(errs, fmt.Errorf("--service %q: want a service name only", v))
			continue
		}
		if _, dup := s.counts[name]; dup {
			errs = append(errs, fmt.Errorf("--service %s given twice", name))
			continue
		}
		n := 0
		if withCount {
			var err error
			n, err = strconv.Atoi(strings.TrimSpace(count))
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("--service %s=%s: COUNT must be a whole number ≥ 1", name, count))
				continue
			}
		}
		s.counts[name] = n
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return errors.Join(errs...)
}

// parseWindowEnd resolves --for/--until into an end time, checked against now and MaxWindow.
func parseWindowEnd(forFlag, untilFlag string, now time.Time, required bool) (time.Time, error) {
	switch {
	case forFlag != "" && untilFlag != "":
		return time.Time{}, errors.New("give --for or --until, not both")
	case forFlag == "" && untilFlag == "":
		if required {
			return time.Time{}, errors.New("give --for DURATION or --until RFC3339: when does it end?")
		}
		return time.Time{}, nil
	}
	var end time.Time
	if forFlag != "" {
		d, err := parseDuration(forFlag)
		if err != nil {
			return time.Time{}, fmt.Errorf("--for %q: %v", forFlag, err)
		}
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--for %q: must be positive", forFlag)
		}
		end = now.Add(d)
	} else {
		t, err := time.Parse(time.RFC3339, untilFlag)
		if err != nil {
			return time.Time{}, fmt.Errorf("--until %q: want an RFC 3339 time such as 2026-12-31T23:30:00+09:00", untilFlag)
		}
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("--until %s is in the past (now %s)", untilFlag, now.UTC().Format(time.RFC3339))
		}
		end = t
	}
	if end.Sub(now) > MaxWindow {
		return time.Time{}, fmt.Errorf("the window ends %s from now; the limit is 7 days", end.Sub(now).Round(time.Minute))
	}
	return end, nil
}

// parseDuration accepts Go durations (90m, 2h30m) and whole days (1d, 3d).
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, errors.New("want a duration like 90m, 2h or 1d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a duration like 90m, 2h or 1d")
	}
	return d, nil
}

func defaultReason(env Env, verb string) string {
	if u := lookupEnv(env.Environ, "USER", ""); u != "" {
		return verb + " by " + u
	}
	return verb
}

// checkScaled verifies every named service is configured, returning one error naming every culprit.
func checkScaled(cfg autoscaler.Config, names []string) error {
	var errs []error
	for _, n := range names {
		if _, ok := cfg.Capacity[n]; !ok {
			errs = append(errs, fmt.Errorf("service %q is not scaled by fastscaler (FASTSCALER_CAPACITY has %s)", n, strings.Join(cfg.Services(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// prescaleArgs is a parsed and checked prescale command line.
type prescaleArgs struct {
	services    serviceCounts
	end         time.Time
	reason      string
	wait        bool
	waitTimeout time.Duration
	cancel      bool
	replace     bool
	cfg         autoscaler.Config
}

// parsePrescale parses the flags and checks them against the configuration, reporting every problem at once.
func parsePrescale(env Env, args []string, now time.Time) (prescaleArgs, error) {
	var p prescaleArgs
	fs := newFlags("prescale")
	fs.Var(&p.services, "service", "NAME=COUNT")
	forFlag := fs.String("for", "", "duration")
	untilFlag := fs.String("until", "", "RFC3339 end")
	fs.StringVar(&p.reason, "reason", "", "why")
	fs.BoolVar(&p.wait, "wait", false, "wait for running ≥ floor")
	fs.DurationVar(&p.waitTimeout, "wait-timeout", 15*time.Minute, "give up waiting after")
	fs.BoolVar(&p.cancel, "cancel", false, "end floors now")
	fs.BoolVar(&p.replace, "replace", false, "replace a floor in force even if lower or shorter")
	cluster := fs.String("cluster", "", "cluster")
	if err := parseFlags(fs, args); err != nil {
		return p, err
	}
	var errs []error
	if len(p.services.raw) == 0 {
		errs = append(errs, errors.New("give at least one --service"))
	}
	if err := p.services.parse(!p.cancel); err != nil {
		errs = append(errs, err)
	}
	if p.cancel {
		if *forFlag != "" || *untilFlag != "" || p.wait || p.replace {
			errs = append(errs, errors.New("--cancel takes only --service (and --cluster, --reason)"))
		}
	} else {
		var err error
		if p.end, err = parseWindowEnd(*forFlag, *untilFlag, now, true); err != nil {
			errs = append(errs, err)
		}
	}
	if p.waitTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--wait-timeout %v must be positive", p.waitTimeout))
	}
	if p.reason == "" {
		p.reason = defaultReason(env, "prescale")
	}
	cfg, err := servicesConfig(env, *cluster)
	if err != nil {
		return p, errors.Join(append(errs, err)...)
	}
	p.cfg = cfg
	if err := checkScaled(cfg, p.services.names); err != nil {
		errs = append(errs, err)
	}
	if !p.cancel {
		errs = append(errs, checkFloorCounts(cfg, p.services)...)
	}
	if len(errs) > 0 {
		return p, usageError{errors.Join(errs...)}
	}
	return p, nil
}

// checkFloorCounts checks each floor against the service's FASTSCALER_MIN_TASKS..FASTSCALER_MAX_TASKS.
func checkFloorCounts(cfg autoscaler.Config, services serviceCounts) []error {
	var errs []error
	for _, n := range services.names {
		if _, ok := cfg.Capacity[n]; !ok {
			continue
		}
		lo, hi := cfg.MinMax(n)
		c := services.counts[n]
		if c > hi {
			errs = append(errs, fmt.Errorf("%s=%d is above its max of %d: raise FASTSCALER_MAX_TASKS (e.g. %s:%d) for the daemon and this command first", n, c, hi, n, c))
		}
		if c < lo {
			errs = append(errs, fmt.Errorf("%s=%d is below its min of %d (FASTSCALER_MIN_TASKS): a floor there changes nothing", n, c, lo))
		}
	}
	return errs
}

func runPrescale(ctx context.Context, env Env, args []string) error {
	now := env.clock().Now()
	p, err := parsePrescale(env, args, now)
	if err != nil {
		return err
	}
	e, a, err := newClients(ctx, env, p.cfg)
	if err != nil {
		return err
	}
	current, err := e.DescribeServices(ctx, p.services.names, now)
	if err != nil {
		return explainAWS(err) // every service must exist before anything changes
	}
	if p.cancel {
		ended, err := autoscaler.EndFloors(ctx, e, current, p.services.names, now, p.reason)
		renderEnded(env, ended)
		return explainAWS(err)
	}
	var scaling autoscaler.Scaling
	var targets map[string]autoscaler.ScalableTarget
	if a != nil {
		scaling = a
		// Where Application Auto Scaling owns a service's count, the floor goes into MinCapacity too, or AAS
		// would scale below it. Without the permission to look, say so and go on: the floor tags still hold
		// the daemon, which retries the lookup.
		if targets, err = a.Targets(ctx, p.services.names); err != nil {
			fmt.Fprintf(env.Stderr, "warning: could not look up Application Auto Scaling targets (%v);\n"+
				"  if a service has one, its policy may scale below the floor until the daemon raises MinCapacity (FASTSCALER_AAS_MODE=off silences this)\n", err)
		}
	}
	plan, err := autoscaler.PlanFloors(p.services.counts, p.end, p.reason, p.replace, current, targets, now)
	if err != nil {
		if errors.As(err, new(autoscaler.FloorConflict)) {
			err = fmt.Errorf("%w\nnothing was changed; to replace a floor in force on purpose, run the same command with --replace", err)
		}
		return usageError{err}
	}
	results, err := autoscaler.SetFloors(ctx, e, scaling, plan)
	renderFloors(env, results, plan.Until, now)
	if err != nil || !p.wait {
		return explainAWS(err)
	}
	return waitForFloors(ctx, env, e, p.services, p.waitTimeout)
}

// renderFloors shows what a prescale did, service by service (a failure on the second service leaves the first
// one floored), the MinCapacity raises, and every floor in force it replaced.
func renderFloors(env Env, results []autoscaler.FloorResult, until, now time.Time) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tWAS\tDESIRED\tFLOOR\tUNTIL")
	end := until.UTC().Format(time.RFC3339)
	var notes []string
	for _, r := range results {
		n, was := r.Service.Name, r.Service.Desired
		switch r.Progress {
		case autoscaler.FloorNotSet:
			fmt.Fprintf(tw, "%s\t%d\t%d\t-\tnot set\n", n, was, was)
			continue
		case autoscaler.FloorRecorded:
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s (not raised yet)\n", n, was, r.Desired, r.Floor, end)
		case autoscaler.FloorRaised:
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s (MinCapacity not raised)\n", n, was, r.Desired, r.Floor, end)
		default:
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s (in %s)\n", n, was, r.Desired, r.Floor, end, fmtDuration(until.Sub(now)))
		}
		if f := r.Replaces; f != nil {
			notes = append(notes, fmt.Sprintf("%s: replaced the floor of %d until %s%s", n, f.Count, f.Until.UTC().Format(time.RFC3339), reasonSuffix(f.Reason)))
		}
		if r.MinTo > 0 {
			notes = append(notes, fmt.Sprintf("%s: Application Auto Scaling MinCapacity %d → %d (back to %d as the daemon scales in)", n, r.MinFrom, r.MinTo, r.MinOwner))
		}
	}
	tw.Flush()
	for _, note := range notes {
		fmt.Fprintln(env.Stdout, note)
	}
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(" (%s)", reason)
}

// renderEnded shows the floors a cancel ended.
func renderEnded(env Env, ended []autoscaler.FloorEnd) {
	for _, f := range ended {
		if f.Removed {
			fmt.Fprintf(env.Stdout, "%s: malformed floor tags removed\n", f.Service)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: floor of %d ended now; the daemon scales in by its normal rules after its cooldown\n", f.Service, f.Count)
	}
}

// waitForFloors polls the services until every one runs at least its floor, or the timeout passes.
func waitForFloors(ctx context.Context, env Env, e *autoscaler.ECS, services serviceCounts, timeout time.Duration) error {
	clk := env.clock()
	deadline := clk.Now().Add(timeout)
	tick := clk.NewTicker(waitPoll)
	defer tick.Stop()
	tty := env.terminal()
	drawn := 0
	last := ""
	for {
		now := clk.Now()
		got, err := e.DescribeServices(ctx, services.names, now)
		if err != nil {
			fmt.Fprintf(env.Stderr, "reading services: %v (retrying)\n", explainAWS(err))
		} else {
			done := true
			var lines []string
			for _, n := range services.names {
				s := got[n]
				floor := services.counts[n]
				if s.Running < floor {
					done = false
				}
				if tty {
					lines = append(lines, progressLine(n, s.Running, s.Pending, floor))
				} else {
					lines = append(lines, fmt.Sprintf("%s running %d/%d (pending %d)", n, s.Running, floor, s.Pending))
				}
			}
			if tty {
				if drawn > 0 {
					fmt.Fprintf(env.Stdout, "\033[%dA", drawn)
				}
				for _, l := range lines {
					fmt.Fprintf(env.Stdout, "\r\033[K%s\n", l)
				}
				drawn = len(lines)
			} else if text := strings.Join(lines, "; "); text != last {
				fmt.Fprintf(env.Stdout, "%s %s\n", now.UTC().Format("15:04:05"), text)
				last = text
			}
			if done {
				fmt.Fprintln(env.Stdout, "every service runs at least its floor")
				return nil
			}
		}
		if !now.Before(deadline) {
			return fmt.Errorf("timed out after %s waiting for the floors to run (see 'fastscaler status'; the floors stay in place)", timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting: %w (the floors stay in place)", ctx.Err())
		case <-tick.C():
		}
	}
}

func progressLine(name string, running, pending, floor int) string {
	const width = 30
	filled := 0
	if floor > 0 {
		filled = min(width, running*width/floor)
	}
	return fmt.Sprintf("%-14s [%s%s] %d/%d running, %d pending", name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), running, floor, pending)
}

// fmtDuration renders a span of time for people, to the minute.
func fmtDuration(d time.Duration) string { return autoscaler.FormatSpan(d) }
