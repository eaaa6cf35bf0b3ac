package fakeecs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name    string
		op      string
		code    string
		status  int
		times   int
		call    func(*ecs.Client) error
		wantErr func(*testing.T, error) // nil: the SDK retries its way to success
		want    []string                // error code of each attempt recorded
	}{
		{
			name: "throttling is retried by the SDK", op: "DescribeServices", code: "ThrottlingException", status: 400, times: 2,
			call: func(c *ecs.Client) error {
				_, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}})
				return err
			},
			want: []string{"ThrottlingException", "ThrottlingException", ""},
		},
		{
			name: "a server error is retried", op: "UpdateService", code: "ServerException", status: 500, times: 1,
			call: func(c *ecs.Client) error {
				_, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(4)})
				return err
			},
			want: []string{"ServerException", ""},
		},
		{
			name: "access denied is not retried", op: "TagResource", code: "AccessDeniedException", status: 400, times: 1,
			call: func(c *ecs.Client) error {
				_, err := c.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/prod/router"), Tags: tags("k", "v")})
				return err
			},
			wantErr: func(t *testing.T, err error) { wantAPIError[*types.AccessDeniedException](t, err, "injected") },
			want:    []string{"AccessDeniedException"},
		},
		{
			name: "throttling beyond the retry budget surfaces", op: "ListTasks", code: "ThrottlingException", status: 400, times: 3,
			call: func(c *ecs.Client) error {
				_, err := c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("prod")})
				return err
			},
			wantErr: func(t *testing.T, err error) {
				var maxed *retry.MaxAttemptsError
				var apiErr smithy.APIError
				if !errors.As(err, &maxed) || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
					t.Errorf("error = %v, want ThrottlingException after the SDK's maximum attempts", err)
				}
			},
			want: []string{"ThrottlingException", "ThrottlingException", "ThrottlingException"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeecs.New(fakeecs.Options{})
			s.AddService("prod", "router", 2, nil)
			c := newClient(start(t, s))
			s.FailNext(tc.op, tc.code, tc.status, tc.times)

			err := tc.call(c)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("call failed after retries: %v", err)
			}
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("call succeeded, want an error")
				}
				tc.wantErr(t, err)
			}
			var got []string
			for _, call := range s.Calls() {
				if call.Op != tc.op {
					t.Errorf("unexpected %s call", call.Op)
				}
				got = append(got, call.Err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}

	// The injected UpdateService failure changed nothing; only the retry that succeeded did, once.
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 2, nil)
	c := newClient(start(t, s))
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

// The daemon and the CLI build their client with config.LoadDefaultConfig and find the fake through
// AWS_ENDPOINT_URL_ECS, so that path is tested end to end.
func TestEndpointFromEnvironment(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 3, nil)
	url := start(t, s)

	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECS":                url,
		"AWS_ENDPOINT_URL":                    "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
		"AWS_ACCESS_KEY_ID":                   "AKIDFAKEECS",
		"AWS_SECRET_ACCESS_KEY":               "fake-secret",
		"AWS_SESSION_TOKEN":                   "",
		"AWS_REGION":                          region,
		"AWS_PROFILE":                         "",
		"AWS_EC2_METADATA_DISABLED":           "true",
		"AWS_CONFIG_FILE":                     empty,
		"AWS_SHARED_CREDENTIALS_FILE":         empty,
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	out, err := ecs.NewFromConfig(cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{"router"},
	})
	if err != nil {
		t.Fatalf("DescribeServices through AWS_ENDPOINT_URL_ECS: %v", err)
	}
	if out.Services[0].RunningCount != 3 {
		t.Errorf("runningCount = %d, want 3", out.Services[0].RunningCount)
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Op != "DescribeServices" {
		t.Errorf("calls = %+v, want one DescribeServices", calls)
	}
}

func TestLatency(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{Latency: time.Hour})
	s.AddService("prod", "router", 1, nil)
	c := newClient(start(t, s))

	// The client gives up long before the hour is over; the fake neither answers nor records the call.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListTasks under an hour of latency: %v, want the context deadline", err)
	}
	if calls := s.Calls(); len(calls) != 0 {
		t.Errorf("recorded %d calls, want none for an abandoned request", len(calls))
	}

	const latency = 20 * time.Millisecond
	s.SetLatency(latency)
	begin := time.Now()
	if _, err := c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("prod")}); err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	if took := time.Since(begin); took < latency {
		t.Errorf("ListTasks took %v, want at least the latency of %v", took, latency)
	}
}

func TestStartAndClose(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	s.Close() // before Start: nothing to do
	url, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := s.Start(); err == nil {
		t.Errorf("second Start succeeded, want an error")
	}
	c := newClient(url)
	if _, err := c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("prod")}); err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	s.Close()
	s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}); err == nil {
		t.Errorf("ListTasks after Close succeeded, want a connection error")
	}
}

// TestConcurrentUse runs the daemon's polling pattern, a CLI's updates and a test's inspection at once; run
// with -race it checks the Server's locking.
func TestConcurrentUse(t *testing.T) {
	clk := newClock()
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: 2 * time.Second, StopDelay: time.Second, PageSize: 3})
	s.AddService("prod", "router", 4, nil)
	s.AddService("prod", "api", 2, nil)
	c := newClient(start(t, s))
	ctx := context.Background()

	const rounds = 25
	var wg sync.WaitGroup
	errs := make(chan error, 8*rounds)
	worker := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	worker(func(int) error { // the daemon's discovery
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
	})
	worker(func(i int) error { // scaling up and down
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String([]string{"router", "api"}[i%2]), DesiredCount: aws.Int32(int32(1 + i%7)),
		})
		return err
	})
	worker(func(i int) error { // state in tags
		_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arnPrefix + "service/prod/api"), Tags: tags("round", string(rune('a'+i)))})
		if err == nil {
			_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{
				Cluster: aws.String("prod"), Services: []string{"router", "api"}, Include: []types.ServiceField{types.ServiceFieldTags},
			})
		}
		return err
	})
	worker(func(i int) error { // the test inspecting and stepping time
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
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}

	clk.Advance(time.Minute)
	for _, name := range []string{"router", "api"} {
		snap, _ := s.Service("prod", name)
		if snap.RunningCount != snap.DesiredCount || snap.PendingCount != 0 {
			t.Errorf("%s settled at %d running, %d pending, want %d running", name, snap.RunningCount, snap.PendingCount, snap.DesiredCount)
		}
	}
}
