package fakeaas_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

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
