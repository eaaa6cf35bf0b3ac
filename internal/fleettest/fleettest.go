// Package fleettest starts the ECS fake with the fleet every daemon test uses: cluster prod holding router, api
// and api-canary; both the in-process harness (daemontest) and the real-binary tests (e2e) start it here.
package fleettest

import (
	"fmt"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

// Cluster is the fleet's cluster.
const Cluster = "prod"

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
