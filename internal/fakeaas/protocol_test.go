package fakeaas_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

// TestProtocolErrors: awsfake's tests cover the envelope; these are what AAS's own request shapes reject.
func TestProtocolErrors(t *testing.T) {
	op := aasJSON.Raw
	tests := []awstest.ErrorCase{
		{Name: "capacity as a string", Req: op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","MinCapacity":"3"}`), Status: 400, Type: "SerializationException", Substr: "MinCapacity"},
		{Name: "capacity beyond int32", Req: op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","MaxCapacity":3000000000}`), Status: 400, Type: "SerializationException", Substr: "MaxCapacity"},
		{Name: "target value as a word", Req: op("PutScalingPolicy", `{"PolicyName":"p","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"TargetValue":"fifty"}}`), Status: 400, Type: "SerializationException", Substr: `"fifty" is not a number`},
		// Required members the SDK checks before sending.
		{Name: "no namespace", Req: op("DescribeScalableTargets", `{}`), Status: 400, Type: "ValidationException", Substr: "Value null at 'serviceNamespace'"},
		{Name: "no dimension", Req: op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ResourceId":"service/prod/router"}`), Status: 400, Type: "ValidationException", Substr: "Value null at 'scalableDimension'"},
		{Name: "no resource ID", Req: op("DeregisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount"}`), Status: 400, Type: "ValidationException", Substr: "Value null at 'resourceId'"},
		{Name: "no policy name", Req: op("PutScalingPolicy", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router"}`), Status: 400, Type: "ValidationException", Substr: "Value null at 'policyName'"},
		{Name: "no target value", Req: op("PutScalingPolicy", `{"PolicyName":"p","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{}}`), Status: 400, Type: "ValidationException", Substr: "targetTrackingScalingPolicyConfiguration.targetValue"},
		{Name: "no namespace for policies", Req: op("DescribeScalingPolicies", `{"ResourceId":"service/prod/router"}`), Status: 400, Type: "ValidationException", Substr: "Value null at 'serviceNamespace'"},
	}
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 1, 4)
	awstest.WantJSONErrors(t, awstest.Start(t, s), tests)
	// Rejected calls are recorded with their error, under the operation the target named.
	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d", len(calls), len(tests))
	}
	if got := calls[0]; got.Op != "RegisterScalableTarget" || got.Err != "SerializationException" {
		t.Errorf("recorded %+v, want RegisterScalableTarget failing with SerializationException", got)
	}
	if snap, _ := s.Target(router); snap.MinCapacity != 1 || snap.MaxCapacity != 4 || len(snap.Policies) != 0 {
		t.Errorf("rejected requests changed %s: %+v", router, snap)
	}
}

// TestWireFormat checks what the SDK cannot tell apart: members present or absent, and JSON types.
func TestWireFormat(t *testing.T) {
	clk := clock.NewFake(t0)
	clk.Advance(500 * time.Millisecond)
	s := fakeaas.New(fakeaas.Options{Now: clk.Now})
	s.AddTarget(router, 1, 4)
	url := awstest.Start(t, s)
	post := func(op, body string) map[string]any { t.Helper(); return aasJSON.Post(t, url, op, body) }

	out := post("DescribeScalableTargets", `{"ServiceNamespace":"ecs"}`)
	if _, ok := out["NextToken"]; ok {
		t.Errorf("DescribeScalableTargets sent a NextToken on its only page")
	}
	tg := out["ScalableTargets"].([]any)[0].(map[string]any)
	if got, ok := tg["CreationTime"].(float64); !ok || got != float64(t0.Unix())+0.5 {
		t.Errorf("CreationTime = %#v, want epoch seconds %v as a JSON number", tg["CreationTime"], float64(t0.Unix())+0.5)
	}
	for _, member := range []string{"MinCapacity", "MaxCapacity"} {
		if _, ok := tg[member].(float64); !ok {
			t.Errorf("%s = %#v, want a JSON number", member, tg[member])
		}
	}
	want := map[string]any{"DynamicScalingInSuspended": false, "DynamicScalingOutSuspended": false, "ScheduledScalingSuspended": false}
	if diff := cmp.Diff(want, tg["SuspendedState"]); diff != "" {
		t.Errorf("SuspendedState (-want +got):\n%s", diff)
	}

	post("PutScalingPolicy", `{"PolicyName":"cpu50","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount",
		"ResourceId":"service/prod/router","PolicyType":"TargetTrackingScaling",
		"TargetTrackingScalingPolicyConfiguration":{"TargetValue":50,"CustomizedMetricSpecification":null,"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}}}`)
	policy := post("DescribeScalingPolicies", `{"ServiceNamespace":"ecs"}`)["ScalingPolicies"].([]any)[0].(map[string]any)
	cfg := policy["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
	for _, absent := range []string{"ScaleInCooldown", "ScaleOutCooldown", "DisableScaleIn", "CustomizedMetricSpecification"} {
		if _, ok := cfg[absent]; ok {
			t.Errorf("the policy has %s, which was not put", absent)
		}
	}
	if _, ok := cfg["PredefinedMetricSpecification"].(map[string]any)["ResourceLabel"]; ok {
		t.Errorf("the CPU metric has a ResourceLabel")
	}
	if _, ok := policy["StepScalingPolicyConfiguration"]; ok {
		t.Errorf("a target tracking policy has a StepScalingPolicyConfiguration")
	}
}

func TestSetUpMistakesPanic(t *testing.T) {
	tests := []struct {
		name string
		want string
		f    func()
	}{
		{"resource ID", "not an ECS service resource ID", func() { fakeaas.New(fakeaas.Options{}).AddTarget("table/orders", 1, 2) }},
		{"negative min", "min -1", func() { fakeaas.New(fakeaas.Options{}).AddTarget(router, -1, 2) }},
		{"min above max", "min 3, max 2", func() { fakeaas.New(fakeaas.Options{}).AddTarget(router, 3, 2) }},
		{"duplicate target", "already registered", func() {
			s := fakeaas.New(fakeaas.Options{})
			s.AddTarget(router, 1, 2)
			s.AddTarget(router, 1, 2)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { awstest.WantPanic(t, tc.want, tc.f) })
	}
}

func TestARNsFollowOptions(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{Region: "cn-north-1", Account: "210987654321"})
	s.AddTarget(router, 1, 2)
	snap, _ := s.Target(router)
	awstest.WantMatch(t, "ARN", snap.ARN, `^arn:aws-cn:application-autoscaling:cn-north-1:210987654321:scalable-target/[0-9a-f]{36}$`)
	if want := "arn:aws-cn:iam::210987654321:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"; snap.RoleARN != want {
		t.Errorf("RoleARN %q, want %q", snap.RoleARN, want)
	}
}

func TestSplitResourceID(t *testing.T) {
	tests := []struct {
		id               string
		cluster, service string
		ok               bool
	}{
		{"service/prod/router", "prod", "router", true},
		{"service/my_cluster-1/web-2", "my_cluster-1", "web-2", true},
		{"service/router", "", "", false},
		{"service/prod/router/extra", "", "", false},
		{"table/prod/router", "", "", false},
		{"service/prod/", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		cluster, service, ok := fakeaas.SplitResourceID(tc.id)
		if cluster != tc.cluster || service != tc.service || ok != tc.ok {
			t.Errorf("SplitResourceID(%q) = %q, %q, %v; want %q, %q, %v", tc.id, cluster, service, ok, tc.cluster, tc.service, tc.ok)
		}
	}
}
