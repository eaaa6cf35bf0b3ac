package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
)

var pauseCmd = command{
	name:    "pause",
	summary: "stop automatic changes to services (state kept in ECS tags)",
	usage: `Usage: fastscaler pause --reason TEXT [--service NAME ...] [--for DURATION | --until RFC3339] [--cluster NAME]

Stops the daemon from changing the desired count of the given services (default: every service in
FASTSCALER_CAPACITY). Pre-scale floors are not applied while paused either. With --for or --until the pause ends by
itself; without, it lasts until 'fastscaler resume'. Shown by 'fastscaler status'.

Example:
  fastscaler pause --service api --for 30m --reason "load test, INC-1234"
`,
	run: runPause,
}

var resumeCmd = command{
	name:    "resume",
	summary: "restart automatic changes after a pause",
	usage: `Usage: fastscaler resume [--service NAME ...] [--cluster NAME]

Removes the pause of the given services (default: every service in FASTSCALER_CAPACITY). The daemon then applies its
normal rules again from its next tick, with its scale-in cooldown restarted, so counts set by hand during the pause
are not cut at once.

Example:
  fastscaler resume --service api
`,
	run: runResume,
}

func runPause(ctx context.Context, env Env, args []string) error {
	fs := newFlags("pause")
	var services serviceCounts
	fs.Var(&services, "service", "NAME")
	forFlag := fs.String("for", "", "duration")
	untilFlag := fs.String("until", "", "RFC3339 end")
	reason := fs.String("reason", "", "why")
	cluster := fs.String("cluster", "", "cluster")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	now := env.clock().Now()
	var errs []error
	if err := services.parse(false); err != nil {
		errs = append(errs, err)
	}
	end, err := parseWindowEnd(*forFlag, *untilFlag, now, false)
	if err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(*reason) == "" {
		errs = append(errs, errors.New("--reason is required: say why, for whoever reads 'fastscaler status' next"))
	}
	e, names, err := targetServices(ctx, env, *cluster, services.names, errs)
	if err != nil {
		return err
	}
	current, err := e.DescribeServices(ctx, names, now)
	if err != nil {
		return explainAWS(err)
	}
	paused, err := autoscaler.PauseServices(ctx, e, current, names, end, *reason)
	for _, n := range paused {
		if end.IsZero() {
			fmt.Fprintf(env.Stdout, "%s: paused until 'fastscaler resume'\n", n)
		} else {
			fmt.Fprintf(env.Stdout, "%s: paused until %s (in %s)\n", n, end.UTC().Format(time.RFC3339), fmtDuration(end.Sub(now)))
		}
	}
	return explainAWS(err)
}

func runResume(ctx context.Context, env Env, args []string) error {
	fs := newFlags("resume")
	var services serviceCounts
	fs.Var(&services, "service", "NAME")
	cluster := fs.String("cluster", "", "cluster")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var errs []error
	if err := services.parse(false); err != nil {
		errs = append(errs, err)
	}
	e, names, err := targetServices(ctx, env, *cluster, services.names, errs)
	if err != nil {
		return err
	}
	now := env.clock().Now()
	current, err := e.DescribeServices(ctx, names, now)
	if err != nil {
		return explainAWS(err)
	}
	resumed, err := autoscaler.ResumeServices(ctx, e, current, names, now)
	for _, r := range resumed {
		if r.WasPaused {
			fmt.Fprintf(env.Stdout, "%s: resumed; its cooldown restarts now\n", r.Service)
		} else {
			fmt.Fprintf(env.Stdout, "%s: was not paused\n", r.Service)
		}
	}
	return explainAWS(err)
}

// targetServices loads the configuration, checks the named services (all scaled services when none are named),
// and returns an ECS client; errs carries earlier usage problems to report together.
func targetServices(ctx context.Context, env Env, cluster string, named []string, errs []error) (*autoscaler.ECS, []string, error) {
	cfg, err := servicesConfig(env, cluster)
	if err != nil {
		return nil, nil, errors.Join(append(errs, err)...)
	}
	names := named
	if len(names) == 0 {
		names = cfg.Services()
	}
	if err := checkScaled(cfg, names); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, nil, usageError{errors.Join(errs...)}
	}
	e, err := newECS(ctx, env, cfg)
	if err != nil {
		return nil, nil, err
	}
	return e, names, nil
}
