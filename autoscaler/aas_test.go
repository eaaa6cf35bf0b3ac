package autoscaler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"go.uber.org/zap/zapcore"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// The api service's share of the router's load (FASTSCALER_WEIGHTS api:90) and its capacity per task
// (FASTSCALER_CAPACITY api:250, at 70% CPU) in every daemontest Unit.
const (
	apiShare    = 0.9
	apiCapacity = 250.0
)

// apiCPU is the average CPU of the api service's tasks at the router load rps: capacity is defined at 70% CPU.
func apiCPU(u *daemontest.Unit, rps float64) float64 {
	return 70 * rps * apiShare / apiCapacity / float64(u.Desired("api"))
}

// evaluate fires AAS's target tracking policy on api, as its CloudWatch alarm would, with the CPU of the load.
func evaluate(t *testing.T, u *daemontest.Unit, rps float64) {
	t.Helper()
	if _, _, err := u.AAS.Evaluate(daemontest.ResourceID("api"), apiCPU(u, rps)); err != nil {
		t.Fatal(err)
	}
}

// newAASUnit returns a Unit whose api service has a scalable target: the owner's MinCapacity minCap, MaxCapacity
// maxCap, and target tracking at 70% CPU.
func newAASUnit(t *testing.T, minCap, maxCap int) *daemontest.Unit {
	return daemontest.New(t, daemontest.Options{Scalable: map[string]daemontest.Scalable{"api": {Min: minCap, Max: maxCap, TargetCPU: 70}}})
}

// rampTo5000 steps the load from 1400 to 5000 rps by 400 each second, then holds 5000 rps for 3 s.
func rampTo5000(u *daemontest.Unit) {
	for rps := 1400.0; rps <= 5000; rps += 400 {
		u.Step(rps)
	}
	u.Run(5000, 3*time.Second)
}

// runWithAASAlarm runs d at 1000 rps, firing AAS's policy on api every minute as its scale-in alarm would.
func runWithAASAlarm(t *testing.T, u *daemontest.Unit, d time.Duration) {
	t.Helper()
	for range int(d / time.Minute) {
		u.Run(1000, time.Minute)
		evaluate(t, u, 1000)
	}
}

// expectProtected checks that api's MinCapacity is want, and that AAS's policy, fired at 1000 rps, leaves api there.
func expectProtected(t *testing.T, u *daemontest.Unit, want int, when string) {
	t.Helper()
	if m := u.MinCapacity("api"); m != want {
		t.Fatalf("MinCapacity %d %s, want %d", m, when, want)
	}
	evaluate(t, u, 1000)
	if got := u.Desired("api"); got != want {
		t.Errorf("AAS cut api to %d %s, want %d", got, when, want)
	}
}

// surge takes a Unit at 1000 rps with full windows through a ramp to 5000 rps and returns the api count the
// daemon scaled out to.
func surge(t *testing.T, u *daemontest.Unit) int {
	t.Helper()
	u.Run(1000, fleettest.WarmUp)
	if got := u.Desired("api"); got != 4 {
		t.Fatalf("api desired %d before the surge, want 4", got)
	}
	rampTo5000(u)
	out := u.Desired("api")
	if out < 12 {
		t.Fatalf("api desired %d after a 5x ramp, want a surge scale-out", out)
	}
	return out
}

// minCapacities returns the MinCapacity of every RegisterScalableTarget call on a service, in order.
func minCapacities(u *daemontest.Unit, service string) []int {
	return minCapacitiesIn(u.AAS.Calls(), service)
}

// minCapacitiesIn is minCapacities over the given calls.
func minCapacitiesIn(calls []fakeaas.Call, service string) []int {
	var out []int
	for _, c := range calls {
		if c.Op == "RegisterScalableTarget" && c.Err == "" && c.ResourceID == daemontest.ResourceID(service) && c.MinCapacity != nil {
			out = append(out, *c.MinCapacity)
		}
	}
	return out
}

// TestAASFight reproduces what an autoscaler that only calls UpdateService suffers beside Application Auto
// Scaling: right after the surge scale-out the new tasks are idle, CPU per task falls, and AAS's target
// tracking cuts the count back to its own number while the load is still climbing. AAS mode raises
// MinCapacity with the scale-out, and the same evaluation keeps every task.
func TestAASFight(t *testing.T) {
	for _, aasMode := range []bool{false, true} {
		name := map[bool]string{false: "without AAS mode", true: "AAS mode"}[aasMode]
		t.Run(name, func(t *testing.T) {
			u := daemontest.New(t, daemontest.Options{
				Scalable:       map[string]daemontest.Scalable{"api": {Min: 4, Max: 60, TargetCPU: 70}},
				WithoutAASMode: !aasMode,
			})
			out := surge(t, u)
			evaluate(t, u, 5000) // CPU spread over tasks that are mostly idle or still starting: far below 70%
			got := u.Desired("api")
			if !aasMode {
				if got >= out {
					t.Fatalf("without AAS mode AAS left api at %d after fastscaler's %d: the fight is not reproduced", got, out)
				}
				t.Logf("without AAS mode: fastscaler set api to %d, AAS cut it to %d", out, got)
				return
			}
			if got != out {
				t.Fatalf("in AAS mode AAS moved api from fastscaler's %d to %d", out, got)
			}
			if m := u.MinCapacity("api"); m != out {
				t.Errorf("MinCapacity %d after the scale-out to %d, want them equal", m, out)
			}
			if rec := serviceState(t, u, "api").AAS; rec.Owner != 4 || rec.From != out || rec.To != out {
				t.Errorf("api AAS record %+v, want the owner's MinCapacity 4 and the set %d recorded", rec, out)
			}
		})
	}
}

// TestAASScaleInRestoresOwnerMin: after the surge, the daemon lowers MinCapacity step by step back to the
// owner's, AAS scales in within it, and services without a scalable target scale as before.
func TestAASScaleInRestoresOwnerMin(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	out := surge(t, u)
	runWithAASAlarm(t, u, 40*time.Minute)
	if m := u.MinCapacity("api"); m != 4 {
		t.Errorf("MinCapacity %d after the surge, want the owner's 4 back", m)
	}
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d after the surge, want 4", got)
	}
	mins := minCapacities(u, "api") // raises with each scale-out of the ramp up to the peak, then steps down
	peak := slices.Index(mins, slices.Max(append(mins, 0)))
	if len(mins) < 3 || mins[peak] != out || !slices.IsSorted(mins[:peak+1]) {
		t.Fatalf("MinCapacity moves %v, want raises up to %d and then several steps down", mins, out)
	}
	for i := peak + 1; i < len(mins); i++ {
		if mins[i] >= mins[i-1] || mins[i] < 4 {
			t.Fatalf("MinCapacity moves %v: after the raise each must step down, never below the owner's 4", mins)
		}
		if mins[i] < mins[i-1]*4/5 {
			t.Errorf("MinCapacity moves %v: a step from %d to %d is more than FASTSCALER_SCALE_IN_STEP's 20%%", mins, mins[i-1], mins[i])
		}
	}
	if rec := serviceState(t, u, "api").AAS; rec.Present {
		t.Errorf("api still has an AAS record %+v after MinCapacity went back to the owner's", rec)
	}
	// Services without a scalable target: plain UpdateService mode, no AAS call about them.
	for _, c := range u.AAS.Calls() {
		if c.Op == "RegisterScalableTarget" && c.ResourceID != daemontest.ResourceID("api") {
			t.Errorf("RegisterScalableTarget on %s, which has no scalable target", c.ResourceID)
		}
	}
	scaled := map[string]bool{}
	for _, c := range u.Updates() {
		scaled[c.Service] = true
	}
	if !scaled["router"] || !scaled["api-canary"] {
		t.Errorf("router or api-canary never updated (%v): plain mode broken beside AAS mode", scaled)
	}
}

// TestAASOwnerMinNeverUndercut: the owner's MinCapacity (6) is above fastscaler's FASTSCALER_MIN_TASKS (4). A
// daemon that restarts while MinCapacity is raised finds the owner's value in the tags, and the scale-in stops
// there; when the owner changes MinCapacity meanwhile, the new value is the owner's.
func TestAASOwnerMinNeverUndercut(t *testing.T) {
	for _, ownerChanges := range []bool{false, true} {
		t.Run(map[bool]string{false: "restart", true: "owner raises MinCapacity"}[ownerChanges], func(t *testing.T) {
			u := newAASUnit(t, 6, 60)
			u.Run(1000, fleettest.WarmUp)
			if got := u.Desired("api"); got != 4 {
				t.Fatalf("api desired %d, want fastscaler's 4 (AAS has not acted yet)", got)
			}
			evaluate(t, u, 1000) // AAS raises the count to its MinCapacity 6
			rampTo5000(u)
			out := u.Desired("api")
			if m := u.MinCapacity("api"); out < 12 || m != out {
				t.Fatalf("after the surge api desired %d, MinCapacity %d; want a scale-out with MinCapacity raised to it", out, m)
			}
			u.Restart()
			owner := 6
			if ownerChanges {
				owner = 10
				registerMin(t, u, "api", owner)
			}
			runWithAASAlarm(t, u, 40*time.Minute)
			if m := u.MinCapacity("api"); m != owner {
				t.Errorf("MinCapacity %d after the surge, want the owner's %d", m, owner)
			}
			if got := u.Desired("api"); got != owner {
				t.Errorf("api desired %d after the surge, want the owner's minimum %d", got, owner)
			}
			for _, m := range minCapacities(u, "api") {
				if m < 6 {
					t.Errorf("fastscaler set MinCapacity %d, below the owner's 6 (moves %v)", m, minCapacities(u, "api"))
				}
			}
			for _, c := range u.Updates() {
				if c.Service == "api" && *c.DesiredCount < owner && c.Time.After(daemontest.T0.Add(7*time.Minute)) {
					t.Errorf("fastscaler set api to %d after the surge, below the owner's minimum %d", *c.DesiredCount, owner)
				}
			}
		})
	}
}

// TestAASMinRaiseRetried: a failed MinCapacity raise is retried next tick, not left for AAS to undo.
func TestAASMinRaiseRetried(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.Run(1000, fleettest.WarmUp)
	u.AAS.FailNext("RegisterScalableTarget", "ConcurrentUpdateException", 400, 1)
	rampTo5000(u)
	out := u.Desired("api")
	if m := u.MinCapacity("api"); out < 12 || m < out {
		t.Fatalf("api desired %d, MinCapacity %d: the failed raise was not retried", out, m)
	}
}

// TestAASMaxCapsScaleOut: a scalable target's MaxCapacity bounds fastscaler's scale-out.
func TestAASMaxCapsScaleOut(t *testing.T) {
	u := newAASUnit(t, 4, 9)
	u.Run(1000, fleettest.WarmUp)
	rampTo5000(u)
	if got, m := u.Desired("api"), u.MinCapacity("api"); got != 9 || m != 9 {
		t.Errorf("api desired %d, MinCapacity %d; want both at MaxCapacity 9", got, m)
	}
	if !decided(u, "api", "capped at the scalable target's MaxCapacity 9") {
		t.Error("no decision saying MaxCapacity capped the scale-out")
	}
}

// registerMin sets a service's MinCapacity as its owner (Terraform, a person) would, with a RegisterScalableTarget
// of its own: not through the adapter under test.
func registerMin(t *testing.T, u *daemontest.Unit, service string, minCapacity int) {
	t.Helper()
	_, err := daemontest.AASClient(u.AASURL).RegisterScalableTarget(context.Background(), &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId:        aws.String(daemontest.ResourceID(service)),
		MinCapacity:       aws.Int32(int32(minCapacity)),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serviceState returns the durable state in a service's tags as the ECS fake holds them.
func serviceState(t *testing.T, u *daemontest.Unit, service string) durable.State {
	t.Helper()
	s, ok := u.ECS.Service(daemontest.Cluster, service)
	if !ok {
		t.Fatalf("no service %s", service)
	}
	d, errs := durable.Decode(s.Tags)
	if len(errs) > 0 {
		t.Fatalf("%s's tags %v: %v", service, s.Tags, errs)
	}
	return d
}

// TestAASKeepsItsOwnScaleOut: AAS scales api out on CPU that fastscaler cannot see (a heavier request mix). The
// tasks above fastscaler's MinCapacity are AAS's: fastscaler does not scale them in, in either direction of the fight.
func TestAASKeepsItsOwnScaleOut(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.Run(1000, fleettest.WarmUp)
	if _, n, err := u.AAS.Evaluate(daemontest.ResourceID("api"), 140); err != nil || n != 8 {
		t.Fatalf("AAS on CPU 140%%: %d, %v; want 8", n, err)
	}
	u.Run(1000, 20*time.Minute)
	if got := u.Desired("api"); got != 8 {
		t.Errorf("api desired %d, want AAS's 8 kept", got)
	}
	for _, c := range u.Updates() {
		if c.Service == "api" {
			t.Errorf("fastscaler set api to %d at %s over AAS's scale-out", *c.DesiredCount, c.Time.Format(time.TimeOnly))
		}
	}
	if !decided(u, "api", "Application Auto Scaling holds the count above fastscaler's MinCapacity 4") {
		t.Error("no decision saying AAS holds the count")
	}
}

// TestAASFloorHeldByDaemon: a floor whose MinCapacity raise never happened (the CLI lacked the permission, or
// the count was raised by hand) is put into MinCapacity by the daemon, and only while the floor lasts.
func TestAASFloorHeldByDaemon(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.Run(1000, time.Minute)
	setFloor(t, u, 12, 12, 20*time.Minute)
	u.Run(1000, 10*time.Second)
	if m := u.MinCapacity("api"); m != 12 {
		t.Fatalf("MinCapacity %d under a floor of 12, want 12", m)
	}
	u.Run(1000, 50*time.Minute)
	if m, got := u.MinCapacity("api"), u.Desired("api"); m != 4 || got != 4 {
		t.Errorf("after the floor: MinCapacity %d, desired %d; want 4 and 4", m, got)
	}
}

// aasCalls counts the successful and failed calls of op on the AAS fake since index from.
func aasCalls(u *daemontest.Unit, op string, from int) (n int) {
	for _, c := range u.AAS.Calls()[from:] {
		if c.Op == op {
			n++
		}
	}
	return n
}

// TestAASScaleInHoldsWhileTargetsUnknown: a daemon restarted while Application Auto Scaling refuses its lookups,
// and meanwhile the owner raises MinCapacity to 10. Not knowing the targets, the daemon must not scale in (it
// would undercut the owner's 10 in plain mode); once it can read them, it scales in to 10 and not below.
func TestAASScaleInHoldsWhileTargetsUnknown(t *testing.T) {
	u := newAASUnit(t, 6, 60)
	u.Run(1000, fleettest.WarmUp)
	evaluate(t, u, 1000) // AAS at its MinCapacity 6
	rampTo5000(u)
	u.Run(1000, 12*time.Minute) // the cooldown is over and the first scale-in steps are done
	stepped := u.Desired("api")
	if stepped >= u.MinCapacity("api")+1 || stepped < 10 {
		t.Fatalf("api desired %d, MinCapacity %d: want the scale-in under way and still above 10", stepped, u.MinCapacity("api"))
	}

	u.AAS.FailNext("DescribeScalableTargets", "AccessDeniedException", 400, 30)
	u.Restart()
	registerMin(t, u, "api", 10)
	heldFrom, calls := u.Clock.Now(), len(u.AAS.Calls())
	u.Run(1000, 4*time.Minute)
	for _, c := range u.Updates() {
		if c.Service == "api" && c.Time.After(heldFrom) {
			t.Fatalf("api → %d at %s while the scalable targets could not be read", *c.DesiredCount, c.Time.Format(time.TimeOnly))
		}
	}
	if n := aasCalls(u, "DescribeScalableTargets", calls); n > 4*6+1 {
		t.Errorf("%d lookups in 4 minutes of refusals, want at most one per discovery interval (25)", n)
	}
	if u.Logs.FilterMessageSnippet("no scale-in until it succeeds").Len() == 0 {
		t.Error("no warning that the lookup failed and scale-in holds")
	}

	// The refusals run out. The owner's change handed the count back to AAS: its policy scales in, to 10.
	runWithAASAlarm(t, u, 40*time.Minute)
	if m, got := u.MinCapacity("api"), u.Desired("api"); m != 10 || got != 10 {
		t.Errorf("after the refusals: MinCapacity %d, desired %d; want the owner's new 10 and 10", m, got)
	}
	if rec := serviceState(t, u, "api").AAS; rec.Present {
		t.Errorf("fastscaler's MinCapacity tags outlived the owner's change: %v", rec)
	}
	for _, c := range u.AAS.Calls()[calls:] {
		if c.Op == "RegisterScalableTarget" && c.MinCapacity != nil && *c.MinCapacity < 10 {
			t.Errorf("MinCapacity set to %d after the owner raised it to 10", *c.MinCapacity)
		}
	}
	for _, c := range u.Updates() {
		if c.Service == "api" && c.Time.After(heldFrom) && *c.DesiredCount < 10 {
			t.Errorf("api → %d below the owner's new minimum 10", *c.DesiredCount)
		}
	}
}

// TestAASPartialFailuresKeepOwnerMin: MinCapacity moves fail part-way (the tags are written, the move is not),
// during the scale-out and during the scale-in. The owner's minimum survives every failure: the scale-in ends at
// it, with the tags cleaned up, instead of taking one of fastscaler's own raises for the owner's.
func TestAASPartialFailuresKeepOwnerMin(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.Run(1000, fleettest.WarmUp)
	u.AAS.FailNext("RegisterScalableTarget", "ConcurrentUpdateException", 400, 2)
	rampTo5000(u)
	if out, m := u.Desired("api"), u.MinCapacity("api"); m != out {
		t.Fatalf("api desired %d, MinCapacity %d after the surge: the failed raises were not retried", out, m)
	}
	u.Run(1000, 11*time.Minute)
	u.AAS.FailNext("RegisterScalableTarget", "ConcurrentUpdateException", 400, 1) // the next scale-in step's move
	u.Restart()                                                                   // and no memory of it
	u.Run(1000, 30*time.Minute)
	if m, got := u.MinCapacity("api"), u.Desired("api"); m != 4 || got != 4 {
		t.Errorf("MinCapacity %d, desired %d; want the owner's 4 and 4 (moves %v)", m, got, minCapacities(u, "api"))
	}
	if rec := serviceState(t, u, "api").AAS; rec.Present {
		t.Errorf("AAS tags left behind: %v", rec)
	}
}

// TestAASFloorRaiseRetried: the daemon's raise of MinCapacity to a floor fails once; it is retried, and AAS can
// then not scale below the floor.
func TestAASFloorRaiseRetried(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.Run(1000, time.Minute)
	setFloor(t, u, 12, 12, time.Hour)
	u.AAS.FailNext("RegisterScalableTarget", "ThrottlingException", 400, 1)
	u.Run(1000, 10*time.Second)
	expectProtected(t, u, 12, "under a floor of 12 after a failed raise")
}

// TestAASFailedScaleInStepIsRetried: the UpdateService of a scale-in step fails after nothing else moved; the
// step is retried, and the scale-in reaches the owner's minimum without any AAS evaluation.
func TestAASFailedScaleInStepIsRetried(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	surge(t, u)
	u.Run(1000, 10*time.Minute)
	u.ECS.FailNext("UpdateService", "ServerException", 500, 4) // the SDK retries: 4 failures are one failed call
	u.Run(1000, 30*time.Minute)
	if m, got := u.MinCapacity("api"), u.Desired("api"); m != 4 || got != 4 {
		t.Errorf("MinCapacity %d, desired %d; want 4 and 4 (moves %v)", m, got, minCapacities(u, "api"))
	}
}

// TestAASOwnerChangeHandsCountBack: after fastscaler's first scale-in step (MinCapacity 36 → 29), the owner sets
// MinCapacity to 36 again, the value fastscaler moved from. It is the owner's now: fastscaler must neither lower
// it nor scale in; AAS's own later scale-out is AAS's too; the tags go.
func TestAASOwnerChangeHandsCountBack(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	out := surge(t, u)
	for u.MinCapacity("api") == out {
		u.Step(1000)
	}
	registerMin(t, u, "api", out) // AAS moves the count into its new range at once
	changed, calls := u.Clock.Now(), len(u.AAS.Calls())
	u.Run(1000, 2*time.Minute)
	if _, n, err := u.AAS.Evaluate(daemontest.ResourceID("api"), 140); err != nil || n <= out {
		t.Fatalf("AAS scale-out on CPU 140%%: %d, %v; want above %d", n, err, out)
	}
	aasCount := u.Desired("api")
	u.Run(1000, 30*time.Minute)
	for _, c := range u.Updates() {
		if c.Service == "api" && c.Time.After(changed) {
			t.Errorf("fastscaler set api to %d at %s after the owner took MinCapacity back", *c.DesiredCount, c.Time.Format(time.TimeOnly))
		}
	}
	if n := len(minCapacities(u, "api")) - len(minCapacitiesIn(u.AAS.Calls()[:calls], "api")); n != 0 {
		t.Errorf("fastscaler moved MinCapacity %d times after the owner set it", n)
	}
	if m, got := u.MinCapacity("api"), u.Desired("api"); m != out || got != aasCount {
		t.Errorf("MinCapacity %d, desired %d; want the owner's %d and AAS's %d", m, got, out, aasCount)
	}
	if rec := serviceState(t, u, "api").AAS; rec.Present {
		t.Errorf("stale MinCapacity tags kept: %v", rec)
	}
}

// setFloor sets api's desired count and a pre-scale floor on it lasting d, as an SRE's tags alone would.
func setFloor(t *testing.T, u *daemontest.Unit, desired, floor int, d time.Duration) {
	t.Helper()
	setDesired(t, u, "api", desired)
	tagService(t, u, "api", durable.SetFloor(floor, u.Clock.Now().Add(d), "test"))
}

// TestAASRestartFinishesARecordedRaise: a daemon died after recording a raise to 36 in the tags and setting the
// count, but before MinCapacity moved. The next daemon finds the record and finishes the raise before AAS can cut.
func TestAASRestartFinishesARecordedRaise(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	setDesired(t, u, "api", 36)
	tagService(t, u, "api", durable.RecordAASMove(4, 4, 36))
	u.Run(1000, 15*time.Second)
	expectProtected(t, u, 36, "after the recorded raise to 36")
}

// TestAASScaleOutWhileTargetsUnknownIsProtected: a surge while the targets cannot be read; the scale-out's raise
// is retried until it can, so AAS cannot cut it afterwards.
func TestAASScaleOutWhileTargetsUnknownIsProtected(t *testing.T) {
	u := newAASUnit(t, 4, 60)
	u.AAS.FailNext("DescribeScalableTargets", "AccessDeniedException", 400, 100000)
	out := surge(t, u)
	u.AAS.ClearFaults()
	u.Run(5000, 20*time.Second)
	if m := u.MinCapacity("api"); m != out {
		t.Fatalf("MinCapacity %d after the lookups recovered, want the scale-out's %d", m, out)
	}
}

// TestAASBoundedCalls: a floor above MaxCapacity, and a RegisterScalableTarget that is always denied, must not
// turn into calls every tick.
func TestAASBoundedCalls(t *testing.T) {
	u := newAASUnit(t, 4, 9)
	u.Run(1000, time.Minute)
	setFloor(t, u, 9, 12, time.Hour)
	from := len(u.AAS.Calls())
	u.Run(1000, time.Minute)
	if m := u.MinCapacity("api"); m != 9 {
		t.Errorf("MinCapacity %d under a floor of 12 with MaxCapacity 9, want 9", m)
	}
	if n := aasCalls(u, "DescribeScalableTargets", from); n > 8 {
		t.Errorf("%d DescribeScalableTargets in a minute under a floor above MaxCapacity, want at most 8", n)
	}

	u = newAASUnit(t, 4, 60)
	u.Run(1000, time.Minute)
	u.AAS.FailNext("RegisterScalableTarget", "AccessDeniedException", 400, 100000)
	setFloor(t, u, 20, 20, time.Hour) // a floor of 20 the daemon may not put into MinCapacity
	from = len(u.AAS.Calls())
	u.Run(1000, time.Minute)
	if n := aasCalls(u, "RegisterScalableTarget", from); n == 0 || n > 10 {
		t.Errorf("%d RegisterScalableTarget attempts in a minute while denied, want some, with a backoff (at most 10)", n)
	}
}

// decided says whether a decision logged a reason for service containing want.
func decided(u *daemontest.Unit, service, want string) bool {
	for _, e := range u.Logs.FilterMessage("decision").All() {
		for _, f := range e.Context {
			if f.Key != "services" {
				continue
			}
			enc := zapcore.NewMapObjectEncoder()
			if err := enc.AddArray("s", f.Interface.(zapcore.ArrayMarshaler)); err != nil {
				continue
			}
			for _, v := range enc.Fields["s"].([]any) {
				m := v.(map[string]any)
				if m["service"] == service && strings.Contains(m["reason"].(string), want) {
					return true
				}
			}
		}
	}
	return false
}
