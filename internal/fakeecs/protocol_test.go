package fakeecs_test

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

const (
	target    = "AmazonEC2ContainerServiceV20141113."
	jsonType  = "application/x-amz-json-1.1"
	goodAuth  = "AWS4-HMAC-SHA256 Credential=AKIDFAKEECS/20250301/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	otherAuth = "AWS4-HMAC-SHA256 Credential=AKIDFAKEECS/20250301/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=00"
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
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	srv := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(srv.Close)

	ok := rawRequest{target: target + "ListTasks", contentType: jsonType, auth: goodAuth, body: `{"cluster":"prod"}`}
	with := func(f func(*rawRequest)) rawRequest { r := ok; f(&r); return r }
	tests := []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"GET", with(func(r *rawRequest) { r.method = http.MethodGet }), 405, "UnknownOperationException", "POST"},
		{"no target", with(func(r *rawRequest) { r.target = "" }), 400, "UnknownOperationException", "X-Amz-Target"},
		{"another service's target", with(func(r *rawRequest) { r.target = "DynamoDB_20120810.GetItem" }), 400, "UnknownOperationException", "DynamoDB_20120810.GetItem"},
		{"unsupported operation", with(func(r *rawRequest) { r.target = target + "CreateService" }), 400, "UnknownOperationException", `"CreateService" is not implemented`},
		{"plain JSON content type", with(func(r *rawRequest) { r.contentType = "application/json" }), 400, "SerializationException", "Content-Type"},
		{"no Authorization", with(func(r *rawRequest) { r.auth = "" }), 400, "MissingAuthenticationTokenException", "no credentials"},
		{"not SigV4", with(func(r *rawRequest) { r.auth = "Bearer abc" }), 400, "IncompleteSignatureException", "SigV4"},
		{"signed for another region", with(func(r *rawRequest) { r.auth = otherAuth }), 400, "InvalidSignatureException", `"eu-west-1"`},
		{"signed for another service", with(func(r *rawRequest) { r.auth = strings.Replace(goodAuth, "/ecs/", "/s3/", 1) }), 400, "InvalidSignatureException", `"s3"`},
		{"broken JSON", with(func(r *rawRequest) { r.body = `{"cluster":` }), 400, "SerializationException", "ListTasks request body"},
		{"number as string", with(func(r *rawRequest) {
			r.target, r.body = target+"UpdateService", `{"cluster":"prod","service":"router","desiredCount":"3"}`
		}), 400, "SerializationException", "desiredCount"},
		{"body over 1 MiB", with(func(r *rawRequest) { r.body = `{"cluster":"` + strings.Repeat("x", 1<<20) + `"}` }), 400, "SerializationException", "too large"},
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
	if got := calls[3]; got.Op != "CreateService" || got.Err != "UnknownOperationException" {
		t.Errorf("recorded %+v, want CreateService failing with UnknownOperationException", got)
	}
	if got := calls[10]; got.Op != "UpdateService" || got.Err != "SerializationException" {
		t.Errorf("recorded %+v, want UpdateService failing with SerializationException", got)
	}
}

// TestWireFormat checks what the SDK cannot tell apart: fields present or absent, and JSON types.
func TestWireFormat(t *testing.T) {
	clk := newClock()
	clk.Advance(500 * time.Millisecond)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now})
	s.AddService("prod", "router", 1, map[string]string{"team": "edge"})
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

	services := func(include string) map[string]any {
		out := post("DescribeServices", `{"cluster":"prod","services":["router"]`+include+`}`)
		return out["services"].([]any)[0].(map[string]any)
	}
	if _, ok := services("")["tags"]; ok {
		t.Errorf("DescribeServices sent tags without include TAGS")
	}
	svc := services(`,"include":["TAGS"]`)
	if diff := cmp.Diff([]any{map[string]any{"key": "team", "value": "edge"}}, svc["tags"]); diff != "" {
		t.Errorf("DescribeServices tags (-want +got):\n%s", diff)
	}
	if got, ok := svc["createdAt"].(float64); !ok || got != float64(t0.Unix())+0.5 {
		t.Errorf("createdAt = %#v, want epoch seconds %v as a JSON number", svc["createdAt"], float64(t0.Unix())+0.5)
	}
	if got, ok := svc["desiredCount"].(float64); !ok || got != 1 {
		t.Errorf("desiredCount = %#v, want the JSON number 1", svc["desiredCount"])
	}

	list := post("ListTasks", `{"cluster":"prod"}`)
	if _, ok := list["nextToken"]; ok {
		t.Errorf("ListTasks sent a nextToken on its only page")
	}
	task := post("DescribeTasks", `{"cluster":"prod","tasks":["`+list["taskArns"].([]any)[0].(string)+`"]}`)["tasks"].([]any)[0].(map[string]any)
	if _, ok := task["cpu"].(string); !ok {
		t.Errorf("task cpu = %#v, want a string as ECS sends", task["cpu"])
	}
	if _, ok := task["memory"].(string); !ok {
		t.Errorf("task memory = %#v, want a string as ECS sends", task["memory"])
	}
	if _, ok := task["tags"]; ok {
		t.Errorf("DescribeTasks sent tags without include TAGS")
	}
	for _, absent := range []string{"stoppedAt", "stoppingAt", "stopCode", "stoppedReason"} {
		if _, ok := task[absent]; ok {
			t.Errorf("running task has %s", absent)
		}
	}
}

func TestSetUpMistakesPanic(t *testing.T) {
	tests := []struct {
		name string
		want string
		f    func()
	}{
		{"bad region", "Region", func() { fakeecs.New(fakeecs.Options{Region: "moon"}) }},
		{"bad account", "Account", func() { fakeecs.New(fakeecs.Options{Account: "42"}) }},
		{"negative delay", "negative", func() { fakeecs.New(fakeecs.Options{StartDelay: -time.Second}) }},
		{"page size", "PageSize 101", func() { fakeecs.New(fakeecs.Options{PageSize: 101}) }},
		{"cluster name", "cluster", func() { fakeecs.New(fakeecs.Options{}).AddCluster("a/b") }},
		{"service name", "not a valid name", func() { fakeecs.New(fakeecs.Options{}).AddService("prod", "", 1, nil) }},
		{"negative desired", "desired count -1", func() { fakeecs.New(fakeecs.Options{}).AddService("prod", "router", -1, nil) }},
		{"bad tag", "reserved", func() {
			fakeecs.New(fakeecs.Options{}).AddService("prod", "router", 1, map[string]string{"aws:x": "y"})
		}},
		{"duplicate service", "already exists", func() {
			s := fakeecs.New(fakeecs.Options{})
			s.AddService("prod", "router", 1, nil)
			s.AddService("prod", "router", 1, nil)
		}},
		{"bad address", "not an IP address", func() {
			fakeecs.New(fakeecs.Options{Address: func(string, int) string { return "localhost" }}).AddService("prod", "router", 1, nil)
		}},
		{"two IPv4 addresses", "at most one IPv4", func() {
			fakeecs.New(fakeecs.Options{Address: func(string, int) string { return "10.0.0.1,10.0.0.2" }}).AddService("prod", "router", 1, nil)
		}},
		{"FailNext typo", "UpdateServices", func() { fakeecs.New(fakeecs.Options{}).FailNext("UpdateServices", "ThrottlingException", 400, 1) }},
		{"FailNext status", "4xx/5xx", func() { fakeecs.New(fakeecs.Options{}).FailNext("UpdateService", "ThrottlingException", 200, 1) }},
		{"FailNext times", "times", func() { fakeecs.New(fakeecs.Options{}).FailNext("UpdateService", "ThrottlingException", 400, 0) }},
		{"SetOpLatency typo", "DescribeService", func() { fakeecs.New(fakeecs.Options{}).SetOpLatency("DescribeService", time.Second) }},
		{"SetThrottle typo", "ListTask", func() { fakeecs.New(fakeecs.Options{}).SetThrottle("ListTask", 0.5) }},
		{"SetThrottle over 1", "[0, 1]", func() { fakeecs.New(fakeecs.Options{}).SetThrottle("ListTasks", 1.5) }},
		{"SetThrottle negative", "[0, 1]", func() { fakeecs.New(fakeecs.Options{}).SetThrottle("ListTasks", -0.1) }},
		{"SetThrottle NaN", "[0, 1]", func() { fakeecs.New(fakeecs.Options{}).SetThrottle("ListTasks", math.NaN()) }},
		{"re-adding an active service", "already exists", func() {
			s := fakeecs.New(fakeecs.Options{})
			s.AddService("prod", "router", 1, nil)
			if err := s.DeleteService("prod", "router"); err != nil {
				panic(err)
			}
			s.AddService("prod", "router", 1, nil) // re-creating a deleted service is fine, twice is not
			s.AddService("prod", "router", 1, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantPanic(t, tc.want, tc.f) })
	}
}

func TestDefaultAddresses(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{Region: "eu-west-1", Account: "210987654321"})
	s.AddService("prod", "router", 2, nil)
	s.AddService("prod", "api", 1, nil)
	var got []string
	for _, name := range []string{"router", "api"} {
		snap, _ := s.Service("prod", name)
		for _, ts := range snap.Tasks {
			got = append(got, ts.IPv4)
		}
		if want := "arn:aws:ecs:eu-west-1:210987654321:service/prod/" + name; snap.ARN != want {
			t.Errorf("ARN %q, want %q", snap.ARN, want)
		}
	}
	if diff := cmp.Diff([]string{"10.0.0.4", "10.0.0.5", "10.0.0.6"}, got); diff != "" {
		t.Errorf("default addresses (-want +got):\n%s", diff)
	}
}
