package autoscaler_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest/observer"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/fake"
	"github.com/fastscaler/fastscaler/autoscaler/lease"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// countingCloud is the shared fake ECS as one daemon sees it, counting that daemon's UpdateService calls.
type countingCloud struct {
	*fake.Cloud
	sets atomic.Int32
}

func (c *countingCloud) SetDesired(ctx context.Context, service string, n int) (autoscaler.Service, error) {
	c.sets.Add(1)
	return c.Cloud.SetDesired(ctx, service, n)
}

// member is one of two daemons sharing a lease.
type member struct {
	d     *autoscaler.Daemon
	cloud *countingCloud
	logs  *observer.ObservedLogs
	alive bool
}

// pair is a leader and a hot standby on one fake cluster, one lease table and one clock.
type pair struct {
	r     *rig
	table *lease.Memory
	m     [2]*member
}

func newPair(t *testing.T) *pair {
	r := newRig(t, rigOptions{})
	p := &pair{r: r, table: lease.NewMemory()}
	for i, owner := range []string{"task-a", "task-b"} {
		p.m[i] = p.start(owner)
	}
	return p
}

// start builds a daemon for owner, as a new task would.
func (p *pair) start(owner string) *member {
	p.r.t.Helper()
	c := &countingCloud{Cloud: p.r.cloud}
	l := lease.New(p.table, "prod/router", owner, 10*time.Second, 2*time.Second, p.r.clock.Now)
	d, logs := p.r.newDaemon(autoscaler.Deps{Cloud: c, Leader: l})
	return &member{d: d, cloud: c, logs: logs, alive: true}
}

// step runs one second at rps: every live daemon polls, decides and (if leader) acts.
func (p *pair) step(rps float64) {
	p.r.load(rps)
	for _, m := range p.m {
		if m.alive {
			m.d.Tick(context.Background())
		}
	}
	for _, m := range p.m {
		if m.alive {
			m.d.Quiesce()
		}
	}
}

func (p *pair) run(rps float64, d time.Duration) { p.r.clock.RunFor(d, func() { p.step(rps) }) }

// ramp steps seconds first to last of a surge from 1000 rps (rampAt).
func (p *pair) ramp(first, last int) {
	for i := first; i <= last; i++ {
		p.step(rampAt(1000, i))
	}
}

// rampUntilScaleOut steps seconds first to last of the surge until member m makes an UpdateService call, and
// reports whether it made one.
func (p *pair) rampUntilScaleOut(m, first, last int) bool {
	for i := first; i <= last && p.m[m].cloud.sets.Load() == 0; i++ {
		p.step(rampAt(1000, i))
	}
	return p.m[m].cloud.sets.Load() > 0
}

// warm runs 6 minutes of steady load, long enough for every window, then the first surgeSeconds of a surge, and
// returns the leader's and the standby's index.
func (p *pair) warm(surgeSeconds int) (leader, standby int) {
	p.r.t.Helper()
	p.run(1000, fleettest.WarmUp)
	p.ramp(1, surgeSeconds)
	l, ok := p.leader()
	if !ok {
		p.r.t.Fatalf("no leader after 6 minutes and %d s of surge", surgeSeconds)
	}
	return l, 1 - l
}

// leader returns the member that holds the lease now.
func (p *pair) leader() (int, bool) {
	for i, m := range p.m {
		if m.alive && m.d.Status().Role == "leader" {
			return i, true
		}
	}
	return -1, false
}

func TestOnlyTheLeaderWrites(t *testing.T) {
	p := newPair(t)
	l, s := p.warm(90)
	if p.m[l].cloud.sets.Load() == 0 || p.r.cloud.Desired("api") <= 4 {
		t.Fatalf("the leader made no scale-out in a surge (api at %d)", p.r.cloud.Desired("api"))
	}
	if n := p.m[s].cloud.sets.Load(); n != 0 {
		t.Errorf("the standby made %d UpdateService calls", n)
	}
	if p.m[s].logs.FilterMessage("standby: the leader would update service").Len() == 0 {
		t.Error("the standby did not log what it would do")
	}
	if st := p.m[s].d.Status(); st.Role != "standby" || st.Lease == nil || st.Lease.Holder == "" {
		t.Errorf("standby /status role %q lease %+v", st.Role, st.Lease)
	}
}

// The leader dies (a crash: no release). The standby, warm, takes over within a lease duration and a poll.
func TestStandbyTakesOverWhenTheLeaderDies(t *testing.T) {
	p := newPair(t)
	l, s := p.warm(20)
	p.m[l].alive = false
	died := p.r.clock.Now()
	i := 21
	for ; i <= 60 && p.m[s].d.Status().Role != "leader"; i++ {
		p.step(rampAt(1000, i))
	}
	took := p.r.clock.Now().Sub(died)
	t.Logf("the standby leads %s after the leader died (lease 10s, polls 1s)", took)
	if took > 10*time.Second+2*time.Second {
		t.Errorf("takeover took %s, want ≤ the lease duration + 2 polls", took)
	}
	// The ramp goes on: the new leader scales out as soon as the load calls for it.
	if !p.rampUntilScaleOut(s, i, 90) {
		t.Fatal("the new leader never scaled out while the ramp went on")
	}
}

// A leader shut down (SIGTERM, a rolling deploy) releases the lease after its last write: the standby takes over at
// its next tick, not a lease duration later.
func TestReleasedLeaseIsTakenAtOnce(t *testing.T) {
	p := newPair(t)
	l, s := p.warm(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.m[l].d.Run(ctx); err != nil { // Run with its context ended: shuts down at once, as on SIGTERM
		t.Fatal(err)
	}
	p.m[l].alive = false
	if p.m[l].logs.FilterMessage("leader lease released").Len() != 1 {
		t.Fatal("the leader did not release its lease on shutdown")
	}
	p.step(1000)
	p.step(1000)
	if st := p.m[s].d.Status(); st.Role != "leader" {
		t.Errorf("role %q two seconds after the leader released, want leader", st.Role)
	}
	if !p.rampUntilScaleOut(s, 1, 20) {
		t.Error("the new leader did not scale out in a surge")
	}
}

// A paused leader (SIGSTOP past its lease) must not write when it resumes: the standby took over meanwhile.
func TestPausedLeaderDoesNotWriteOnResume(t *testing.T) {
	p := newPair(t)
	l, s := p.warm(0)
	p.m[l].alive = false // paused
	p.run(1000, 15*time.Second)
	if st := p.m[s].d.Status(); st.Role != "leader" {
		t.Fatalf("the standby did not take over from a paused leader (role %q)", st.Role)
	}
	before := p.m[l].cloud.sets.Load()
	p.m[l].alive = true // resumes, mid-surge
	p.ramp(1, 30)
	if n := p.m[l].cloud.sets.Load() - before; n != 0 {
		t.Errorf("the resumed former leader made %d UpdateService calls", n)
	}
	if p.m[s].cloud.sets.Load() == 0 {
		t.Error("the new leader made no scale-out")
	}
}
