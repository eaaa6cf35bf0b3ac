package fakeecs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func listTags(t *testing.T, c *ecs.Client, arn string) []types.Tag {
	t.Helper()
	out, err := c.ListTagsForResource(context.Background(), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	return out.Tags
}

func TestTagsRoundTrip(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now})
	arn := s.AddService("prod", "router", 1, map[string]string{"team": "edge"})
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	if _, err := c.TagResource(ctx, &ecs.TagResourceInput{
		ResourceArn: aws.String(arn),
		Tags:        tags("fastscaler:paused", "true", "fastscaler:floor", "router=5 until 2025-03-01T13:00:00Z", "team", "core"),
	}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	want := tags("fastscaler:floor", "router=5 until 2025-03-01T13:00:00Z", "fastscaler:paused", "true", "team", "core")
	if diff := cmp.Diff(want, listTags(t, c, arn), awstest.CmpSDK); diff != "" {
		t.Errorf("tags after TagResource (-want +got):\n%s", diff)
	}

	// Removing a key the service does not have is not an error.
	if _, err := c.UntagResource(ctx, &ecs.UntagResourceInput{
		ResourceArn: aws.String(arn), TagKeys: []string{"fastscaler:paused", "absent"},
	}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	want = tags("fastscaler:floor", "router=5 until 2025-03-01T13:00:00Z", "team", "core")
	if diff := cmp.Diff(want, listTags(t, c, arn), awstest.CmpSDK); diff != "" {
		t.Errorf("tags after UntagResource (-want +got):\n%s", diff)
	}
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{"router"}, Include: []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if diff := cmp.Diff(want, out.Services[0].Tags, awstest.CmpSDK); diff != "" {
		t.Errorf("DescribeServices tags (-want +got):\n%s", diff)
	}
	snap, _ := s.Service("prod", "router")
	wantMap := map[string]string{"fastscaler:floor": "router=5 until 2025-03-01T13:00:00Z", "team": "core"}
	if diff := cmp.Diff(wantMap, snap.Tags); diff != "" {
		t.Errorf("snapshot tags (-want +got):\n%s", diff)
	}

	// An empty tag list is valid and changes nothing.
	if _, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{}}); err != nil {
		t.Errorf("TagResource with no tags: %v", err)
	}

	calls := s.Calls()
	wantCalls := []fakeecs.Call{
		{Head: awsfake.Head{Op: "TagResource", Time: t0}, Service: "router", ResourceARN: arn,
			Tags:    map[string]string{"fastscaler:paused": "true", "fastscaler:floor": "router=5 until 2025-03-01T13:00:00Z", "team": "core"},
			TagKeys: []string{"fastscaler:floor", "fastscaler:paused", "team"}},
		{Head: awsfake.Head{Op: "ListTagsForResource", Time: t0}, Service: "router", ResourceARN: arn},
		{Head: awsfake.Head{Op: "UntagResource", Time: t0}, Service: "router", ResourceARN: arn, TagKeys: []string{"fastscaler:paused", "absent"}},
	}
	if diff := cmp.Diff(wantCalls, calls[:3]); diff != "" {
		t.Errorf("recorded calls (-want +got):\n%s", diff)
	}
}

func TestTagValidation(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	arn := s.AddService("prod", "router", 1, map[string]string{"team": "edge"})
	s.AddService("prod", "api", 0, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	fifty := make([]types.Tag, 50)
	for i := range fifty {
		fifty[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")}
	}
	tagErr := func(in ecs.TagResourceInput) error { _, err := c.TagResource(ctx, &in); return err }
	untagErr := func(in ecs.UntagResourceInput) error { _, err := c.UntagResource(ctx, &in); return err }
	listErr := func(arn string) error {
		_, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		return err
	}

	tests := []struct {
		name    string
		err     error
		wantErr string // empty when the call must succeed
	}{
		{"key of 128 characters", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags(strings.Repeat("k", 128), "")}), ""},
		{"key of 129 characters", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags(strings.Repeat("k", 129), "v")}), "129 characters"},
		{"empty key", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("", "v")}), "0 characters"},
		{"value of 256 characters", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("long", strings.Repeat("é", 256))}), ""},
		{"value of 257 characters", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("long", strings.Repeat("v", 257))}), "257 characters"},
		{"every allowed character", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("Équipe 9_.:/=+-@", "x y_.:/=+-@Ω7")}), ""},
		{"key with #", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("cost#center", "v")}), `contains '#'`},
		{"value with !", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("k", "yes!")}), `contains '!'`},
		{"aws: key", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("aws:owner", "v")}), "reserved"},
		{"AWS: key in any case", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("AwS:owner", "v")}), "reserved"},
		{"aws: value", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("owner", "aws:me")}), "reserved"},
		{"duplicate key", tagErr(ecs.TagResourceInput{ResourceArn: &arn, Tags: tags("a", "1", "a", "2")}), "more than once"},
		{"51 tags in all", tagErr(ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/prod/api"), Tags: append(fifty, tags("one", "more")...)}), "at most 50"},
		{"short service ARN", tagErr(ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/router"), Tags: tags("k", "v")}), "Long arn format"},
		{"unknown service", tagErr(ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/prod/web"), Tags: tags("k", "v")}), "not found"},
		{"service ARN of another region", listErr("arn:aws:ecs:eu-west-1:" + account + ":service/prod/router"), "not found"},
		{"cluster ARN", listErr(arnPrefix + "cluster/prod"), "services only"},
		{"not an ARN", listErr("router"), "not an ECS ARN"},
		{"untag aws: key", untagErr(ecs.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"aws:cloudformation:stack-name"}}), "reserved"},
		{"untag empty key", untagErr(ecs.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{""}}), "0 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr == "" {
				if tc.err != nil {
					t.Errorf("error = %v, want success", tc.err)
				}
				return
			}
			awstest.WantAPIError[*types.InvalidParameterException](t, tc.err, tc.wantErr)
		})
	}
	// The rejected requests left no trace.
	if snap, _ := s.Service("prod", "api"); len(snap.Tags) != 0 {
		t.Errorf("api has %d tags after rejected requests, want none", len(snap.Tags))
	}
	if snap, _ := s.Service("prod", "router"); len(snap.Tags) != 4 {
		t.Errorf("router has tags %v, want team plus the three accepted ones", snap.Tags)
	}
}
