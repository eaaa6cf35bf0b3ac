package autoscaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// sre acts on ECS directly, as a person or the CLI would, between the daemon's reads.
func sre(t *testing.T, u *daemontest.Unit) *ecs.Client {
	t.Helper()
	return daemontest.ECSClient(u.ECSURL)
}

func setDesired(t *testing.T, u *daemontest.Unit, service string, n int) {
	t.Helper()
	if _, err := sre(t, u).UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String(daemontest.Cluster), Service: aws.String(service), DesiredCount: aws.Int32(int32(n)),
	}); err != nil {
		t.Fatal(err)
	}
}

// tagService makes a durable-state edit on a service as an SRE's tool would, through ECS's TagResource.
func tagService(t *testing.T, u *daemontest.Unit, service string, e durable.Edit) {
	t.Helper()
	snap, _ := u.ECS.Service(daemontest.Cluster, service)
	if err := e.Apply(context.Background(), autoscaler.NewECS(sre(t, u), daemontest.Cluster, 100), snap.ARN); err != nil {
		t.Fatal(err)
	}
}

// TestScaleOutNeverLowersACountRaisedMeanwhile: the daemon read api=4, an SRE raises it to 60, and the next tick
// sees a surge that calls for 36. The daemon must not set 36.
func TestScaleOutNeverLowersACountRaisedMeanwhile(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Warm: true})
	for !stepRefreshed(u, 1000) {
	}
	setDesired(t, u, "api", 60) // right after the daemon's read: the next tick decides from api=4
	u.Run(10000, 3*time.Second)
	if got := u.Desired("api"); got < 60 {
		t.Fatalf("api desired %d: a scale-out decided from a stale read lowered the SRE's 60", got)
	}
	for _, c := range u.Updates() {
		if c.Service == "api" && *c.DesiredCount < 60 {
			t.Fatalf("the daemon sent api → %d after the SRE set 60", *c.DesiredCount)
		}
	}
}

// TestScaleInRespectsAFloorSetMeanwhile: a scale-in step falls due just after an SRE set a floor at the current
// count (no UpdateService, so the count did not change). The daemon must not step below the floor.
func TestScaleInRespectsAFloorSetMeanwhile(t *testing.T) {
	// A scale-in interval of 61 s walks the steps' phase against the 5 s refresh, so one step falls between reads.
	u := daemontest.New(t, daemontest.Options{Desired: map[string]int{"router": 2, "api": 20, "api-canary": 1},
		Env: []string{"FASTSCALER_SCALE_IN_INTERVAL=61s"}, Warm: true}) // windows full; scaling in from 20 towards 4
	for tagged := false; !tagged; {
		lastDown := time.Time{}
		for lastDown.IsZero() {
			before := len(u.Updates())
			u.Step(1000)
			if len(u.Updates()) > before {
				lastDown = u.Clock.Now()
			}
		}
		// Step to just before the next step is due, noting whether the due tick would re-read anyway.
		refreshedAt := time.Time{}
		for u.Clock.Now().Add(time.Second).Before(lastDown.Add(61 * time.Second)) {
			if stepRefreshed(u, 1000) {
				refreshedAt = u.Clock.Now()
			}
		}
		if refreshedAt.IsZero() || u.Clock.Now().Add(time.Second).Sub(refreshedAt) >= 5*time.Second {
			continue // the due tick re-reads the tags first: no race to test in this round
		}
		cur := u.Desired("api")
		if cur <= 5 {
			t.Fatal("ran out of scale-in steps before finding a step between two reads")
		}
		tagService(t, u, "api", durable.SetFloor(cur, u.Clock.Now().Add(time.Hour), "test"))
		tagged = true
		taggedAt := u.Clock.Now()
		u.Run(1000, 3*time.Minute)
		for _, c := range u.Updates() {
			if c.Service == "api" && c.Time.After(taggedAt) && *c.DesiredCount < cur {
				t.Fatalf("api → %d at %s, below a floor of %d set between the daemon's read and its scale-in:%s",
					*c.DesiredCount, c.Time.Format(time.TimeOnly), cur, fleettest.DescribeUpdates(u.Updates()))
			}
		}
	}
}

// stepRefreshed steps once and reports whether that tick read every service from ECS.
func stepRefreshed(u *daemontest.Unit, rps float64) bool {
	count := func() int {
		n := 0
		for _, c := range u.ECS.Calls() {
			if c.Op == "DescribeServices" && len(c.Services) >= 3 {
				n++
			}
		}
		return n
	}
	before := count()
	u.Step(rps)
	return count() > before
}

// TestFailedScaleOutIsNotRetriedAfterAPause: a scale-out fails, the SRE pauses the service, the load falls. No
// stale retry may set the old count.
func TestFailedScaleOutIsNotRetriedAfterAPause(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Warm: true})
	u.ECS.FailNext("UpdateService", "AccessDeniedException", 400, 3)
	u.Step(10000)
	tagService(t, u, "api", durable.Pause(time.Time{}, "incident"))
	u.Run(1000, time.Minute)
	if got := u.Desired("api"); got != 4 {
		t.Fatalf("api desired %d after a failed scale-out, a pause and a calm load; want 4 (nothing applied)", got)
	}
}

// TestFrozenCountersNeverReadAsLowLoad: a router whose page never changes (a cached copy) is missing data.
func TestFrozenCountersNeverReadAsLowLoad(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Desired: map[string]int{"router": 2, "api": 40, "api-canary": 4}})
	u.Stubs[1].SetFrozen(true)
	u.Run(1000, 20*time.Minute)
	if ups := u.Updates(); len(ups) != 0 {
		t.Fatalf("scaled with a frozen router:%s", fleettest.DescribeUpdates(ups))
	}
	if st := u.D.Status(); st.Targets.Reporting != 1 || len(st.Targets.Missing) != 1 || st.Targets.Missing[0].Status != "frozen" {
		t.Errorf("status targets = %+v, want the frozen router missing", st.Targets)
	}
}

// TestDrainingRouterStillCountsAndLeavesQuietly: a router task that leaves discovery keeps serving its
// connections while it drains; its traffic still counts, and when it is gone it does not count as missing.
func TestDrainingRouterStillCountsAndLeavesQuietly(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Desired: map[string]int{"router": 3, "api": 4, "api-canary": 1}})
	u.Run(1000, time.Minute)
	snap, _ := u.ECS.Service(daemontest.Cluster, "router")
	if err := u.ECS.StopTask(daemontest.Cluster, snap.Tasks[2].ID); err != nil {
		t.Fatal(err)
	}
	// ECS replaces it; the stopped task's nginx keeps answering while it drains.
	u.Run(1000, 15*time.Second)
	st := u.D.Status()
	if st.Targets.Known < 4 {
		t.Errorf("known targets %d right after a router left discovery, want it still polled (≥ 4)", st.Targets.Known)
	}
	u.Stubs[2].SetDown(true) // drained and gone
	u.Run(1000, 15*time.Second)
	st = u.D.Status()
	for _, m := range st.Targets.Missing {
		if m.Address == u.Stubs[2].Addr {
			t.Errorf("a drained router that is gone counts as missing: %+v", m)
		}
	}
}
