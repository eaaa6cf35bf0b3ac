package fakeaas_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

// step is one alarm firing at t0+at. external, when set, is a desired count another autoscaler set just
// before.
type step struct {
	at          time.Duration
	external    *int
	metric      float64
	wantChanged bool
	wantDesired int
}

// TestEvaluate checks the target tracking model against hand-computed timelines. Every policy tracks a
// target of 50 (% CPU); the scale-in alarm fires below 45.
func TestEvaluate(t *testing.T) {
	tests := []struct {
		name      string
		min, max  int
		desired   int // at t0
		policy    func(*types.TargetTrackingScalingPolicyConfiguration)
		suspended *types.SuspendedState
		steps     []step
	}{
		{name: "scale-out in proportion: 4 × 75/50 = 6 exactly", min: 1, max: 20, desired: 4,
			steps: []step{{metric: 75, wantChanged: true, wantDesired: 6}}},
		{name: "a fraction of a task rounds up: 3 × 70/50 = 4.2", min: 1, max: 20, desired: 3,
			steps: []step{{metric: 70, wantChanged: true, wantDesired: 5}}},
		{name: "scale-out stops at MaxCapacity", min: 1, max: 10, desired: 4, steps: []step{
			{metric: 200, wantChanged: true, wantDesired: 10},      // 16, clamped
			{at: 10 * time.Minute, metric: 200, wantDesired: 10}}}, // 40, clamped: nothing to add
		{name: "scale-in in proportion: 10 × 20/50", min: 1, max: 20, desired: 10,
			steps: []step{{metric: 20, wantChanged: true, wantDesired: 4}}},
		{name: "scale-in stops at MinCapacity", min: 3, max: 20, desired: 10,
			steps: []step{{metric: 5, wantChanged: true, wantDesired: 3}}}, // 1, clamped
		{name: "a MinCapacity at the current count stops scale-in", min: 8, max: 20, desired: 8,
			steps: []step{{metric: 25, wantDesired: 8}}}, // 4, clamped to 8
		{name: "no scale-in within 10% below the target", min: 1, max: 20, desired: 10, steps: []step{
			{metric: 46, wantDesired: 10},                     // above 45: the low alarm does not fire
			{metric: 44, wantChanged: true, wantDesired: 9}}}, // 8.8
		{name: "metric at the target", min: 1, max: 20, desired: 4,
			steps: []step{{metric: 50, wantDesired: 4}}},
		{name: "DisableScaleIn blocks scale-in only", min: 1, max: 20, desired: 10,
			policy: func(c *types.TargetTrackingScalingPolicyConfiguration) { c.DisableScaleIn = aws.Bool(true) },
			steps: []step{
				{metric: 10, wantDesired: 10},
				{metric: 100, wantChanged: true, wantDesired: 20}}},
		{name: "scale-in cooldown of 300 s by default", min: 1, max: 20, desired: 10, steps: []step{
			{metric: 25, wantChanged: true, wantDesired: 5},
			{at: 299 * time.Second, metric: 20, wantDesired: 5},
			{at: 300 * time.Second, metric: 20, wantChanged: true, wantDesired: 2}}},
		{name: "a scale-out ends the scale-in cooldown", min: 1, max: 20, desired: 10, steps: []step{
			{metric: 25, wantChanged: true, wantDesired: 5},
			{at: time.Minute, metric: 100, wantChanged: true, wantDesired: 10},     // at once, inside the scale-in cooldown
			{at: 2 * time.Minute, metric: 20, wantChanged: true, wantDesired: 4}}}, // the scale-in cooldown did not resume
		{name: "scale-out cooldown counts the capacity added", min: 1, max: 50, desired: 4, steps: []step{
			{metric: 100, wantChanged: true, wantDesired: 8},
			{at: time.Minute, metric: 75, wantDesired: 8},                             // from the 4 before: 6, not more than 8
			{at: 2 * time.Minute, metric: 150, wantChanged: true, wantDesired: 12},    // 4 × 3: a larger scale-out gets through
			{at: 419 * time.Second, metric: 75, wantDesired: 12},                      // cooldown restarted at 2 min: still from 4
			{at: 420 * time.Second, metric: 75, wantChanged: true, wantDesired: 18}}}, // cooldown over: from 12
		{name: "ScaleOutCooldown from the policy", min: 1, max: 50, desired: 4,
			policy: func(c *types.TargetTrackingScalingPolicyConfiguration) { c.ScaleOutCooldown = aws.Int32(60) },
			steps: []step{
				{metric: 100, wantChanged: true, wantDesired: 8},
				{at: 59 * time.Second, metric: 75, wantDesired: 8},
				{at: 60 * time.Second, metric: 75, wantChanged: true, wantDesired: 12}}},
		{name: "ScaleInCooldown 0", min: 1, max: 50, desired: 16,
			policy: func(c *types.TargetTrackingScalingPolicyConfiguration) { c.ScaleInCooldown = aws.Int32(0) },
			steps: []step{
				{metric: 25, wantChanged: true, wantDesired: 8},
				{metric: 25, wantChanged: true, wantDesired: 4}}},
		{name: "AAS scales in to its own number, cutting what another autoscaler added", min: 2, max: 20, desired: 4,
			steps: []step{{external: ptr(8), metric: 25, wantChanged: true, wantDesired: 4}}}, // CPU halved by 8 tasks: 8 × 25/50
		{name: "a scale-out alarm never removes what another autoscaler added", min: 1, max: 50, desired: 4, steps: []step{
			{metric: 100, wantChanged: true, wantDesired: 8},
			{at: time.Minute, external: ptr(20), metric: 150, wantDesired: 20}}}, // 12 from the 4 before: not more than 20
		{name: "a scale-out alarm raises a count below MinCapacity", min: 1, max: 20, desired: 0,
			steps: []step{{metric: 100, wantChanged: true, wantDesired: 1}}},
		{name: "scale-out suspended", min: 1, max: 20, desired: 4,
			suspended: &types.SuspendedState{DynamicScalingOutSuspended: aws.Bool(true)},
			steps: []step{
				{metric: 100, wantDesired: 4},
				{metric: 10, wantChanged: true, wantDesired: 1}}},
		{name: "scale-in suspended", min: 1, max: 20, desired: 10,
			suspended: &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(true)},
			steps: []step{
				{metric: 10, wantDesired: 10},
				{metric: 100, wantChanged: true, wantDesired: 20}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			svcs := newServices(map[string]int{router: tc.desired})
			s := fakeaas.New(hooked(svcs, clk))
			s.AddTarget(router, tc.min, tc.max)
			c := serve(t, s)
			putPolicy(t, c, cpuPolicy(router, "cpu50", 50, tc.policy))
			if tc.suspended != nil {
				in := registerInput(router, nil, nil)
				in.SuspendedState = tc.suspended
				if _, err := c.RegisterScalableTarget(context.Background(), in); err != nil {
					t.Fatalf("RegisterScalableTarget: %v", err)
				}
			}

			var elapsed time.Duration
			for i, st := range tc.steps {
				clk.Advance(st.at - elapsed)
				elapsed = st.at
				if st.external != nil {
					svcs.set(router, *st.external)
				}
				changed, desired, err := s.Evaluate(router, st.metric)
				if err != nil {
					t.Fatalf("step %d: Evaluate: %v", i, err)
				}
				if changed != st.wantChanged || desired != st.wantDesired {
					t.Errorf("step %d (t0+%v, metric %v): changed %v, desired %d; want %v, %d",
						i, st.at, st.metric, changed, desired, st.wantChanged, st.wantDesired)
				}
				if got := svcs.get(router); got != st.wantDesired {
					t.Errorf("step %d: the service's desired count is %d, want %d", i, got, st.wantDesired)
				}
			}
		})
	}
}

func TestEvaluateRecordsActivities(t *testing.T) {
	clk := clock.NewFake(t0)
	svcs := newServices(map[string]int{router: 4})
	s := fakeaas.New(hooked(svcs, clk))
	s.AddTarget(router, 1, 20)
	putPolicy(t, serve(t, s), cpuPolicy(router, "cpu50", 50, nil))

	mustEvaluate(t, s, router, 100)
	clk.Advance(time.Hour)
	mustEvaluate(t, s, router, 10)
	snap, _ := s.Target(router)
	if !snap.LastScaleOut.Equal(t0) || !snap.LastScaleIn.Equal(t0.Add(time.Hour)) {
		t.Errorf("last scale-out %v, last scale-in %v; want %v and %v", snap.LastScaleOut, snap.LastScaleIn, t0, t0.Add(time.Hour))
	}
	if diff := cmp.Diff([]string{router + "=8", router + "=2"}, svcs.setLog()); diff != "" {
		t.Errorf("desired counts set (-want +got):\n%s", diff)
	}
	// Evaluate is not an API request.
	if calls := s.Calls(); len(calls) != 1 || calls[0].Op != "PutScalingPolicy" {
		t.Errorf("calls = %+v, want the PutScalingPolicy only", calls)
	}
}

func mustEvaluate(t *testing.T, s *fakeaas.Server, id string, metric float64) int {
	t.Helper()
	_, desired, err := s.Evaluate(id, metric)
	if err != nil {
		t.Fatalf("Evaluate(%s, %v): %v", id, metric, err)
	}
	return desired
}

func TestEvaluateErrors(t *testing.T) {
	clk, svcs, s, c := routerAndAPI(t, "service/prod/web")
	putPolicy(t, c, cpuPolicy(api, "cpu50", 50, nil))
	putPolicy(t, c, cpuPolicy(api, "memory", 60, func(c *types.TargetTrackingScalingPolicyConfiguration) {
		c.PredefinedMetricSpecification.PredefinedMetricType = types.MetricTypeECSServiceAverageMemoryUtilization
	}))

	unhooked := fakeaas.New(fakeaas.Options{Desired: svcs.Desired})
	unhooked.AddTarget(router, 1, 20)

	tests := []struct {
		name    string
		s       *fakeaas.Server
		id      string
		metric  float64
		wantErr string
	}{
		{"unregistered target", s, "service/prod/absent", 100, "no scalable target is registered for service/prod/absent"},
		{"no policy", s, "service/prod/web", 100, "0 scaling policies"},
		{"two policies", s, api, 100, "2 scaling policies"},
		{"NaN metric", s, router, math.NaN(), "metric NaN"},
		{"infinite metric", s, router, math.Inf(1), "metric +Inf"},
		{"negative metric", s, router, -1, "metric -1"},
		{"no SetDesired hook", unhooked, router, 100, "Options.SetDesired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changed, _, err := tc.s.Evaluate(tc.id, tc.metric)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Evaluate: %v, want an error mentioning %q", err, tc.wantErr)
			}
			if changed {
				t.Errorf("Evaluate reported a change along with the error")
			}
		})
	}

	// A failing hook is reported, wrapped, and a failed SetDesired starts no cooldown.
	errECS := errors.New("ecs: throttled")
	svcs.getErr = errECS
	if _, _, err := s.Evaluate(router, 100); !errors.Is(err, errECS) || !strings.Contains(err.Error(), "reading the desired count") {
		t.Errorf("Evaluate with Desired failing: %v, want it to wrap %v", err, errECS)
	}
	svcs.getErr, svcs.setErr = nil, errECS
	if _, desired, err := s.Evaluate(router, 100); !errors.Is(err, errECS) || desired != 4 || !strings.Contains(err.Error(), "from 4 to 8") {
		t.Errorf("Evaluate with SetDesired failing: %d, %v; want 4 and an error wrapping %v", desired, err, errECS)
	}
	svcs.setErr = nil
	clk.Advance(time.Second)
	if changed, desired, err := s.Evaluate(router, 75); err != nil || !changed || desired != 6 {
		t.Errorf("Evaluate after the failure: %v, %d, %v; want a scale-out to 6 outside any cooldown", changed, desired, err)
	}
}
