package fakeaas_test

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
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name    string
		op      string
		code    string
		status  int
		times   int
		call    func(*aas.Client) error
		wantErr func(*testing.T, error) // nil: the SDK retries its way to success
		want    []string                // error code of each attempt recorded
	}{
		{
			name: "throttling is retried by the SDK", op: "DescribeScalableTargets", code: "ThrottlingException", status: 400, times: 2,
			call: func(c *aas.Client) error {
				_, err := c.DescribeScalableTargets(context.Background(), &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs})
				return err
			},
			want: []string{"ThrottlingException", "ThrottlingException", ""},
		},
		{
			name: "a server error is retried", op: "RegisterScalableTarget", code: "InternalServiceException", status: 500, times: 1,
			call: func(c *aas.Client) error {
				_, err := c.RegisterScalableTarget(context.Background(), registerInput(router, i32(6), nil))
				return err
			},
			want: []string{"InternalServiceException", ""},
		},
		{
			name: "a concurrent update is not retried", op: "PutScalingPolicy", code: "ConcurrentUpdateException", status: 400, times: 1,
			call: func(c *aas.Client) error {
				_, err := c.PutScalingPolicy(context.Background(), cpuPolicy(router, "cpu50", 50, nil))
				return err
			},
			wantErr: func(t *testing.T, err error) { wantAPIError[*types.ConcurrentUpdateException](t, err, "injected") },
			want:    []string{"ConcurrentUpdateException"},
		},
		{
			name: "throttling beyond the retry budget surfaces", op: "DeregisterScalableTarget", code: "ThrottlingException", status: 400, times: 3,
			call: func(c *aas.Client) error {
				_, err := c.DeregisterScalableTarget(context.Background(), &aas.DeregisterScalableTargetInput{
					ServiceNamespace: types.ServiceNamespaceEcs, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(router),
				})
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
			svcs := newServices(map[string]int{router: 2})
			s := fakeaas.New(hooked(svcs, newClock()))
			s.AddTarget(router, 2, 10)
			c := serve(t, s)
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

	// The injected failure changed nothing, so the capacity moved once, by the retry that succeeded.
	svcs := newServices(map[string]int{router: 2})
	s := fakeaas.New(hooked(svcs, newClock()))
	s.AddTarget(router, 2, 10)
	c := serve(t, s)
	s.FailNext("RegisterScalableTarget", "InternalServiceException", 500, 1)
	register(t, c, router, i32(6), nil)
	if diff := cmp.Diff([]string{router + "=6"}, svcs.setLog()); diff != "" {
		t.Errorf("SetDesired calls (-want +got):\n%s", diff)
	}
}

// The daemon and the CLI build their client with config.LoadDefaultConfig and find the fake through
// AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING (the SDK's service ID "Application Auto Scaling", upper-cased,
// spaces to underscores), so that path is tested end to end.
func TestEndpointFromEnvironment(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	s.AddTarget(router, 2, 10)
	url := start(t, s)

	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING": url,
		"AWS_ENDPOINT_URL":                          "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":       "",
		"AWS_ACCESS_KEY_ID":                         "AKIDFAKEAAS",
		"AWS_SECRET_ACCESS_KEY":                     "fake-secret",
		"AWS_SESSION_TOKEN":                         "",
		"AWS_REGION":                                region,
		"AWS_PROFILE":                               "",
		"AWS_EC2_METADATA_DISABLED":                 "true",
		"AWS_CONFIG_FILE":                           empty,
		"AWS_SHARED_CREDENTIALS_FILE":               empty,
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	out, err := aas.NewFromConfig(cfg).DescribeScalableTargets(context.Background(), &aas.DescribeScalableTargetsInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{router},
	})
	if err != nil {
		t.Fatalf("DescribeScalableTargets through AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: %v", err)
	}
	if len(out.ScalableTargets) != 1 || aws.ToInt32(out.ScalableTargets[0].MaxCapacity) != 10 {
		t.Errorf("ScalableTargets = %+v, want router with MaxCapacity 10", out.ScalableTargets)
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Op != "DescribeScalableTargets" {
		t.Errorf("calls = %+v, want one DescribeScalableTargets", calls)
	}
}

func TestStartAndClose(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	s.Close() // before Start: nothing to do
	url, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := s.Start(); err == nil {
		t.Errorf("second Start succeeded, want an error")
	}
	c := newClient(url)
	in := &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}
	if _, err := c.DescribeScalableTargets(context.Background(), in); err != nil {
		t.Fatalf("DescribeScalableTargets: %v", err)
	}
	s.Close()
	s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.DescribeScalableTargets(ctx, in); err == nil {
		t.Errorf("DescribeScalableTargets after Close succeeded, want a connection error")
	}
}

// TestConcurrentUse runs an autoscaler's reads and writes, AAS's evaluations and a test's inspection at
// once; run with -race it checks the Server's locking.
func TestConcurrentUse(t *testing.T) {
	clk := newClock()
	svcs := newServices(map[string]int{router: 4, api: 2})
	s := fakeaas.New(hooked(svcs, clk))
	s.AddTarget(router, 1, 20)
	s.AddTarget(api, 1, 20)
	c := serve(t, s)
	putPolicy(t, c, cpuPolicy(router, "cpu50", 50, nil))
	ctx := context.Background()

	const rounds = 25
	var wg sync.WaitGroup
	errs := make(chan error, 8*rounds)
	worker := func(f func(i int) error) {
		wg.Go(func() {
			for i := range rounds {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		})
	}
	worker(func(int) error { // discovery
		p := aas.NewDescribeScalableTargetsPaginator(c, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, MaxResults: aws.Int32(1)})
		for p.HasMorePages() {
			if _, err := p.NextPage(ctx); err != nil {
				return err
			}
		}
		_, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs})
		return err
	})
	worker(func(i int) error { // AAS mode raising and restoring MinCapacity
		_, err := c.RegisterScalableTarget(ctx, registerInput([]string{router, api}[i%2], aws.Int32(int32(1+i%5)), nil))
		return err
	})
	worker(func(i int) error { // AAS's alarms
		_, _, err := s.Evaluate(router, float64(10+(i*37)%120))
		return err
	})
	worker(func(i int) error { // the test stepping time and looking
		clk.Advance(time.Minute)
		s.Calls()
		s.Target(router)
		if i == rounds/2 {
			s.FailNext("DescribeScalableTargets", "ThrottlingException", 400, 1)
		}
		return nil
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	for _, id := range []string{router, api} {
		snap, _ := s.Target(id)
		if d := svcs.get(id); d < snap.MinCapacity || d > snap.MaxCapacity {
			t.Errorf("%s: desired %d outside its range %d..%d", id, d, snap.MinCapacity, snap.MaxCapacity)
		}
	}
}

func TestClearFaults(t *testing.T) {
	s := fakeaas.New(fakeaas.Options{})
	c := serve(t, s)
	s.FailNext("DescribeScalableTargets", "AccessDeniedException", 400, 1000)
	in := &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}
	if _, err := c.DescribeScalableTargets(context.Background(), in); err == nil {
		t.Fatal("DescribeScalableTargets succeeded with a fault queued")
	}
	s.ClearFaults()
	if _, err := c.DescribeScalableTargets(context.Background(), in); err != nil {
		t.Fatalf("DescribeScalableTargets after ClearFaults: %v", err)
	}
}
