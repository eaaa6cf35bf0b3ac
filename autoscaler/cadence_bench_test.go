package autoscaler_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/fake"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/nginxstat"
)

const (
	cadenceInterval = time.Second      // FASTSCALER_POLL_INTERVAL
	cadenceRun      = 20 * time.Second // wall time of one run
	cadenceRouters  = 4                // router targets
	cadenceBaseRPS  = 800              // total load before the surge: within api's 4 × 250 rps
	cadenceSurge    = 10               // load factor from half the run on: scale-outs of every service
)

// BenchmarkTickCadence measures whether the poll cadence holds while ECS is slow. It runs the real daemon loop
// (Daemon.Run, on the wall clock) for 20 s per iteration against the in-memory fakes, with a load that surges
// 10× halfway so that scale-outs happen during the measurement, and reports the p50 and p99 gaps between
// successive polls of one router target, and p99 over the poll interval. In "ecs=3s" every ECS call takes 3 s:
// the tick must still never wait for ECS (reads and lane jobs run in the background), so the goal is
// p99/interval ≤ 1.5 in both sub-benchmarks. It reports and does not assert: timing goals live in benchmarks,
// never in timed tests.
//
//	go test -run XXX -bench TickCadence -benchtime 1x ./autoscaler/ -v
func BenchmarkTickCadence(b *testing.B) {
	for _, delay := range []time.Duration{0, 3 * time.Second} {
		name := "ecs=instant"
		if delay > 0 {
			name = fmt.Sprintf("ecs=%s", delay)
		}
		b.Run(name, func(b *testing.B) {
			var gaps []time.Duration
			for range b.N {
				gaps = append(gaps, cadenceRunOnce(b, delay)...)
			}
			if len(gaps) == 0 {
				b.Fatal("no router target was polled twice")
			}
			slices.Sort(gaps)
			p99 := cadencePercentile(gaps, 0.99)
			b.ReportMetric(float64(cadencePercentile(gaps, 0.50))/float64(time.Millisecond), "p50-gap-ms")
			b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-gap-ms")
			b.ReportMetric(float64(p99)/float64(cadenceInterval), "p99/interval")
		})
	}
}

// cadenceRunOnce runs a fresh daemon for cadenceRun with every ECS call taking delay and returns the gaps between
// successive polls of the first router target.
func cadenceRunOnce(b *testing.B, delay time.Duration) []time.Duration {
	b.Helper()
	cfg, err := autoscaler.LoadConfig(append(fleettest.Env(),
		"FASTSCALER_POLL_INTERVAL="+cadenceInterval.String(), "FASTSCALER_METRICS_NAMESPACE="))
	if err != nil {
		b.Fatal(err)
	}
	cloud := fake.NewCloud()
	cloud.AddService("router", 2, nil)
	cloud.AddService("api", 4, nil)
	cloud.AddService("api-canary", 1, nil)
	targets := make([]nginxstat.Target, cadenceRouters)
	for i := range targets {
		targets[i] = nginxstat.Target{ID: fmt.Sprintf("router-%d", i), Addr: fmt.Sprintf("10.0.0.%d:8081", i+1)}
	}
	cloud.SetRouters(targets)
	for _, op := range []string{fake.OpServices, fake.OpRouterTargets, fake.OpSetDesired, fake.OpTag, fake.OpUntag} {
		cloud.Delay(op, delay)
	}
	routers := fake.NewRouters(time.Now)
	d, err := autoscaler.New(cfg, autoscaler.Deps{Cloud: cloud, Routers: routers, Log: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), cadenceRun)
	defer cancel()
	go cadenceFeed(ctx, routers, targets)
	if err := d.Run(ctx); err != nil {
		b.Fatal(err)
	}
	if len(cloud.Calls(fake.OpSetDesired)) == 0 {
		b.Fatal("no UpdateService during the run: the surge caused no scale-out, so nothing was measured")
	}
	polls := routers.Polls(targets[0].ID)
	gaps := make([]time.Duration, 0, len(polls))
	for i := 1; i < len(polls); i++ {
		gaps = append(gaps, polls[i].Sub(polls[i-1]))
	}
	return gaps
}

// cadenceFeed spreads the load over the targets every 100 ms until ctx ends, surging cadenceSurge× after half the run.
func cadenceFeed(ctx context.Context, routers *fake.Routers, targets []nginxstat.Target) {
	const every = 100 * time.Millisecond
	t := time.NewTicker(every)
	defer t.Stop()
	surgeAt := time.Now().Add(cadenceRun / 2)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			rps := float64(cadenceBaseRPS)
			if now.After(surgeAt) {
				rps *= cadenceSurge
			}
			per := int64(rps * every.Seconds() / float64(len(targets)))
			for _, tg := range targets {
				routers.Add(tg.ID, per)
			}
		}
	}
}

// cadencePercentile returns the nearest-rank p-quantile of sorted gaps.
func cadencePercentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
}
