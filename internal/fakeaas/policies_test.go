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

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

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
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 1, 4)
	c := serve(t, s)
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
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 1, 4)
	s.AddTarget(api, 1, 4)
	c := serve(t, s)
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
	names := func(ps []types.ScalingPolicy) []string {
		var out []string
		for _, p := range ps {
			out = append(out, aws.ToString(p.PolicyName))
		}
		return out
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
			if diff := cmp.Diff(tc.want, names(describePolicies(t, c, tc.in))); diff != "" {
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
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 1, 4)
	c := serve(t, s)
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
