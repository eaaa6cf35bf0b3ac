package fakeaas_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

func TestRegisterUpdateAndDescribe(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeaas.New(fakeaas.Options{Now: clk.Now})
	c := serve(t, s)
	ctx := context.Background()

	out := register(t, c, router, i32(2), i32(10))
	awstest.WantMatch(t, "ScalableTargetARN", aws.ToString(out.ScalableTargetARN),
		`^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/[0-9a-f]{36}$`)
	want := types.ScalableTarget{
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(router),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       i32(2),
		MaxCapacity:       i32(10),
		RoleARN:           aws.String(ecsRole),
		CreationTime:      aws.Time(t0),
		SuspendedState: &types.SuspendedState{
			DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false),
		},
		ScalableTargetARN: out.ScalableTargetARN,
	}
	got := describeTargets(t, c, aas.DescribeScalableTargetsInput{})
	if diff := cmp.Diff([]types.ScalableTarget{want}, got, awstest.CmpSDK); diff != "" {
		t.Fatalf("after registering (-want +got):\n%s", diff)
	}

	// An update changes what it names and keeps the rest, the ARN and the creation time included.
	clk.Advance(time.Minute)
	in := registerInput(router, i32(4), nil)
	in.SuspendedState = &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(true)}
	in.RoleARN = aws.String("arn:aws:iam::123456789012:role/custom")
	again, err := c.RegisterScalableTarget(ctx, in)
	if err != nil {
		t.Fatalf("RegisterScalableTarget update: %v", err)
	}
	if aws.ToString(again.ScalableTargetARN) != aws.ToString(out.ScalableTargetARN) {
		t.Errorf("update changed the ARN from %s to %s", aws.ToString(out.ScalableTargetARN), aws.ToString(again.ScalableTargetARN))
	}
	want.MinCapacity = i32(4)
	want.RoleARN = in.RoleARN
	want.SuspendedState.DynamicScalingInSuspended = aws.Bool(true)
	got = describeTargets(t, c, aas.DescribeScalableTargetsInput{})
	if diff := cmp.Diff([]types.ScalableTarget{want}, got, awstest.CmpSDK); diff != "" {
		t.Errorf("after updating MinCapacity (-want +got):\n%s", diff)
	}

	// A second update of the suspended state keeps the flag the first one set.
	in = registerInput(router, nil, i32(20))
	in.SuspendedState = &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}
	if _, err := c.RegisterScalableTarget(ctx, in); err != nil {
		t.Fatalf("RegisterScalableTarget update: %v", err)
	}
	snap, ok := s.Target(router)
	if !ok {
		t.Fatalf("Target(%s): not registered", router)
	}
	wantSnap := fakeaas.TargetSnapshot{
		ResourceID: router, ARN: aws.ToString(out.ScalableTargetARN), MinCapacity: 4, MaxCapacity: 20,
		RoleARN: "arn:aws:iam::123456789012:role/custom", CreationTime: t0,
		Suspended: fakeaas.Suspended{DynamicScalingIn: true, ScheduledScaling: true},
	}
	if diff := cmp.Diff(wantSnap, snap, awstest.CmpSDK); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}

	wantCalls := []fakeaas.Call{
		{Head: awsfake.Head{Op: "RegisterScalableTarget", Time: t0}, ResourceID: router, MinCapacity: ptr(2), MaxCapacity: ptr(10)},
		{Head: awsfake.Head{Op: "DescribeScalableTargets", Time: t0}},
		{Head: awsfake.Head{Op: "RegisterScalableTarget", Time: t0.Add(time.Minute)}, ResourceID: router, MinCapacity: ptr(4)},
		{Head: awsfake.Head{Op: "DescribeScalableTargets", Time: t0.Add(time.Minute)}},
		{Head: awsfake.Head{Op: "RegisterScalableTarget", Time: t0.Add(time.Minute)}, ResourceID: router, MaxCapacity: ptr(20)},
	}
	if diff := cmp.Diff(wantCalls, s.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestRegisterTags(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	c := serve(t, s)
	in := registerInput(router, i32(1), i32(3))
	in.Tags = map[string]string{"fastscaler:owner-min": "1", "team": "edge"}
	if _, err := c.RegisterScalableTarget(context.Background(), in); err != nil {
		t.Fatalf("RegisterScalableTarget: %v", err)
	}
	// As in AAS, tags are taken when the target is created; an update ignores them.
	in.Tags = map[string]string{"team": "core"}
	if _, err := c.RegisterScalableTarget(context.Background(), in); err != nil {
		t.Fatalf("RegisterScalableTarget update: %v", err)
	}
	snap, _ := s.Target(router)
	if diff := cmp.Diff(map[string]string{"fastscaler:owner-min": "1", "team": "edge"}, snap.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestDescribeScalableTargetsFilters(t *testing.T) {
	_, c := serveTargets(t, router, api, "service/stage/router")
	tests := []struct {
		name string
		in   aas.DescribeScalableTargetsInput
		want []string
	}{
		{"all, in registration order", aas.DescribeScalableTargetsInput{}, []string{router, api, "service/stage/router"}},
		{"by resource ID", aas.DescribeScalableTargetsInput{ResourceIds: []string{"service/stage/router", router}}, []string{router, "service/stage/router"}},
		{"unknown resource ID", aas.DescribeScalableTargetsInput{ResourceIds: []string{"service/prod/web"}}, nil},
		{"by dimension", aas.DescribeScalableTargetsInput{ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceIds: []string{api}}, []string{api}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, stringsOf(describeTargets(t, c, tc.in), func(tg types.ScalableTarget) *string { return tg.ResourceId })); diff != "" {
				t.Errorf("resource IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeScalableTargetsPagination(t *testing.T) {
	tests := []struct {
		name       string
		targets    int
		maxResults *int32
		wantPages  []int
	}{
		{"MaxResults", 7, i32(3), []int{3, 3, 1}},
		{"no empty last page", 6, i32(3), []int{3, 3}},
		{"AAS default of 50", 51, nil, []int{50, 1}},
		{"no targets", 0, i32(3), []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeaas.New(fakeaas.Options{})
			var want []string
			for i := range tc.targets {
				id := fmt.Sprintf("service/prod/svc%02d", i)
				s.AddTarget(id, 0, 1)
				want = append(want, id)
			}
			c := serve(t, s)
			in := &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: tc.maxResults}
			var got []string
			var pages []int
			for {
				out, err := c.DescribeScalableTargets(context.Background(), in)
				if err != nil {
					t.Fatalf("DescribeScalableTargets: %v", err)
				}
				pages = append(pages, len(out.ScalableTargets))
				for _, tg := range out.ScalableTargets {
					got = append(got, aws.ToString(tg.ResourceId))
				}
				if out.NextToken == nil {
					break
				}
				if len(pages) > 100 {
					t.Fatalf("DescribeScalableTargets never stops paging")
				}
				in.NextToken = out.NextToken
			}
			if diff := cmp.Diff(tc.wantPages, pages); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("resource IDs (-want +got):\n%s", diff)
			}
		})
	}
}

// A NextToken is a cursor, so targets registered and deregistered between pages neither repeat nor hide others.
func TestDescribeScalableTargetsPagesStayConsistent(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	for _, id := range []string{"service/prod/a", "service/prod/b", "service/prod/c"} {
		s.AddTarget(id, 0, 1)
	}
	c := serve(t, s)
	ctx := context.Background()
	first, err := c.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: i32(2)})
	if err != nil {
		t.Fatalf("DescribeScalableTargets: %v", err)
	}
	if _, err := c.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String("service/prod/a"),
	}); err != nil {
		t.Fatalf("DeregisterScalableTarget: %v", err)
	}
	register(t, c, "service/prod/d", i32(0), i32(1))
	rest := describeTargets(t, c, aas.DescribeScalableTargetsInput{NextToken: first.NextToken})
	var got []string
	for _, tg := range append(first.ScalableTargets, rest...) {
		got = append(got, aws.ToString(tg.ResourceId))
	}
	if diff := cmp.Diff([]string{"service/prod/a", "service/prod/b", "service/prod/c", "service/prod/d"}, got); diff != "" {
		t.Errorf("resource IDs across pages (-want +got):\n%s", diff)
	}
}

func TestDeregisterScalableTarget(t *testing.T) {
	s, c := serveTargets(t, router, api)
	ctx := context.Background()
	putPolicy(t, c, cpuPolicy(router, "cpu50", 50, nil))
	before, _ := s.Target(router)

	in := &aas.DeregisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(router),
	}
	if _, err := c.DeregisterScalableTarget(ctx, in); err != nil {
		t.Fatalf("DeregisterScalableTarget: %v", err)
	}
	if _, ok := s.Target(router); ok {
		t.Errorf("%s is still registered", router)
	}
	if _, ok := s.Target(api); !ok {
		t.Errorf("deregistering %s removed %s", router, api)
	}
	_, err := c.DeregisterScalableTarget(ctx, in)
	awstest.WantAPIError[*types.ObjectNotFoundException](t, err, "No scalable target registered for service namespace: ecs, resource ID: service/prod/router")

	// Its policies went with it; registering again makes a new target with none.
	out, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil {
		t.Fatalf("DescribeScalingPolicies: %v", err)
	}
	if len(out.ScalingPolicies) != 0 {
		t.Errorf("%d policies left after deregistering, want none", len(out.ScalingPolicies))
	}
	reg := register(t, c, router, i32(1), i32(4))
	if aws.ToString(reg.ScalableTargetARN) == before.ARN {
		t.Errorf("re-registered target kept the ARN %s, want a new one", before.ARN)
	}
	if after, _ := s.Target(router); len(after.Policies) != 0 {
		t.Errorf("re-registered target has policies %+v, want none", after.Policies)
	}
}

// Missing required members are caught by the SDK before sending; TestProtocolErrors sends them raw.
func TestTargetValidation(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 2, 10)
	c := serve(t, s)
	ctx := context.Background()
	reg := func(mod func(*aas.RegisterScalableTargetInput)) error {
		in := registerInput(api, i32(1), i32(4))
		mod(in)
		_, err := c.RegisterScalableTarget(ctx, in)
		return err
	}
	describe := func(in aas.DescribeScalableTargetsInput) error {
		_, err := c.DescribeScalableTargets(ctx, &in)
		return err
	}
	tooManyTags := map[string]string{}
	for i := range 51 {
		tooManyTags[fmt.Sprintf("k%02d", i)] = "v"
	}

	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"another namespace", reg(func(in *aas.RegisterScalableTargetInput) { in.ServiceNamespace = types.ServiceNamespaceDynamodb }), `ServiceNamespace "dynamodb" is not supported`},
		{"another dimension", reg(func(in *aas.RegisterScalableTargetInput) {
			in.ScalableDimension = types.ScalableDimensionDynamoDBTableReadCapacityUnits
		}), `"ecs:service:DesiredCount"`},
		{"cluster missing from resource ID", reg(func(in *aas.RegisterScalableTargetInput) { in.ResourceId = aws.String("service/router") }), "service/CLUSTER/SERVICE"},
		{"ARN as resource ID", reg(func(in *aas.RegisterScalableTargetInput) {
			in.ResourceId = aws.String("service/arn:aws:ecs:us-east-1:123456789012:cluster/prod/router")
		}), "not an ECS service resource ID"},
		{"resource ID over 1600 characters", reg(func(in *aas.RegisterScalableTargetInput) {
			in.ResourceId = aws.String("service/prod/" + strings.Repeat("x", 1600))
		}), "less than or equal to 1600"},
		{"negative MinCapacity", reg(func(in *aas.RegisterScalableTargetInput) { in.MinCapacity = i32(-1) }), "'minCapacity'"},
		{"negative MaxCapacity", reg(func(in *aas.RegisterScalableTargetInput) { in.MaxCapacity = i32(-1) }), "'maxCapacity'"},
		{"min above max", reg(func(in *aas.RegisterScalableTargetInput) { in.MinCapacity = i32(5) }), "Minimum capacity cannot be greater than maximum capacity"},
		{"new target without MaxCapacity", reg(func(in *aas.RegisterScalableTargetInput) { in.MaxCapacity = nil }), "MinCapacity and MaxCapacity are required"},
		{"new target without MinCapacity", reg(func(in *aas.RegisterScalableTargetInput) { in.MinCapacity = nil }), "service/prod/api is not registered"},
		{"update raising min above the kept max", reg(func(in *aas.RegisterScalableTargetInput) {
			in.ResourceId, in.MinCapacity, in.MaxCapacity = aws.String(router), i32(11), nil
		}), "(MinCapacity 11, MaxCapacity 10)"},
		{"update lowering max below the kept min", reg(func(in *aas.RegisterScalableTargetInput) {
			in.ResourceId, in.MinCapacity, in.MaxCapacity = aws.String(router), nil, i32(1)
		}), "(MinCapacity 2, MaxCapacity 1)"},
		{"role that is not an ARN", reg(func(in *aas.RegisterScalableTargetInput) { in.RoleARN = aws.String("admin") }), "RoleARN"},
		{"aws: tag", reg(func(in *aas.RegisterScalableTargetInput) { in.Tags = map[string]string{"aws:owner": "x"} }), "reserved"},
		{"51 tags", reg(func(in *aas.RegisterScalableTargetInput) { in.Tags = tooManyTags }), "at most 50"},
		{"tag key of 129 characters", reg(func(in *aas.RegisterScalableTargetInput) {
			in.Tags = map[string]string{strings.Repeat("k", 129): "v"}
		}), "1 to 128"},
		{"deregister, another namespace", func() error {
			_, err := c.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
				ServiceNamespace: types.ServiceNamespaceEc2, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(router),
			})
			return err
		}(), "ECS services only"},
		{"describe, another namespace", describe(aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceLambda}), `"lambda" is not supported`},
		{"describe, another dimension", describe(aas.DescribeScalableTargetsInput{
			ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionLambdaFunctionProvisionedConcurrency,
		}), "lambda:function:ProvisionedConcurrency"},
		{"describe, MaxResults 51", describe(aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: i32(51)}), "between 1 and 50"},
		{"describe, MaxResults 0", describe(aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: i32(0)}), "between 1 and 50"},
		{"describe, empty resource ID", describe(aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{""}}), "1 to 1600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			awstest.WantAPIError[*types.ValidationException](t, tc.err, tc.wantErr)
		})
	}
	// The rejected requests left no trace.
	if _, ok := s.Target(api); ok {
		t.Errorf("%s was registered by a rejected request", api)
	}
	if snap, _ := s.Target(router); snap.MinCapacity != 2 || snap.MaxCapacity != 10 {
		t.Errorf("%s has capacity %d..%d after rejected updates, want 2..10", router, snap.MinCapacity, snap.MaxCapacity)
	}

	for _, tok := range []string{"garbage", encodeForeignToken(t, c)} {
		err := describe(aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, NextToken: aws.String(tok)})
		awstest.WantAPIError[*types.InvalidNextTokenException](t, err, "was not returned by a DescribeScalableTargets call")
	}
}

// encodeForeignToken returns a NextToken of DescribeScalingPolicies, which DescribeScalableTargets must refuse.
func encodeForeignToken(t *testing.T, c *aas.Client) string {
	t.Helper()
	ctx := context.Background()
	putPolicy(t, c, cpuPolicy(router, "a", 50, nil))
	putPolicy(t, c, cpuPolicy(router, "b", 50, nil))
	out, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: i32(1)})
	if err != nil {
		t.Fatalf("DescribeScalingPolicies: %v", err)
	}
	if out.NextToken == nil {
		t.Fatalf("DescribeScalingPolicies gave no NextToken for 2 policies at 1 per page")
	}
	return *out.NextToken
}

func TestPutAndDescribeScalingPolicy(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeaas.New(fakeaas.Options{Now: clk.Now})
	s.AddTarget(router, 2, 10)
	c := serve(t, s)

	out := putPolicy(t, c, cpuPolicy(router, "cpu50", 50, func(cfg *types.TargetTrackingScalingPolicyConfiguration) {
		cfg.ScaleInCooldown, cfg.ScaleOutCooldown, cfg.DisableScaleIn = i32(600), i32(60), aws.Bool(true)
	}))
	const uuid = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	arn := aws.ToString(out.PolicyARN)
	awstest.WantMatch(t, "PolicyARN", arn,
		`^arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:`+uuid+`:resource/ecs/service/prod/router:policyName/cpu50$`)
	if len(out.Alarms) != 2 {
		t.Fatalf("PutScalingPolicy returned %d alarms, want AlarmHigh and AlarmLow", len(out.Alarms))
	}
	for i, kind := range []string{"AlarmHigh", "AlarmLow"} {
		name := aws.ToString(out.Alarms[i].AlarmName)
		awstest.WantMatch(t, "AlarmName", name, `^TargetTracking-service/prod/router-`+kind+`-`+uuid+`$`)
		if got, want := aws.ToString(out.Alarms[i].AlarmARN), "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"+name; got != want {
			t.Errorf("AlarmARN = %q, want %q", got, want)
		}
	}

	want := types.ScalingPolicy{
		PolicyARN:         out.PolicyARN,
		PolicyName:        aws.String("cpu50"),
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(router),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		PolicyType:        types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{
				PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization,
			},
			ScaleInCooldown:  i32(600),
			ScaleOutCooldown: i32(60),
			DisableScaleIn:   aws.Bool(true),
		},
		Alarms:       out.Alarms,
		CreationTime: aws.Time(t0),
	}
	if diff := cmp.Diff([]types.ScalingPolicy{want}, describePolicies(t, c, aas.DescribeScalingPoliciesInput{}), awstest.CmpSDK); diff != "" {
		t.Fatalf("DescribeScalingPolicies (-want +got):\n%s", diff)
	}

	// Putting the same name replaces the configuration and keeps the ARN, the alarms and the creation time;
	// optional members left out are left out, not kept.
	clk.Advance(time.Minute)
	again := putPolicy(t, c, cpuPolicy(router, "cpu50", 70.5, nil))
	if aws.ToString(again.PolicyARN) != arn {
		t.Errorf("update changed the PolicyARN to %s", aws.ToString(again.PolicyARN))
	}
	want.TargetTrackingScalingPolicyConfiguration = &types.TargetTrackingScalingPolicyConfiguration{
		TargetValue:                   aws.Float64(70.5),
		PredefinedMetricSpecification: want.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification,
	}
	if diff := cmp.Diff([]types.ScalingPolicy{want}, describePolicies(t, c, aas.DescribeScalingPoliciesInput{}), awstest.CmpSDK); diff != "" {
		t.Errorf("after the update (-want +got):\n%s", diff)
	}

	// An update without a type or a configuration keeps both.
	if _, err := c.PutScalingPolicy(context.Background(), &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu50"), ServiceNamespace: types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(router),
	}); err != nil {
		t.Fatalf("PutScalingPolicy without a configuration: %v", err)
	}
	snap, _ := s.Target(router)
	wantPolicies := []fakeaas.PolicySnapshot{{
		Name: "cpu50", ARN: arn, TargetValue: 70.5, MetricType: "ECSServiceAverageCPUUtilization",
		ScaleInCooldown: 300 * time.Second, ScaleOutCooldown: 300 * time.Second, CreationTime: t0,
	}}
	if diff := cmp.Diff(wantPolicies, snap.Policies); diff != "" {
		t.Errorf("policy snapshot (-want +got):\n%s", diff)
	}
	if got := s.Calls()[0]; got.Op != "PutScalingPolicy" || got.PolicyName != "cpu50" || got.ResourceID != router {
		t.Errorf("first call %+v, want PutScalingPolicy cpu50 on %s", got, router)
	}
}

func TestALBRequestCountPolicy(t *testing.T) {
	_, c := serveTargets(t, router)
	const label = "app/edge/0123456789abcdef/targetgroup/router/fedcba9876543210"
	putPolicy(t, c, cpuPolicy(router, "rps", 1000, func(cfg *types.TargetTrackingScalingPolicyConfiguration) {
		cfg.PredefinedMetricSpecification = &types.PredefinedMetricSpecification{
			PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(label),
		}
	}))
	got := describePolicies(t, c, aas.DescribeScalingPoliciesInput{})[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
	want := &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(label)}
	if diff := cmp.Diff(want, got, awstest.CmpSDK); diff != "" {
		t.Errorf("metric (-want +got):\n%s", diff)
	}
}

func TestDescribeScalingPoliciesFiltersAndPages(t *testing.T) {
	_, c := serveTargets(t, router, api)
	// Put alternately on both targets, so that creation order and target order differ.
	var all, onRouter []string
	for i := range 13 {
		id, name := router, fmt.Sprintf("p%02d", i)
		if i%2 == 1 {
			id = api
		} else {
			onRouter = append(onRouter, name)
		}
		putPolicy(t, c, cpuPolicy(id, name, 50, nil))
		all = append(all, name)
	}
	tests := []struct {
		name string
		in   aas.DescribeScalingPoliciesInput
		want []string
	}{
		{"all, over two pages of the default 10", aas.DescribeScalingPoliciesInput{}, all},
		{"pages of 3", aas.DescribeScalingPoliciesInput{MaxResults: i32(3)}, all},
		{"one target", aas.DescribeScalingPoliciesInput{ResourceId: aws.String(router), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount}, onRouter},
		{"by name", aas.DescribeScalingPoliciesInput{PolicyNames: []string{"p12", "p01", "absent"}}, []string{"p01", "p12"}},
		{"by name and target", aas.DescribeScalingPoliciesInput{ResourceId: aws.String(router), PolicyNames: []string{"p12", "p01"}}, []string{"p12"}},
		{"unknown target", aas.DescribeScalingPoliciesInput{ResourceId: aws.String("service/prod/web")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, stringsOf(describePolicies(t, c, tc.in), func(p types.ScalingPolicy) *string { return p.PolicyName })); diff != "" {
				t.Errorf("policy names (-want +got):\n%s", diff)
			}
		})
	}

	first, err := c.DescribeScalingPolicies(context.Background(), &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs})
	if err != nil {
		t.Fatalf("DescribeScalingPolicies: %v", err)
	}
	if len(first.ScalingPolicies) != 10 || first.NextToken == nil {
		t.Errorf("first page: %d policies, NextToken %v; want 10 and a token", len(first.ScalingPolicies), first.NextToken)
	}
}

// Missing required members are caught by the SDK before sending; TestProtocolErrors sends them raw.
func TestPolicyValidation(t *testing.T) {
	s, c := serveTargets(t, router)
	ctx := context.Background()
	put := func(mod func(*aas.PutScalingPolicyInput)) error {
		in := cpuPolicy(router, "cpu50", 50, nil)
		mod(in)
		_, err := c.PutScalingPolicy(ctx, in)
		return err
	}
	cfg := func(mod func(*types.TargetTrackingScalingPolicyConfiguration)) func(*aas.PutScalingPolicyInput) {
		return func(in *aas.PutScalingPolicyInput) { mod(in.TargetTrackingScalingPolicyConfiguration) }
	}
	metric := func(typ types.MetricType, label *string) func(*aas.PutScalingPolicyInput) {
		return cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) {
			c.PredefinedMetricSpecification = &types.PredefinedMetricSpecification{PredefinedMetricType: typ, ResourceLabel: label}
		})
	}

	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"another namespace", put(func(in *aas.PutScalingPolicyInput) { in.ServiceNamespace = types.ServiceNamespaceRds }), `"rds" is not supported`},
		{"malformed resource ID", put(func(in *aas.PutScalingPolicyInput) { in.ResourceId = aws.String("service/prod/") }), "service/CLUSTER/SERVICE"},
		{"policy name over 256 characters", put(func(in *aas.PutScalingPolicyInput) { in.PolicyName = aws.String(strings.Repeat("p", 257)) }), "less than or equal to 256"},
		{"policy name with a control character", put(func(in *aas.PutScalingPolicyInput) { in.PolicyName = aws.String("cpu\n50") }), "non-printable"},
		{"step scaling", put(func(in *aas.PutScalingPolicyInput) {
			in.PolicyType = types.PolicyTypeStepScaling
			in.TargetTrackingScalingPolicyConfiguration = nil
			in.StepScalingPolicyConfiguration = &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity}
		}), "PolicyType StepScaling is not supported"},
		{"unknown policy type", put(func(in *aas.PutScalingPolicyInput) { in.PolicyType = "SimpleScaling" }), "enum value set"},
		{"step configuration on a target tracking policy", put(func(in *aas.PutScalingPolicyInput) {
			in.StepScalingPolicyConfiguration = &types.StepScalingPolicyConfiguration{}
		}), "TargetTrackingScalingPolicyConfiguration only"},
		{"new policy without a type", put(func(in *aas.PutScalingPolicyInput) { in.PolicyType = "" }), "PolicyType is required"},
		{"new policy without a configuration", put(func(in *aas.PutScalingPolicyInput) { in.TargetTrackingScalingPolicyConfiguration = nil }), "TargetTrackingScalingPolicyConfiguration is required"},
		{"target value 0", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.TargetValue = aws.Float64(0) })), "greater than 0"},
		{"negative target value", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.TargetValue = aws.Float64(-5) })), "greater than 0"},
		{"NaN target value", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.TargetValue = aws.Float64(math.NaN()) })), "TargetValue NaN"},
		{"infinite target value", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.TargetValue = aws.Float64(math.Inf(1)) })), "TargetValue +Inf"},
		{"customized metric", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) {
			c.CustomizedMetricSpecification = &types.CustomizedMetricSpecification{MetricName: aws.String("RequestsPerTask")}
		})), "CustomizedMetricSpecification is not supported"},
		{"no metric", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.PredefinedMetricSpecification = nil })), "needs a PredefinedMetricSpecification"},
		{"metric of another service", put(metric(types.MetricTypeDynamoDBReadCapacityUtilization, nil)), `"DynamoDBReadCapacityUtilization" is not a metric of ECS services`},
		{"ALB request count without a label", put(metric(types.MetricTypeALBRequestCountPerTarget, nil)), "needs a ResourceLabel"},
		{"label on CPU", put(metric(types.MetricTypeECSServiceAverageCPUUtilization, aws.String("app/x"))), "ALBRequestCountPerTarget only"},
		{"negative scale-in cooldown", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.ScaleInCooldown = i32(-1) })), "scaleInCooldown"},
		{"negative scale-out cooldown", put(cfg(func(c *types.TargetTrackingScalingPolicyConfiguration) { c.ScaleOutCooldown = i32(-1) })), "scaleOutCooldown"},
		{"describe, MaxResults 11", func() error {
			_, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: i32(11)})
			return err
		}(), "between 1 and 10"},
		{"describe, another dimension", func() error {
			_, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{
				ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionRDSClusterReadReplicaCount,
			})
			return err
		}(), "rds:cluster:ReadReplicaCount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			awstest.WantAPIError[*types.ValidationException](t, tc.err, tc.wantErr)
		})
	}
	if snap, _ := s.Target(router); len(snap.Policies) != 0 {
		t.Errorf("rejected requests stored policies %+v", snap.Policies)
	}

	_, err := c.PutScalingPolicy(ctx, cpuPolicy("service/prod/web", "cpu50", 50, nil))
	awstest.WantAPIError[*types.ObjectNotFoundException](t, err,
		"No scalable target registered for service namespace: ecs, resource ID: service/prod/web, scalable dimension: ecs:service:DesiredCount")

	_, err = c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, NextToken: aws.String("bm9wZQ")})
	awstest.WantAPIError[*types.InvalidNextTokenException](t, err, "DescribeScalingPolicies")

	// The quota of 50 policies per scalable target; updating one of them is still fine.
	for i := range 50 {
		putPolicy(t, c, cpuPolicy(router, fmt.Sprintf("p%02d", i), 50, nil))
	}
	_, err = c.PutScalingPolicy(ctx, cpuPolicy(router, "p50", 50, nil))
	awstest.WantAPIError[*types.LimitExceededException](t, err, "50 scaling policies")
	putPolicy(t, c, cpuPolicy(router, "p49", 60, nil))
}
