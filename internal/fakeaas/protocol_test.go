package fakeaas_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

const (
	target    = "AnyScaleFrontendService."
	jsonType  = "application/x-amz-json-1.1"
	goodAuth  = "AWS4-HMAC-SHA256 Credential=AKIDFAKEAAS/20250301/us-east-1/application-autoscaling/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	otherAuth = "AWS4-HMAC-SHA256 Credential=AKIDFAKEAAS/20250301/eu-west-1/application-autoscaling/aws4_request, SignedHeaders=host, Signature=00"
)

type rawRequest struct {
	method, target, contentType, auth, body string
}

// do sends a hand-built request, bypassing the SDK, and returns the status and the decoded JSON body.
func do(t *testing.T, url string, r rawRequest) (int, map[string]any, http.Header) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	req, err := http.NewRequest(r.method, url+"/", strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"X-Amz-Target": r.target, "Content-Type": r.contentType, "Authorization": r.auth} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("response %q is not a JSON object: %v", raw, err)
	}
	return resp.StatusCode, body, resp.Header
}

func TestProtocolErrors(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 1, 4)
	srv := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(srv.Close)

	ok := rawRequest{target: target + "DescribeScalableTargets", contentType: jsonType, auth: goodAuth, body: `{"ServiceNamespace":"ecs"}`}
	with := func(f func(*rawRequest)) rawRequest { r := ok; f(&r); return r }
	op := func(name, body string) rawRequest {
		return with(func(r *rawRequest) { r.target, r.body = target+name, body })
	}
	tests := []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"GET", with(func(r *rawRequest) { r.method = http.MethodGet }), 405, "UnknownOperationException", "POST"},
		{"no target", with(func(r *rawRequest) { r.target = "" }), 400, "UnknownOperationException", "X-Amz-Target"},
		{"another service's target", with(func(r *rawRequest) { r.target = "AmazonEC2ContainerServiceV20141113.ListTasks" }), 400, "UnknownOperationException", "AmazonEC2ContainerServiceV20141113.ListTasks"},
		{"unsupported operation", op("DescribeScalingActivities", `{}`), 400, "UnknownOperationException", `"DescribeScalingActivities" is not implemented`},
		{"plain JSON content type", with(func(r *rawRequest) { r.contentType = "application/json" }), 400, "SerializationException", "Content-Type"},
		{"no Authorization", with(func(r *rawRequest) { r.auth = "" }), 400, "MissingAuthenticationTokenException", "no credentials"},
		{"not SigV4", with(func(r *rawRequest) { r.auth = "Bearer abc" }), 400, "IncompleteSignatureException", "SigV4"},
		{"no credential scope", with(func(r *rawRequest) { r.auth = "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00" }), 400, "IncompleteSignatureException", "Credential="},
		{"malformed credential scope", with(func(r *rawRequest) { r.auth = "AWS4-HMAC-SHA256 Credential=AKID/us-east-1" }), 400, "IncompleteSignatureException", "malformed"},
		{"signed for another region", with(func(r *rawRequest) { r.auth = otherAuth }), 400, "InvalidSignatureException", `"eu-west-1"`},
		{"signed for ECS", with(func(r *rawRequest) { r.auth = strings.Replace(goodAuth, "/application-autoscaling/", "/ecs/", 1) }), 400, "InvalidSignatureException", `"ecs"`},
		{"broken JSON", with(func(r *rawRequest) { r.body = `{"ServiceNamespace":` }), 400, "SerializationException", "DescribeScalableTargets request body"},
		{"capacity as a string", op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","MinCapacity":"3"}`), 400, "SerializationException", "MinCapacity"},
		{"capacity beyond int32", op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","MaxCapacity":3000000000}`), 400, "SerializationException", "MaxCapacity"},
		{"target value as a word", op("PutScalingPolicy", `{"PolicyName":"p","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"TargetValue":"fifty"}}`), 400, "SerializationException", `"fifty" is not a number`},
		{"body over 1 MiB", with(func(r *rawRequest) { r.body = `{"ServiceNamespace":"` + strings.Repeat("x", 1<<20) + `"}` }), 400, "SerializationException", "too large"},
		// Required members the SDK checks before sending.
		{"no namespace", op("DescribeScalableTargets", `{}`), 400, "ValidationException", "Value null at 'serviceNamespace'"},
		{"no dimension", op("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ResourceId":"service/prod/router"}`), 400, "ValidationException", "Value null at 'scalableDimension'"},
		{"no resource ID", op("DeregisterScalableTarget", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount"}`), 400, "ValidationException", "Value null at 'resourceId'"},
		{"no policy name", op("PutScalingPolicy", `{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router"}`), 400, "ValidationException", "Value null at 'policyName'"},
		{"no target value", op("PutScalingPolicy", `{"PolicyName":"p","ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount","ResourceId":"service/prod/router","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{}}`), 400, "ValidationException", "targetTrackingScalingPolicyConfiguration.targetValue"},
		{"no namespace for policies", op("DescribeScalingPolicies", `{"ResourceId":"service/prod/router"}`), 400, "ValidationException", "Value null at 'serviceNamespace'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, header := do(t, srv.URL, tc.req)
			if status != tc.wantStatus || body["__type"] != tc.wantType {
				t.Errorf("got %d %v, want %d %s", status, body["__type"], tc.wantStatus, tc.wantType)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("message %q, want it to mention %q", msg, tc.wantMsg)
			}
			if got := header.Get("Content-Type"); got != jsonType {
				t.Errorf("Content-Type %q, want %q", got, jsonType)
			}
		})
	}
	// Rejected calls are recorded with their error, under the operation the target named.
	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d", len(calls), len(tests))
	}
	if got := calls[3]; got.Op != "DescribeScalingActivities" || got.Err != "UnknownOperationException" {
		t.Errorf("recorded %+v, want DescribeScalingActivities failing with UnknownOperationException", got)
	}
	if got := calls[12]; got.Op != "RegisterScalableTarget" || got.Err != "SerializationException" {
		t.Errorf("recorded %+v, want RegisterScalableTarget failing with SerializationException", got)
	}
	if snap, _ := s.Target(router); snap.MinCapacity != 1 || snap.MaxCapacity != 4 || len(snap.Policies) != 0 {
		t.Errorf("rejected requests changed %s: %+v", router, snap)
	}
}

// TestWireFormat checks what the SDK cannot tell apart: members present or absent, and JSON types.
func TestWireFormat(t *testing.T) {
	clk := newClock()
	clk.Advance(500 * time.Millisecond)
	s := fakeaas.New(fakeaas.Options{Now: clk.Now})
	s.AddTarget(router, 1, 4)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	post := func(op, body string) map[string]any {
		t.Helper()
		status, out, header := do(t, srv.URL, rawRequest{target: target + op, contentType: jsonType, auth: goodAuth, body: body})
		if status != http.StatusOK {
			t.Fatalf("%s: status %d, body %v", op, status, out)
		}
		if header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("%s: no x-amzn-RequestId header", op)
		}
		return out
	}

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
		"TargetTrackingScalingPolicyConfiguration":{"TargetValue":50,"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}}}`)
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
		{"bad region", "Region", func() { fakeaas.New(fakeaas.Options{Region: "moon"}) }},
		{"bad account", "Account", func() { fakeaas.New(fakeaas.Options{Account: "42"}) }},
		{"resource ID", "not an ECS service resource ID", func() { fakeaas.New(fakeaas.Options{}).AddTarget("table/orders", 1, 2) }},
		{"negative min", "min -1", func() { fakeaas.New(fakeaas.Options{}).AddTarget(router, -1, 2) }},
		{"min above max", "min 3, max 2", func() { fakeaas.New(fakeaas.Options{}).AddTarget(router, 3, 2) }},
		{"duplicate target", "already registered", func() {
			s := fakeaas.New(fakeaas.Options{})
			s.AddTarget(router, 1, 2)
			s.AddTarget(router, 1, 2)
		}},
		{"FailNext typo", "RegisterScalableTargets", func() {
			fakeaas.New(fakeaas.Options{}).FailNext("RegisterScalableTargets", "ThrottlingException", 400, 1)
		}},
		{"FailNext status", "4xx/5xx", func() { fakeaas.New(fakeaas.Options{}).FailNext("PutScalingPolicy", "ThrottlingException", 200, 1) }},
		{"FailNext times", "times", func() { fakeaas.New(fakeaas.Options{}).FailNext("PutScalingPolicy", "ThrottlingException", 400, 0) }},
		{"FailNext code", "error code", func() { fakeaas.New(fakeaas.Options{}).FailNext("PutScalingPolicy", "", 400, 1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantPanic(t, tc.want, tc.f) })
	}
}

func TestARNsFollowOptions(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{Region: "cn-north-1", Account: "210987654321"})
	s.AddTarget(router, 1, 2)
	snap, _ := s.Target(router)
	wantMatch(t, "ARN", snap.ARN, `^arn:aws-cn:application-autoscaling:cn-north-1:210987654321:scalable-target/[0-9a-f]{36}$`)
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
