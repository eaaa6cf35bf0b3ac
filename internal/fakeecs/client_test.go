package fakeecs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// TestInjectedFaultChangesNothing: a FailNext failure (awsfake's tests cover the queue) answers before the
// operation runs, so only the retry that succeeded updated the service, once.
func TestInjectedFaultChangesNothing(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 2, nil)
	c := newClient(awstest.Start(t, s))
	s.FailNext("UpdateService", "ServerException", 500, 1)
	if _, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(4),
	}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 4 || len(snap.Tasks) != 4 {
		t.Errorf("router: %d desired, %d tasks; want 4 and 4", snap.DesiredCount, len(snap.Tasks))
	}
}

// TestOptionsLatency: Options.Latency is SetLatency from the start.
func TestOptionsLatency(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{Latency: time.Hour})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListTasks under an hour of latency: %v, want the context deadline", err)
	}
}

// TestConcurrentUse runs the daemon's polling pattern, a CLI's updates and a test's inspection at once; run
// with -race it checks the Server's locking.
func TestConcurrentUse(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: 2 * time.Second, StopDelay: time.Second, PageSize: 3})
	s.AddService("prod", "router", 4, nil)
	s.AddService("prod", "api", 2, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	const rounds = 25
	awstest.Concurrently(t, rounds,
		func(int) error { // the daemon's discovery
			p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("router")})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				if len(page.TaskArns) > 0 {
					if _, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: page.TaskArns}); err != nil {
						return err
					}
				}
			}
			return nil
		},
		func(i int) error { // scaling up and down
			_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
				Cluster: aws.String("prod"), Service: aws.String([]string{"router", "api"}[i%2]), DesiredCount: aws.Int32(int32(1 + i%7)),
			})
			return err
		},
		func(i int) error { // state in tags
			_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/prod/api"), Tags: tags("round", string(rune('a'+i)))})
			if err == nil {
				_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{
					Cluster: aws.String("prod"), Services: []string{"router", "api"}, Include: []types.ServiceField{types.ServiceFieldTags},
				})
			}
			return err
		},
		func(i int) error { // the test inspecting and stepping time
			clk.Advance(500 * time.Millisecond)
			s.Calls()
			snap, _ := s.Service("prod", "router")
			if i%5 == 0 && len(snap.Tasks) > 0 {
				_ = s.StopTask("prod", snap.Tasks[len(snap.Tasks)-1].ID) // may already be stopping: fine
			}
			if i == rounds/2 {
				s.FailNext("DescribeServices", "ThrottlingException", 400, 1)
			}
			return nil
		})

	clk.Advance(time.Minute)
	for _, name := range []string{"router", "api"} {
		snap, _ := s.Service("prod", name)
		if snap.RunningCount != snap.DesiredCount || snap.PendingCount != 0 {
			t.Errorf("%s settled at %d running, %d pending, want %d running", name, snap.RunningCount, snap.PendingCount, snap.DesiredCount)
		}
	}
}
