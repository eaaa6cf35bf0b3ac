package autoscaler_test

// One test for each finding of the "Scale out through the storm" review, on the in-memory fakes: ECS slow, ECS
// throttling, a service deleted, an absurd router, refused tags in AAS mode, an expiring pause, a router minimum
// of 0, a misspelt router service.

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/autoscaler/fake"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// Finding 1: ECS reads ran inline before every poll, so slow reads stretched the tick and staled every sample.
func TestTickNeverWaitsForECSReads(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	releaseServices := r.cloud.Gate(fake.OpServices)
	releaseTasks := r.cloud.Gate(fake.OpRouterTargets)
	defer releaseServices()
	defer releaseTasks()
	// ECS now answers no read at all. Every tick must still poll, decide and hand its changes on at once.
	for i := 1; i <= 30; i++ {
		r.load(rampAt(1000, i))
		done := make(chan struct{})
		go func() { r.d.Tick(context.Background()); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("tick %d of the surge still waiting for ECS after 3s", i)
		}
	}
	polls := r.routers.Polls("r0")
	for i := len(polls) - 30; i < len(polls); i++ {
		if gap := polls[i].Sub(polls[i-1]); gap != time.Second {
			t.Errorf("router polled %s after the previous poll during the surge, want every 1s", gap)
		}
	}
	st := r.d.Status()
	if st.Mode != "surge" {
		t.Errorf("mode %q while ECS hangs, want surge (reason %q)", st.Mode, st.Reason)
	}
	releaseServices()
	releaseTasks()
	r.d.Quiesce()
	// The lane's change waited for its own re-read, not the tick; once ECS answers, it lands.
	if ups := r.updates("api"); len(ups) == 0 || ups[0].Count <= 4 {
		t.Fatalf("api not scaled out once ECS answered: %+v", ups)
	}
}

// Finding 2: every scale-out waited on a successful re-read, and failed refreshes were retried every tick.
func TestScaleOutWhileDescribeServicesThrottled(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	start := map[string]int{"router": 2, "api": 4, "api-canary": 1}
	calls := len(r.cloud.Calls(fake.OpServices))
	r.cloud.FailWith(fake.OpServices, func(int) error { return fake.ErrThrottled })
	r.surge(60)
	ups := r.updates("api")
	if len(ups) == 0 {
		t.Fatal("no scale-out of api in 60 s of throttled DescribeServices")
	}
	if got := r.cloud.Desired("api"); got < 10 {
		t.Errorf("api at %d after a 60 s surge to 5,500 rps with DescribeServices throttled, want ≥ 10", got)
	}
	if r.logs.FilterMessageSnippet("scaling out from the last read").Len() == 0 {
		t.Error("no log saying the scale-out used the last read")
	}
	if n := len(r.cloud.Calls(fake.OpServices)) - calls; n > 40 {
		t.Errorf("%d DescribeServices calls in a minute of throttling, want ≤ 40 (backoff, not every tick)", n)
	}
	// Past MaxScaleOutReadAge without a read, scale-out holds, and says so.
	if why := r.reason("api"); r.cloud.Desired("api") < 36 && !strings.Contains(why, "last read of the service from ECS is") {
		t.Errorf("api's reason with reads 60 s old: %q", why)
	}
	r.noScaleIn(start)
	// The throttling ends: the refresh comes back within its backoff, and the scale-out resumes.
	r.cloud.FailWith(fake.OpServices, nil)
	r.run(10000, 40*time.Second)
	if got := r.cloud.Desired("api"); got < 36 {
		t.Errorf("api at %d 40 s after the throttling ended at 10,000 rps, want ≥ 36", got)
	}
}

// Finding 3: one INACTIVE service failed the whole batch re-read, so nothing scaled out.
func TestInactiveServiceLeavesTheDecision(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	r.cloud.Delete("api-canary")
	r.run(1000, 10*time.Second)
	r.surge(60)
	if got := r.cloud.Desired("api"); got < 10 {
		t.Errorf("api at %d with the canary deleted, want scaled out (≥ 10)", got)
	}
	if got := r.cloud.Desired("router"); got <= 2 {
		t.Errorf("router at %d with the canary deleted, want scaled out", got)
	}
	if n := len(r.updates("api-canary")); n != 0 {
		t.Errorf("%d updates of the deleted canary", n)
	}
	st := r.d.Status().Services["api-canary"]
	if st.Gone == "" || !strings.Contains(st.Reason, "left out of scaling") {
		t.Errorf("canary status gone %q, reason %q; want it shown as left out", st.Gone, st.Reason)
	}
	// The canary comes back (re-created): it is decided again.
	r.cloud.AddService("api-canary", 1, nil)
	r.run(5500, 15*time.Second)
	if got := r.cloud.Desired("api-canary"); got < 2 {
		t.Errorf("re-created canary at %d under 5,500 rps, want scaled out again", got)
	}
}

// Finding 4: one router whose counters jumped by 10⁹ sent every service to its maximum for half an hour.
func TestAbsurdRouterCountsAsMissing(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	r.routers.Add("r0", 1_000_000_000)
	r.step(1000)
	st := r.d.Status()
	found := false
	for _, m := range st.Targets.Missing {
		if m.TaskID == "r0" && m.Status == string(nginxstat.StatusImplausible) && strings.Contains(m.Error, "implausible") {
			found = true
		}
	}
	if !found {
		t.Errorf("r0 not shown as implausible in /status: %+v", st.Targets)
	}
	if st.LoadRPS > 2000 {
		t.Errorf("load %v rps after the jump, want the real ~1000", st.LoadRPS)
	}
	r.run(1000, 5*time.Minute)
	for _, name := range []string{"router", "api", "api-canary"} {
		if ups := r.updates(name); len(ups) > 0 {
			t.Errorf("%s scaled to %d by an absurd router", name, ups[0].Count)
		}
	}
	if r.logs.FilterMessageSnippet("implausible stub_status counters").Len() == 0 {
		t.Error("no warning naming the implausible router")
	}
}

// Finding 5: in AAS mode, a refused TagResource left MinCapacity where it was, and AAS halved the scale-out.
func TestAASRaisesMinCapacityWhenTagsAreRefused(t *testing.T) {
	r := newRig(t, rigOptions{scaling: true})
	r.scaling.Register("api", 4, 60)
	r.run(1000, fleettest.WarmUp)
	denied := errors.New("AccessDeniedException: not authorized to perform ecs:TagResource")
	r.cloud.FailWith(fake.OpTag, func(int) error { return denied })
	apiTags := func() (n int) {
		for _, c := range r.cloud.Calls(fake.OpTag) {
			if c.Service == "api" {
				n++
			}
		}
		return n
	}
	tags := apiTags()
	r.surge(60)
	out := r.cloud.Desired("api")
	if tg, _ := r.scaling.Target("api"); out < 10 || tg.Min != out {
		t.Fatalf("api desired %d, MinCapacity %d: want MinCapacity raised with the scale-out though the tags were refused", out, tg.Min)
	}
	if st := r.d.Status(); st.AAS == nil || st.AAS.Unrecorded["api"] != 4 {
		t.Errorf("/status does not show the owner's minimum 4 kept in memory: %+v", st.AAS)
	}
	r.run(5500, 2*time.Minute)
	n := apiTags() - tags
	t.Logf("%d TagResource calls for api in 3 minutes of refusals", n)
	if n > 20 {
		t.Errorf("%d TagResource calls for api in 3 minutes of refusals, want backoff (≤ 20)", n)
	}
	// Scale-in keeps to the owner's minimum from memory while the tags are missing.
	r.run(1000, 40*time.Minute)
	if tg, _ := r.scaling.Target("api"); tg.Min != 4 || r.cloud.Desired("api") != 4 {
		t.Errorf("after the surge: MinCapacity %d, desired %d; want back at the owner's 4", tg.Min, r.cloud.Desired("api"))
	}
	for _, c := range r.scaling.Calls(fake.OpSetMin) {
		if c.Count < 4 {
			t.Errorf("MinCapacity set to %d, below the owner's 4", c.Count)
		}
	}
	// The tags are accepted again: the record is written.
	r.cloud.FailWith(fake.OpTag, nil)
	r.scaling.Register("api", 4, 60)
	r.surge(60)
	r.run(5500, 2*time.Minute)
	if got, _ := durable.Decode(r.cloud.TagsOf("api")); !got.AAS.HasOwner || got.AAS.Owner != 4 {
		t.Errorf("owner's minimum recorded %+v once tagging works, want 4", got.AAS)
	}
}

// Finding 6: a timed pause that expired started no cooldown, so the count an SRE set during it was cut at once.
func TestExpiredPauseStartsTheCooldown(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	pauseEnd := r.clock.Now().Add(5 * time.Minute)
	r.cloud.SetTags("api", durable.Encode(durable.State{Paused: true, PauseUntil: pauseEnd}))
	r.cloud.SetCount("api", 20) // by hand, during the pause
	r.run(1000, pauseEnd.Sub(r.clock.Now())+9*time.Minute)
	if got := r.cloud.Desired("api"); got != 20 {
		t.Fatalf("api at %d 9 minutes after its pause expired, want the 20 set by hand kept for the 10-minute cooldown", got)
	}
	r.run(1000, 30*time.Minute)
	if got := r.cloud.Desired("api"); got != 4 {
		t.Errorf("api at %d long after the cooldown, want scaled in to 4", got)
	}
}

// Finding 7: FASTSCALER_MIN_TASKS=router:0 was accepted, and on a quiet night the router never came back.
func TestRouterMinimumZeroIsRefused(t *testing.T) {
	_, err := autoscaler.LoadConfig([]string{
		"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250", "FASTSCALER_MIN_TASKS=router:0,api:0",
	})
	if err == nil || !strings.Contains(err.Error(), "FASTSCALER_MIN_TASKS") || !strings.Contains(err.Error(), "router:0") {
		t.Fatalf("router minimum 0: error %v, want one naming FASTSCALER_MIN_TASKS router:0", err)
	}
	if strings.Contains(err.Error(), "api:0") {
		t.Errorf("api:0 (not the router) refused too: %v", err)
	}
}

// Finding 8: a misspelt FASTSCALER_ROUTER_SERVICE started, stayed healthy for 10+ minutes, and logged a sentinel age.
// A name one edit from a scaled service is refused when the configuration loads (package config); this one is
// far from every scaled service, so only ECS can say it does not exist.
func TestMisspeltRouterServiceIsAConfigError(t *testing.T) {
	r := newRig(t, rigOptions{env: []string{"FASTSCALER_ROUTER_SERVICE=edge-routr"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a daemon that starts runs until then
	defer cancel()
	err := r.d.Run(ctx)
	var ce autoscaler.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "FASTSCALER_ROUTER_SERVICE") || !strings.Contains(err.Error(), "edge-routr") {
		t.Fatalf("Run with a router service ECS does not know: %v, want a ConfigError naming it", err)
	}
}

// Finding 8, continued: a daemon that cannot see any router turns unhealthy, says why, and logs no sentinel.
func TestBlindDaemonTurnsUnhealthy(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.cloud.FailWith(fake.OpRouterTargets, func(int) error { return errors.New("AccessDeniedException: ecs:ListTasks") })
	r.cloud.FailWith(fake.OpServices, func(int) error { return fake.ErrThrottled })
	r.run(1000, 30*time.Second)
	if ok, why := r.d.Healthy(r.clock.Now()); !ok {
		t.Fatalf("unhealthy after 30 s (%s), want healthy within BlindLimit", why)
	}
	r.run(1000, autoscaler.BlindLimit)
	ok, why := r.d.Healthy(r.clock.Now())
	if ok || !strings.Contains(why, "no router discovery has succeeded") || !strings.Contains(why, "ListTasks") {
		t.Errorf("Healthy = %v, %q after %s without discovery; want 503 with the reason", ok, why, r.clock.Now().Sub(rigT0))
	}
	if st := r.d.Status(); !strings.Contains(st.Blind, "no router discovery") || st.Reads["discovery"].Error == "" {
		t.Errorf("/status blind %q, reads %+v: want the reason and the failing read", st.Blind, st.Reads)
	}
	for _, e := range r.logs.All() {
		for _, f := range e.Context {
			if f.Key == "age" && time.Duration(f.Integer) > 24*time.Hour {
				t.Errorf("log %q has age %s: a sentinel", e.Message, time.Duration(f.Integer))
			}
		}
	}
	// Discovery works, but every router stops answering: blind again after BlindLimit.
	r.cloud.FailWith(fake.OpRouterTargets, nil)
	r.cloud.FailWith(fake.OpServices, nil)
	r.run(1000, 10*time.Second)
	if ok, why := r.d.Healthy(r.clock.Now()); !ok {
		t.Fatalf("unhealthy with routers reporting: %s", why)
	}
	for _, id := range []string{"r0", "r1"} {
		r.routers.Down(id, errors.New("connection refused"))
	}
	r.run(1000, autoscaler.BlindLimit+2*time.Second)
	if ok, why := r.d.Healthy(r.clock.Now()); ok || !strings.Contains(why, "no router task has reported") {
		t.Errorf("Healthy = %v, %q with every router down past BlindLimit", ok, why)
	}
}

// Finding 3, continued: deleted while ECS reads fail, the canary is first decided from a read taken before; the
// refused UpdateService takes it out of the decision at once, instead of a refused call every tick.
func TestServiceDeletedUnseenLeavesOnTheRefusedUpdate(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	r.cloud.FailWith(fake.OpServices, func(int) error { return fake.ErrThrottled })
	r.cloud.Delete("api-canary")
	r.surge(30)
	var refused int
	for _, c := range r.cloud.Calls(fake.OpSetDesired) {
		if c.Service == "api-canary" {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d UpdateService calls on the deleted canary, want the one that found it gone", refused)
	}
	if st := r.d.Status().Services["api-canary"]; st.Gone == "" {
		t.Errorf("canary not shown gone after ECS refused its update: %+v", st)
	}
	if got := r.cloud.Desired("api"); got <= 4 {
		t.Errorf("api at %d, want scaled out beside the deleted canary", got)
	}
}

// waitUntil spins (no sleep) until cond holds, failing after a generous real-time limit: for steps that happen in
// background goroutines the test has released.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Review finding: a refresh that started while fastscaler's own UpdateService was in flight, and answered after it
// landed, overwrote the new count with the old one; with the next re-read failing, the daemon "scaled out" from
// that read to less than it had just set.
func TestARefreshRacingOurUpdateDoesNotUndoIt(t *testing.T) {
	r := newRig(t, rigOptions{warm: true})
	releaseSet := r.cloud.Gate(fake.OpSetDesired)
	releaseTag := r.cloud.Gate(fake.OpTag) // lets the test see when the lane has recorded its update
	defer releaseSet()
	defer releaseTag()
	i := 0
	var quiet chan struct{}
	for ; r.cloud.Waiting(fake.OpSetDesired) == 0; i++ {
		if i > 60 {
			t.Fatal("no scale-out decided in a minute of surge")
		}
		r.load(rampAt(1000, i))
		r.d.Tick(context.Background())
		quiet = make(chan struct{})
		go func() { r.d.Quiesce(); close(quiet) }() // returns once the held UpdateService is released
		waitUntil(t, "the tick's background work", func() bool {
			select {
			case <-quiet:
				return true
			default:
				return r.cloud.Waiting(fake.OpSetDesired) > 0
			}
		})
	}
	// UpdateService is in flight; the next refresh reads ECS now (the old count) and is slow to answer.
	releaseServices := r.cloud.Gate(fake.OpServices)
	defer releaseServices()
	for range 6 { // a refresh falls due every 5 s
		i++
		r.load(rampAt(1000, i))
		r.d.Tick(context.Background())
	}
	waitUntil(t, "a refresh to start", func() bool { return r.cloud.Waiting(fake.OpServices) > 0 })
	releaseSet()
	waitUntil(t, "the lane to record its update", func() bool { return r.cloud.Waiting(fake.OpTag) > 0 })
	set := r.cloud.Desired("api")
	releaseServices() // the refresh that started before the update landed answers now, with the old count
	releaseTag()
	<-quiet
	r.d.Quiesce()
	r.cloud.FailWith(fake.OpServices, func(int) error { return fake.ErrThrottled }) // re-reads fail from now on
	for range 5 {
		i++
		r.step(rampAt(1000, i))
	}
	for _, c := range r.updates("api") {
		if c.Count < set {
			t.Errorf("api set to %d after fastscaler itself set %d: its own update was undone", c.Count, set)
		}
	}
}
