// Package fleettest is the fleet every daemon test uses: cluster prod holding router, api and api-canary, the ECS
// fake that serves it, the daemon configuration that scales it, and its UpdateService calls; both the in-process
// harnesses (daemontest, the autoscaler's in-memory rig) and the real-binary tests (e2e) take it from here.
package fleettest

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

// WarmUp is how long a test runs its fleet at 1000 rps before what it checks: long enough to fill every window.
const WarmUp = 6 * time.Minute

// Cluster is the fleet's cluster.
const Cluster = "prod"

// Env configures a daemon for the fleet (1000 rps a router task, 250 an api task, api 90%, polled every second).
func Env() []string {
	return []string{
		"FASTSCALER_CLUSTER=" + Cluster,
		"FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
		"FASTSCALER_WEIGHTS=api:90,api-canary:10",
		"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1",
		"FASTSCALER_POLL_INTERVAL=1s",
		"FASTSCALER_POLL_TIMEOUT=500ms",
	}
}

// StartECS serves an ECS fake with opts for the rest of tb, its cluster Cluster holding the router, api and
// api-canary services at the desired counts and with the tags given (nil: none); router task n gets the
// address routerHost(n), the other tasks 10.1.x.y. It replaces opts.Address.
func StartECS(tb nginxtest.TB, opts fakeecs.Options, routerHost func(n int) string, desired map[string]int,
	tags map[string]map[string]string) (*fakeecs.Server, string) {
	tb.Helper()
	opts.Address = func(service string, n int) string {
		if service == "router" {
			return routerHost(n)
		}
		return fmt.Sprintf("10.1.%d.%d", n/250, n%250+1)
	}
	ecs := fakeecs.New(opts)
	url := awstest.Start(tb, ecs)
	ecs.AddCluster(Cluster)
	for _, name := range []string{"router", "api", "api-canary"} {
		ecs.AddService(Cluster, name, desired[name], tags[name])
	}
	return ecs, url
}

// Updates returns the successful UpdateService calls ecs has answered so far.
func Updates(ecs *fakeecs.Server) []fakeecs.Call {
	var out []fakeecs.Call
	for _, c := range ecs.Calls() {
		if c.Op == "UpdateService" && c.Err == "" {
			out = append(out, c)
		}
	}
	return out
}

// Millis is how fleet tests print a call's time: to the millisecond, as their faults and fake delays need.
const Millis = "15:04:05.000"

// DescribeUpdates formats UpdateService calls for a failure message, one a line.
func DescribeUpdates(calls []fakeecs.Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "\n  %s %s → %d", c.Time.Format(Millis), c.Service, *c.DesiredCount)
	}
	return b.String()
}

// FloorEnd checks UpdateService calls, in order, against pre-scale floors that held until end: no service in floors
// was set below its floor before end, and each came down from it in steps of at most a fifth (at least one task).
// It returns one line per breach, and the first call that scaled a floored service in (zero if none did).
func FloorEnd(calls []fakeecs.Call, floors map[string]int, end time.Time) (breaches []string, firstDown fakeecs.Call) {
	prev := maps.Clone(floors)
	for _, c := range calls {
		floor, ok := floors[c.Service]
		if !ok {
			continue
		}
		to := *c.DesiredCount
		if c.Time.Before(end) && to < floor {
			breaches = append(breaches, fmt.Sprintf("%s → %d at %s, below its floor %d while it lasted",
				c.Service, to, c.Time.Format(Millis), floor))
		}
		if to < prev[c.Service] {
			if firstDown.Service == "" {
				firstDown = c
			}
			if prev[c.Service]-to > max(1, prev[c.Service]/5) {
				breaches = append(breaches, fmt.Sprintf("cliff: %s %d → %d at %s", c.Service, prev[c.Service], to,
					c.Time.Format(Millis)))
			}
		}
		prev[c.Service] = to
	}
	return breaches, firstDown
}
