package autoscaler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/fake"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// rig is a daemon on a fake clock behind its seam, against the in-memory fakes: no network, no wall clock. The
// router's targets follow its desired count, and step spreads a load over them.
type rig struct {
	t       *testing.T
	clock   *clock.Fake
	cloud   *fake.Cloud
	scaling *fake.Scaling // nil without AAS mode
	routers *fake.Routers
	cfg     autoscaler.Config
	d       *autoscaler.Daemon
	logs    *observer.ObservedLogs
}

// rigOptions shapes a rig.
type rigOptions struct {
	env     []string // extra FASTSCALER_* variables
	scaling bool     // with Application Auto Scaling (AAS mode)
	warm    bool     // run at 1000 rps for fleettest.WarmUp before newRig returns
}

var rigT0 = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, clock: clock.NewFake(rigT0), cloud: fake.NewCloud()}
	r.routers = fake.NewRouters(r.clock.Now)
	for name, n := range map[string]int{"router": 2, "api": 4, "api-canary": 1} {
		r.cloud.AddService(name, n, nil)
	}
	if o.scaling {
		r.scaling = fake.NewScaling()
	}
	var err error
	if r.cfg, err = autoscaler.LoadConfig(append(fleettest.Env(), o.env...)); err != nil {
		t.Fatal(err)
	}
	r.restart()
	if o.warm {
		r.run(1000, fleettest.WarmUp)
	}
	return r
}

// restart replaces the daemon with a new one (fresh memory), as after a crash.
func (r *rig) restart() {
	r.t.Helper()
	deps := autoscaler.Deps{Cloud: r.cloud}
	if r.scaling != nil {
		deps.Scaling = r.scaling
	}
	r.d, r.logs = r.newDaemon(deps)
}

// newDaemon builds a daemon on the rig's configuration, routers and clock, with deps' Cloud, Scaling and Leader,
// logging to an observer.
func (r *rig) newDaemon(deps autoscaler.Deps) (*autoscaler.Daemon, *observer.ObservedLogs) {
	r.t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	deps.Routers, deps.Clock, deps.Log = r.routers, r.clock, zap.New(core)
	d, err := autoscaler.New(r.cfg, deps)
	if err != nil {
		r.t.Fatal(err)
	}
	return d, logs
}

// routerIDs are the router task targets for the router's current desired count.
func (r *rig) routerIDs() []string {
	n := r.cloud.Desired("router")
	ids := make([]string, n)
	targets := make([]nginxstat.Target, n)
	for i := range n {
		ids[i] = fmt.Sprintf("r%d", i)
		targets[i] = nginxstat.Target{ID: ids[i], Addr: fmt.Sprintf("10.0.0.%d:8081", i+1)}
	}
	r.cloud.SetRouters(targets)
	return ids
}

// load spreads rps over the router tasks for one second and advances the clock, without ticking.
func (r *rig) load(rps float64) {
	ids := r.routerIDs()
	for _, id := range ids {
		r.routers.Add(id, int64(rps/float64(len(ids))))
	}
	r.clock.Advance(time.Second)
}

// step runs one second at rps, ticks and waits for the tick's background work.
func (r *rig) step(rps float64) {
	r.t.Helper()
	r.load(rps)
	r.d.Tick(context.Background())
	r.d.Quiesce()
}

// run steps at a constant load for d.
func (r *rig) run(rps float64, d time.Duration) {
	r.t.Helper()
	r.clock.RunFor(d, func() { r.step(rps) })
}

// surge steps the first seconds of a 10x surge from 1000 rps (rampAt).
func (r *rig) surge(seconds int) {
	r.t.Helper()
	for i := 1; i <= seconds; i++ {
		r.step(rampAt(1000, i))
	}
}

// rampAt returns the load at second i of a 10x surge over two minutes from base.
func rampAt(base float64, i int) float64 { return base + min(float64(i), 120)*9*base/120 }

// updates returns the successful SetDesired calls of service.
func (r *rig) updates(service string) []fake.Call {
	var out []fake.Call
	for _, c := range r.cloud.Calls(fake.OpSetDesired) {
		if c.Service == service && c.Err == nil {
			out = append(out, c)
		}
	}
	return out
}

// reason returns the reason of the last decision for service.
func (r *rig) reason(service string) string { return r.d.Status().Services[service].Reason }

// noScaleIn fails the test if any recorded SetDesired lowered a count.
func (r *rig) noScaleIn(from map[string]int) {
	r.t.Helper()
	last := map[string]int{}
	for k, v := range from {
		last[k] = v
	}
	for _, c := range r.cloud.Calls(fake.OpSetDesired) {
		if c.Err != nil {
			continue
		}
		if c.Count < last[c.Service] {
			r.t.Errorf("scale-in during the surge: %s %d → %d", c.Service, last[c.Service], c.Count)
		}
		last[c.Service] = c.Count
	}
}
