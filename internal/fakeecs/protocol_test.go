package fakeecs_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// TestWireFormat checks what the SDK cannot tell apart: fields present or absent, and JSON types.
func TestWireFormat(t *testing.T) {
	clk := clock.NewFake(t0)
	clk.Advance(500 * time.Millisecond)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now})
	s.AddService("prod", "router", 1, map[string]string{"team": "edge"})
	url := awstest.Start(t, s)
	post := func(op, body string) map[string]any { t.Helper(); return ecsJSON.Post(t, url, op, body) }

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

// TestProtocolErrors: awsfake's tests cover the envelope; this is what ECS's own request shapes reject.
func TestProtocolErrors(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	url := awstest.Start(t, s)
	awstest.WantJSONError(t, url, ecsJSON.Raw("UpdateService", `{"cluster":"prod","service":"router","desiredCount":"3"}`),
		400, "SerializationException", "desiredCount")
	if calls := s.Calls(); len(calls) != 1 || calls[0].Op != "UpdateService" || calls[0].Err != "SerializationException" {
		t.Errorf("recorded %+v, want UpdateService failing with SerializationException", calls)
	}
	if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 1 {
		t.Errorf("the rejected request changed the desired count to %d", snap.DesiredCount)
	}

	// The SDK checks the members a tag operation requires before it sends anything.
	arn := arnPrefix + "service/prod/router"
	awstest.WantJSONErrors(t, url, []awstest.ErrorCase{
		{Name: "TagResource without tags", Req: ecsJSON.Raw("TagResource", `{"resourceArn":"`+arn+`"}`), Status: 400, Type: "InvalidParameterException", Substr: "tags is required"},
		{Name: "UntagResource without tagKeys", Req: ecsJSON.Raw("UntagResource", `{"resourceArn":"`+arn+`"}`), Status: 400, Type: "InvalidParameterException", Substr: "tagKeys is required"},
		{Name: "TagResource without tags nor ARN", Req: ecsJSON.Raw("TagResource", `{}`), Status: 400, Type: "InvalidParameterException", Substr: "resourceArn is required"},
	})
}

func TestSetUpMistakesPanic(t *testing.T) {
	tests := []struct {
		name string
		want string
		f    func()
	}{
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
		t.Run(tc.name, func(t *testing.T) { awstest.WantPanic(t, tc.want, tc.f) })
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
