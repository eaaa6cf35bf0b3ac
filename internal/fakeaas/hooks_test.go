package fakeaas_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// RegisterScalableTarget "changes the resource's current capacity to a value that is inside of this range".
func TestRegisterMovesDesiredIntoRange(t *testing.T) {
	tests := []struct {
		name     string
		existing bool // router registered as 2..10 beforehand
		desired  int
		min, max *int32
		want     *int // desired count set, nil for none
	}{
		{name: "new target above the count raises it to MinCapacity", desired: 2, min: i32(4), max: i32(10), want: ptr(4)},
		{name: "new target below the count lowers it to MaxCapacity", desired: 12, min: i32(4), max: i32(10), want: ptr(10)},
		{name: "new target around the count leaves it", desired: 5, min: i32(4), max: i32(10)},
		{name: "raising MinCapacity above the count", existing: true, desired: 5, min: i32(8), want: ptr(8)},
		{name: "lowering MaxCapacity below the count", existing: true, desired: 5, max: i32(3), want: ptr(3)},
		{name: "lowering MinCapacity leaves the count", existing: true, desired: 5, min: i32(0)},
		{name: "MinCapacity equal to the count leaves it", existing: true, desired: 5, min: i32(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svcs := newServices(map[string]int{router: tc.desired})
			s := fakeaas.New(hooked(svcs, clock.NewFake(t0)))
			if tc.existing {
				s.AddTarget(router, 2, 10)
			}
			c := serve(t, s)
			register(t, c, router, tc.min, tc.max)

			want, wantLog := tc.desired, []string(nil)
			if tc.want != nil {
				want, wantLog = *tc.want, []string{fmt.Sprintf("%s=%d", router, *tc.want)}
			}
			if got := svcs.get(router); got != want {
				t.Errorf("desired count %d, want %d", got, want)
			}
			if diff := cmp.Diff(wantLog, svcs.setLog()); diff != "" {
				t.Errorf("SetDesired calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, s.Calls()[0].SetDesired); diff != "" {
				t.Errorf("Call.SetDesired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegisterHookFailures(t *testing.T) {
	ctx := context.Background()

	// AAS refuses a target for a service that does not exist; here, one Options.Desired cannot read.
	svcs := newServices(map[string]int{router: 1})
	s := fakeaas.New(hooked(svcs, clock.NewFake(t0)))
	c := serve(t, s)
	_, err := c.RegisterScalableTarget(ctx, registerInput("service/prod/web", i32(2), i32(4)))
	awstest.WantAPIError[*types.ValidationException](t, err, "cannot read the desired count of ECS service service/prod/web (Options.Desired: no ECS service service/prod/web)")
	if _, ok := s.Target("service/prod/web"); ok {
		t.Errorf("a target was registered for a service that does not exist")
	}

	// A failing SetDesired is a 500, which the SDK retries; nothing is registered.
	svcs.setErr = errors.New("ecs: access denied")
	_, err = c.RegisterScalableTarget(ctx, registerInput(router, i32(2), i32(4)))
	awstest.WantAPIError[*types.InternalServiceException](t, err, "ecs: access denied")
	if _, ok := s.Target(router); ok {
		t.Errorf("a target was registered although its capacity could not be set")
	}
	var attempts []string
	for _, call := range s.Calls()[1:] {
		attempts = append(attempts, call.Op+" "+call.Err)
	}
	want := []string{"RegisterScalableTarget InternalServiceException", "RegisterScalableTarget InternalServiceException", "RegisterScalableTarget InternalServiceException"}
	if diff := cmp.Diff(want, attempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestRegisterWithoutHooks(t *testing.T) {
	// No hooks: any well-formed resource ID is accepted and no capacity moves.
	c := serve(t, fakeaas.New(fakeaas.Options{}))
	register(t, c, "service/prod/anything", i32(3), i32(5))

	// Desired alone still checks that the service exists, but cannot move its capacity.
	svcs := newServices(map[string]int{router: 1})
	s := fakeaas.New(fakeaas.Options{Desired: svcs.Desired})
	c = serve(t, s)
	register(t, c, router, i32(3), i32(5))
	if got := svcs.get(router); got != 1 {
		t.Errorf("desired count %d, want it left at 1 without SetDesired", got)
	}
	_, err := c.RegisterScalableTarget(context.Background(), registerInput(api, i32(3), i32(5)))
	awstest.WantAPIError[*types.ValidationException](t, err, "no ECS service service/prod/api")
}

// TestFightWithDirectAutoscaler wires the fake to fakeecs, as AAS is wired to ECS, and plays the fight of
// issue 7: an autoscaler that only calls UpdateService has its capacity cut by AAS's target tracking, and
// one that raises MinCapacity keeps it.
func TestFightWithDirectAutoscaler(t *testing.T) {
	clk := clock.NewFake(t0)
	ctx := context.Background()
	ecsSrv := fakeecs.New(fakeecs.Options{Now: clk.Now})
	ecsSrv.AddService("prod", "router", 4, nil)
	ecsURL, err := ecsSrv.Start()
	if err != nil {
		t.Fatalf("fakeecs Start: %v", err)
	}
	t.Cleanup(ecsSrv.Close)
	ecsClient := ecs.NewFromConfig(awstest.Config(ecsURL))
	desiredOf := func(id string) (int, error) {
		cluster, service, ok := fakeaas.SplitResourceID(id)
		if !ok {
			return 0, fmt.Errorf("%q is not an ECS service resource ID", id)
		}
		snap, ok := ecsSrv.Service(cluster, service)
		if !ok {
			return 0, fmt.Errorf("no ECS service %s", id)
		}
		return snap.DesiredCount, nil
	}
	updateService := func(id string, n int) error { // what AAS does, through ecs:UpdateService
		cluster, service, _ := fakeaas.SplitResourceID(id)
		_, err := ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String(cluster), Service: aws.String(service), DesiredCount: aws.Int32(int32(n)),
		})
		return err
	}
	s := fakeaas.New(fakeaas.Options{Now: clk.Now, Desired: desiredOf, SetDesired: updateService})
	c := serve(t, s)
	desired := func() int {
		t.Helper()
		n, err := desiredOf(router)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The owner's set-up: 2..10 tasks, CPU at 50%.
	register(t, c, router, i32(2), i32(10))
	putPolicy(t, c, cpuPolicy(router, "cpu50", 50, nil))

	// Without AAS mode: a surge, the direct autoscaler doubles the service, the CPU per task halves, AAS's
	// low alarm fires and it scales in to its own number.
	if err := updateService(router, 8); err != nil {
		t.Fatalf("direct UpdateService: %v", err)
	}
	if changed, n, err := s.Evaluate(router, 25); err != nil || !changed || n != 4 || desired() != 4 {
		t.Fatalf("AAS after the direct scale-out: %v, %d, %v; ECS at %d; want the 8 tasks cut to 4", changed, n, err, desired())
	}

	// With AAS mode: the autoscaler raises MinCapacity instead, and AAS itself sets the count at once.
	clk.Advance(10 * time.Minute)
	register(t, c, router, i32(8), nil)
	if desired() != 8 {
		t.Fatalf("ECS at %d after MinCapacity 8, want 8", desired())
	}
	if changed, n, err := s.Evaluate(router, 25); err != nil || changed || n != 8 || desired() != 8 {
		t.Errorf("AAS under MinCapacity 8: %v, %d, %v; ECS at %d; want the 8 tasks kept", changed, n, err, desired())
	}

	// The surge over, the autoscaler restores the owner's MinCapacity and AAS is in charge again.
	register(t, c, router, i32(2), nil)
	if changed, n, err := s.Evaluate(router, 25); err != nil || !changed || n != 4 {
		t.Errorf("AAS after MinCapacity 2: %v, %d, %v; want a scale-in to 4", changed, n, err)
	}
	if snap, _ := ecsSrv.Service("prod", "router"); snap.DesiredCount != 4 || snap.RunningCount != 4 {
		t.Errorf("ECS router: desired %d, running %d; want 4 and 4", snap.DesiredCount, snap.RunningCount)
	}
}

// TestInjectedFaultChangesNothing: a FailNext failure (awsfake's tests cover the queue) answers before the
// operation runs, so the capacity moved once, by the retry that succeeded.
func TestInjectedFaultChangesNothing(t *testing.T) {
	svcs := newServices(map[string]int{router: 2})
	s := fakeaas.New(hooked(svcs, clock.NewFake(t0)))
	s.AddTarget(router, 2, 10)
	c := serve(t, s)
	s.FailNext("RegisterScalableTarget", "InternalServiceException", 500, 1)
	register(t, c, router, i32(6), nil)
	if diff := cmp.Diff([]string{router + "=6"}, svcs.setLog()); diff != "" {
		t.Errorf("SetDesired calls (-want +got):\n%s", diff)
	}
}

// TestConcurrentUse runs an autoscaler's reads and writes, AAS's evaluations and a test's inspection at
// once; run with -race it checks the Server's locking.
func TestConcurrentUse(t *testing.T) {
	clk, svcs, s, c := routerAndAPI(t)
	ctx := context.Background()

	const rounds = 25
	awstest.Concurrently(t, rounds,
		func(int) error { // discovery
			p := aas.NewDescribeScalableTargetsPaginator(c, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(1)})
			for p.HasMorePages() {
				if _, err := p.NextPage(ctx); err != nil {
					return err
				}
			}
			_, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs})
			return err
		},
		func(i int) error { // AAS mode raising and restoring MinCapacity
			_, err := c.RegisterScalableTarget(ctx, registerInput([]string{router, api}[i%2], aws.Int32(int32(1+i%5)), nil))
			return err
		},
		func(i int) error { // AAS's alarms
			_, _, err := s.Evaluate(router, float64(10+(i*37)%120))
			return err
		},
		func(i int) error { // the test stepping time and looking
			clk.Advance(time.Minute)
			s.Calls()
			s.Target(router)
			if i == rounds/2 {
				s.FailNext("DescribeScalableTargets", "ThrottlingException", 400, 1)
			}
			return nil
		})

	for _, id := range []string{router, api} {
		snap, _ := s.Target(id)
		if d := svcs.get(id); d < snap.MinCapacity || d > snap.MaxCapacity {
			t.Errorf("%s: desired %d outside its range %d..%d", id, d, snap.MinCapacity, snap.MaxCapacity)
		}
	}
}
