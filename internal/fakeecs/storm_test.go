package fakeecs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// once makes a single attempt, so that a test sees every answer of the fake rather than the retryer's outcome.
func once(o *ecs.Options) { o.RetryMaxAttempts = 1 }

// callErrs returns the error code recorded for each call, "" for a success.
func callErrs(s *fakeecs.Server) []string {
	return eachCall(s, func(c fakeecs.Call) string { return c.Err })
}

// ops returns the operation of each call.
func ops(s *fakeecs.Server) []string { return eachCall(s, func(c fakeecs.Call) string { return c.Op }) }

// eachCall returns f of each recorded call, oldest first.
func eachCall(s *fakeecs.Server, f func(fakeecs.Call) string) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, f(c))
	}
	return out
}

func TestOpLatency(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	router := &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}}
	list := &ecs.ListTasksInput{Cluster: aws.String("prod")}

	// An hour on DescribeServices: a client that gives up leaves no trace, and other operations are not delayed.
	s.SetOpLatency("DescribeServices", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.DescribeServices(ctx, router); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DescribeServices under an hour of latency: %v, want the context deadline", err)
	}
	quick, cancelQuick := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelQuick()
	if _, err := c.ListTasks(quick, list); err != nil {
		t.Fatalf("ListTasks while DescribeServices is slow: %v", err)
	}
	if diff := cmp.Diff([]string{"ListTasks"}, ops(s)); diff != "" {
		t.Errorf("recorded calls (-want +got):\n%s", diff)
	}

	// The operation's latency adds to SetLatency's.
	const global, extra = 10 * time.Millisecond, 30 * time.Millisecond
	s.SetLatency(global)
	s.SetOpLatency("DescribeServices", extra)
	begin := time.Now()
	if _, err := c.DescribeServices(context.Background(), router); err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if took := time.Since(begin); took < global+extra {
		t.Errorf("DescribeServices took %v, want at least %v", took, global+extra)
	}

	// 0 removes it: with an hour set again then removed, the call goes through.
	s.SetLatency(0)
	s.SetOpLatency("DescribeServices", time.Hour)
	s.SetOpLatency("DescribeServices", 0)
	if _, err := c.DescribeServices(quick, router); err != nil {
		t.Errorf("DescribeServices after SetOpLatency(0): %v", err)
	}
}

func TestThrottlePattern(t *testing.T) {
	const T = "ThrottlingException"
	tests := []struct {
		fraction float64
		want     []string // the recorded outcome of calls 1, 2, ...
	}{
		{0.5, []string{"", T, "", T, "", T}},
		{0.25, []string{"", "", "", T, "", "", "", T}},
		{0.4, []string{"", "", T, "", T, "", "", T, "", T}},
		{0.3, []string{"", "", "", T, "", "", T, "", "", T}},
		{1, []string{T, T, T}},
		{0, []string{"", "", ""}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.fraction), func(t *testing.T) {
			s, c := routerServer(t)
			s.SetThrottle("DescribeServices", tc.fraction)

			for i := range tc.want {
				_, err := c.DescribeServices(context.Background(),
					&ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}}, once)
				if tc.want[i] == "" {
					if err != nil {
						t.Errorf("call %d: %v, want success", i+1, err)
					}
					continue
				}
				wantThrottled(t, err)
			}
			if diff := cmp.Diff(tc.want, callErrs(s)); diff != "" {
				t.Errorf("recorded outcomes (-want +got):\n%s", diff)
			}
		})
	}

	// 90·0.7 is 62.999999999999993 in floating point; call 90 must still fail, as floor(90·7/10) = 63 says.
	t.Run("0.7 over 90 calls", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("ListTasks", 0.7)
		var want []string
		for k := 1; k <= 90; k++ {
			outcome := ""
			if k*7/10 > (k-1)*7/10 {
				outcome = T
			}
			want = append(want, outcome)
			_, _ = c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("prod")}, once)
		}
		if diff := cmp.Diff(want, callErrs(s)); diff != "" {
			t.Errorf("recorded outcomes (-want +got):\n%s", diff)
		}
	})
}

// wantThrottled fails unless err is what ECS answers a throttled call, and the SDK takes it for a throttle.
func wantThrottled(t *testing.T, err error) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" || apiErr.ErrorMessage() != "Rate exceeded" {
		t.Errorf("error = %v, want ThrottlingException: Rate exceeded", err)
		return
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != 400 {
		t.Errorf("error = %v, want HTTP 400", err)
	}
	if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err); got != aws.TrueTernary {
		t.Errorf("the SDK's standard retryer does not classify %v as a throttle (%v)", err, got)
	}
}

// routerServer serves a fake with the service prod/router at 2 tasks.
func routerServer(t *testing.T) (*fakeecs.Server, *ecs.Client) {
	t.Helper()
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 2, nil)
	return s, newClient(awstest.Start(t, s))
}

// describeRouter calls DescribeServices for prod/router and returns its error.
func describeRouter(c *ecs.Client, optFns ...func(*ecs.Options)) error {
	_, err := c.DescribeServices(context.Background(),
		&ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}}, optFns...)
	return err
}

func TestThrottle(t *testing.T) {
	ctx := context.Background()

	t.Run("the SDK's retryer rides through half the calls throttled", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("DescribeServices", 0.5)
		for i := range 4 {
			if err := describeRouter(c); err != nil {
				t.Fatalf("call %d failed after retries: %v", i+1, err)
			}
		}
		want := []string{"", "ThrottlingException", "", "ThrottlingException", "", "ThrottlingException", ""}
		if diff := cmp.Diff(want, callErrs(s)); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
	})

	t.Run("only the named operation is throttled", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("DescribeServices", 1)
		if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}, once); err != nil {
			t.Errorf("ListTasks: %v", err)
		}
	})

	t.Run("a throttled UpdateService changes nothing", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("UpdateService", 1)
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(5),
		})
		var maxed *retry.MaxAttemptsError
		if !errors.As(err, &maxed) {
			t.Errorf("UpdateService: %v, want the SDK to give up after its attempts", err)
		}
		wantThrottled(t, err)
		if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 2 || len(snap.Tasks) != 2 {
			t.Errorf("router: %d desired, %d tasks; want 2 and 2", snap.DesiredCount, len(snap.Tasks))
		}
	})

	t.Run("FailNext takes precedence", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("DescribeServices", 1)
		s.FailNext("DescribeServices", "ServerException", 500, 1)
		awstest.WantAPIError[*types.ServerException](t, describeRouter(c, once), "FailNext")
		wantThrottled(t, describeRouter(c, once))
		if diff := cmp.Diff([]string{"ServerException", "ThrottlingException"}, callErrs(s)); diff != "" {
			t.Errorf("recorded outcomes (-want +got):\n%s", diff)
		}
	})

	t.Run("SetThrottle restarts the count and 0 turns it off", func(t *testing.T) {
		s, c := routerServer(t)
		s.SetThrottle("DescribeServices", 0.5)
		if err := describeRouter(c, once); err != nil { // call 1 of 0.5 passes
			t.Fatalf("call 1: %v", err)
		}
		s.SetThrottle("DescribeServices", 0.5)
		if err := describeRouter(c, once); err != nil { // call 1 again
			t.Errorf("first call after SetThrottle again: %v, want success", err)
		}
		wantThrottled(t, describeRouter(c, once))
		s.SetThrottle("DescribeServices", 0)
		for range 3 {
			if err := describeRouter(c, once); err != nil {
				t.Errorf("after SetThrottle(0): %v", err)
			}
		}
	})
}

func TestDeleteService(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StopDelay: 10 * time.Second})
	routerARN := s.AddService("prod", "router", 3, map[string]string{"team": "edge"})
	s.AddService("prod", "api", 1, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	if snap, _ := s.Service("prod", "router"); snap.Status != "ACTIVE" {
		t.Errorf("status before DeleteService = %q, want ACTIVE", snap.Status)
	}
	before, _ := s.Service("prod", "router")
	clk.Advance(time.Second)
	if err := s.DeleteService("prod", "router"); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}

	// DescribeServices still answers for it, INACTIVE and at 0, without its tags.
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{"router", "api"}, Include: []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil || len(out.Services) != 2 || len(out.Failures) != 0 {
		t.Fatalf("DescribeServices = %+v, %v; want both services and no failures", out, err)
	}
	type view struct {
		Status                 string
		Desired, Running, Pend int32
		Tags                   int
	}
	viewOf := func(svc types.Service) view {
		return view{aws.ToString(svc.Status), svc.DesiredCount, svc.RunningCount, svc.PendingCount, len(svc.Tags)}
	}
	if got, want := viewOf(out.Services[0]), (view{"INACTIVE", 0, 0, 0, 0}); got != want {
		t.Errorf("router = %+v, want %+v", got, want)
	}
	if got := aws.ToString(out.Services[1].Status); got != "ACTIVE" || out.Services[1].RunningCount != 1 {
		t.Errorf("api = %s with %d running, want ACTIVE with 1", got, out.Services[1].RunningCount)
	}
	snap, _ := s.Service("prod", "router")
	if snap.Status != "INACTIVE" || snap.DesiredCount != 0 || len(snap.Tags) != 0 {
		t.Errorf("snapshot: %s, %d desired, tags %v; want INACTIVE, 0, none", snap.Status, snap.DesiredCount, snap.Tags)
	}

	// Its tasks stop: none listed RUNNING, all draining, then STOPPED and listed as such.
	running, _ := listAll(t, c, ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("router")})
	if len(running) != 0 {
		t.Errorf("ListTasks(router) = %v, want no running tasks", running)
	}
	ids := taskARNs(before, "RUNNING")
	for _, v := range describe(t, c, ids...) {
		if v.LastStatus != "DEACTIVATING" || v.DesiredStatus != "STOPPED" {
			t.Errorf("task of the deleted service: %s/%s, want DEACTIVATING/STOPPED", v.LastStatus, v.DesiredStatus)
		}
	}
	clk.Advance(10 * time.Second)
	for _, v := range describe(t, c, ids...) {
		if v.LastStatus != "STOPPED" || v.StopCode != types.TaskStopCodeServiceSchedulerInitiated {
			t.Errorf("task of the deleted service after StopDelay: %s (%s), want STOPPED by the scheduler", v.LastStatus, v.StopCode)
		}
	}
	stopped, _ := listAll(t, c, ecs.ListTasksInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("router"), DesiredStatus: types.DesiredStatusStopped,
	})
	if diff := cmp.Diff(ids, stopped); diff != "" {
		t.Errorf("ListTasks(router, STOPPED) (-want +got):\n%s", diff)
	}

	// Writes fail as ECS fails them for an inactive service.
	recorded := len(s.Calls())
	for _, ref := range []string{"router", routerARN} {
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(ref), DesiredCount: aws.Int32(2)})
		awstest.WantAPIError[*types.ServiceNotActiveException](t, err, "Service was not ACTIVE")
	}
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(routerARN), Tags: tags("fastscaler:paused", "true")})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "service is inactive")
	_, err = c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(routerARN), TagKeys: []string{"team"}})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "service is inactive")
	_, err = c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(routerARN)})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "service is inactive")
	if err := s.SetDesiredCount("prod", "router", 1); err == nil {
		t.Errorf("SetDesiredCount on a deleted service succeeded, want an error")
	}
	if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 0 {
		t.Errorf("router after the failed writes: %d desired, want 0", snap.DesiredCount)
	}
	wantErrs := []string{"ServiceNotActiveException", "ServiceNotActiveException",
		"InvalidParameterException", "InvalidParameterException", "InvalidParameterException"}
	if diff := cmp.Diff(wantErrs, callErrs(s)[recorded:]); diff != "" {
		t.Errorf("recorded outcomes of the writes (-want +got):\n%s", diff)
	}

	// Deleting it again does nothing, as in ECS; unknown names are errors.
	if err := s.DeleteService("prod", "router"); err != nil {
		t.Errorf("second DeleteService: %v, want none", err)
	}
	for _, bad := range [][2]string{{"prod", "web"}, {"staging", "router"}} {
		if err := s.DeleteService(bad[0], bad[1]); err == nil {
			t.Errorf("DeleteService(%q, %q) succeeded, want an error", bad[0], bad[1])
		}
	}
	if got := describeCounts(t, c, "api"); got != (counts{1, 1, 0}) {
		t.Errorf("api after deleting router: %+v, want {1 1 0}", got)
	}
}

func TestRecreateDeletedService(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, Address: addressOf})
	arn := s.AddService("prod", "router", 2, map[string]string{"team": "edge"})
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()
	old, _ := s.Service("prod", "router")
	oldDeployment := describeOne(t, c).Deployments[0].Id
	if err := s.DeleteService("prod", "router"); err != nil {
		t.Fatal(err)
	}

	if got := s.AddService("prod", "router", 1, map[string]string{"team": "core"}); got != arn {
		t.Errorf("re-created ARN = %s, want the same %s", got, arn)
	}
	svc := describeOne(t, c)
	if aws.ToString(svc.Status) != "ACTIVE" || svc.DesiredCount != 1 || svc.RunningCount != 1 {
		t.Errorf("re-created router: %s, %d desired, %d running; want ACTIVE, 1, 1", aws.ToString(svc.Status), svc.DesiredCount, svc.RunningCount)
	}
	if aws.ToString(svc.Deployments[0].Id) == aws.ToString(oldDeployment) {
		t.Errorf("re-created router kept deployment %s, want a new one", aws.ToString(oldDeployment))
	}
	if diff := cmp.Diff(tags("team", "core"), listTags(t, c, arn), awstest.CmpSDK); diff != "" {
		t.Errorf("tags of the re-created router (-want +got):\n%s", diff)
	}

	// New tasks get new IDs and carry on the address numbering; the old ones stay listed as stopped.
	running, _ := listAll(t, c, ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("router")})
	if len(running) != 1 || slices.Contains(taskARNs(old, "RUNNING"), running[0]) {
		t.Fatalf("running tasks %v, want one new task (old ones: %v)", running, taskARNs(old, "RUNNING"))
	}
	if v := describe(t, c, running[0]); v[0].IPv4 != "10.1.0.3" {
		t.Errorf("new task address = %s, want 10.1.0.3 (the third task of router)", v[0].IPv4)
	}
	stopped, _ := listAll(t, c, ecs.ListTasksInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("router"), DesiredStatus: types.DesiredStatusStopped,
	})
	if diff := cmp.Diff(taskARNs(old, "RUNNING"), stopped); diff != "" {
		t.Errorf("stopped tasks (-want +got):\n%s", diff)
	}

	// It is an ordinary service again.
	if got := updateDesired(t, c, "router", 3); got.DesiredCount != 3 {
		t.Errorf("UpdateService on the re-created router: desiredCount %d, want 3", got.DesiredCount)
	}
	clk.Advance(2 * time.Hour) // the deleted service's stopped tasks expire
	stopped, _ = listAll(t, c, ecs.ListTasksInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("router"), DesiredStatus: types.DesiredStatusStopped,
	})
	if len(stopped) != 0 {
		t.Errorf("stopped tasks after two hours: %v, want none", stopped)
	}
	if snap, _ := s.Service("prod", "router"); snap.Status != "ACTIVE" || snap.RunningCount != 3 || len(snap.Tasks) != 3 {
		t.Errorf("router: %s, %d running, %d tasks; want ACTIVE, 3, 3", snap.Status, snap.RunningCount, len(snap.Tasks))
	}
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(arn), DesiredCount: aws.Int32(1)}); err != nil {
		t.Errorf("UpdateService by ARN: %v", err)
	}
}

func describeOne(t *testing.T, c *ecs.Client) types.Service {
	t.Helper()
	out, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices(router) = %+v, %v", out, err)
	}
	return out.Services[0]
}
