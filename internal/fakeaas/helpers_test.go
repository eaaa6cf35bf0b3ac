package fakeaas_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
)

const (
	region  = "us-east-1"
	account = "123456789012"
	router  = "service/prod/router"
	api     = "service/prod/api"
	ecsRole = "arn:aws:iam::" + account + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
)

// aasJSON is Application Auto Scaling's awsJson1_1 endpoint.
var aasJSON = awstest.JSONService{TargetPrefix: "AnyScaleFrontendService.", SigningName: "application-autoscaling"}

// t0 is a whole second, so that epoch-second timestamps survive the wire exactly.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// services stands in for ECS behind the Desired and SetDesired hooks: desired counts by resource ID, and a
// log of every count set.
type services struct {
	mu      sync.Mutex
	desired map[string]int
	sets    []string // "service/prod/router=4"
	getErr  error    // returned by Desired when set
	setErr  error    // returned by SetDesired when set
}

func newServices(desired map[string]int) *services {
	return &services{desired: maps.Clone(desired)}
}

func (s *services) Desired(id string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return 0, s.getErr
	}
	n, ok := s.desired[id]
	if !ok {
		return 0, fmt.Errorf("no ECS service %s", id)
	}
	return n, nil
}

func (s *services) SetDesired(id string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setErr != nil {
		return s.setErr
	}
	s.desired[id] = n
	s.sets = append(s.sets, fmt.Sprintf("%s=%d", id, n))
	return nil
}

func (s *services) get(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.desired[id]
}

// set changes a desired count behind AAS's back, as another autoscaler's UpdateService does.
func (s *services) set(id string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.desired[id] = n
}

func (s *services) setLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sets...)
}

// hooked returns Options wired to svcs and clk.
func hooked(svcs *services, clk *clock.Fake) fakeaas.Options {
	return fakeaas.Options{Now: clk.Now, Desired: svcs.Desired, SetDesired: svcs.SetDesired}
}

// newClient returns the real SDK client aimed at url (awstest.Config).
func newClient(url string) *aas.Client { return aas.NewFromConfig(awstest.Config(url)) }

// routerAndAPI serves a fake on a fake clock, hooked to router (4 tasks) and api (2), both registered 1..20
// and then the extra resource IDs, with router tracking CPU at 50%.
func routerAndAPI(t *testing.T, extra ...string) (*clock.Fake, *services, *fakeaas.Server, *aas.Client) {
	t.Helper()
	clk := clock.NewFake(t0)
	svcs := newServices(map[string]int{router: 4, api: 2})
	s := fakeaas.New(hooked(svcs, clk))
	for _, id := range append([]string{router, api}, extra...) {
		s.AddTarget(id, 1, 20)
	}
	c := serve(t, s)
	putPolicy(t, c, cpuPolicy(router, "cpu50", 50, nil))
	return clk, svcs, s, c
}

// serve starts s and returns an SDK client for it.
func serve(t *testing.T, s *fakeaas.Server) *aas.Client {
	t.Helper()
	return newClient(awstest.Start(t, s))
}

// serveTargets serves a fake (no hooks, the wall clock) with ids registered at capacity 1..4, and returns
// it with an SDK client for it.
func serveTargets(t *testing.T, ids ...string) (*fakeaas.Server, *aas.Client) {
	t.Helper()
	s := fakeaas.New(fakeaas.Options{})
	for _, id := range ids {
		s.AddTarget(id, 1, 4)
	}
	return s, serve(t, s)
}

// register calls RegisterScalableTarget for an ECS service, failing the test on an error.
func register(t *testing.T, c *aas.Client, id string, minCap, maxCap *int32) *aas.RegisterScalableTargetOutput {
	t.Helper()
	out, err := c.RegisterScalableTarget(context.Background(), registerInput(id, minCap, maxCap))
	if err != nil {
		t.Fatalf("RegisterScalableTarget(%s): %v", id, err)
	}
	return out
}

func registerInput(id string, minCap, maxCap *int32) *aas.RegisterScalableTargetInput {
	return &aas.RegisterScalableTargetInput{
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		ResourceId:        aws.String(id),
		MinCapacity:       minCap,
		MaxCapacity:       maxCap,
	}
}

// cpuPolicy is a PutScalingPolicy input for a target tracking policy on average CPU.
func cpuPolicy(id, name string, targetValue float64, mod func(*types.TargetTrackingScalingPolicyConfiguration)) *aas.PutScalingPolicyInput {
	cfg := &types.TargetTrackingScalingPolicyConfiguration{
		TargetValue: aws.Float64(targetValue),
		PredefinedMetricSpecification: &types.PredefinedMetricSpecification{
			PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization,
		},
	}
	if mod != nil {
		mod(cfg)
	}
	return &aas.PutScalingPolicyInput{
		PolicyName:                               aws.String(name),
		ServiceNamespace:                         types.ServiceNamespaceEcs,
		ScalableDimension:                        types.ScalableDimensionECSServiceDesiredCount,
		ResourceId:                               aws.String(id),
		PolicyType:                               types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: cfg,
	}
}

func putPolicy(t *testing.T, c *aas.Client, in *aas.PutScalingPolicyInput) *aas.PutScalingPolicyOutput {
	t.Helper()
	out, err := c.PutScalingPolicy(context.Background(), in)
	if err != nil {
		t.Fatalf("PutScalingPolicy(%s): %v", aws.ToString(in.PolicyName), err)
	}
	return out
}

// describeTargets returns every scalable target, through the SDK's paginator.
func describeTargets(t *testing.T, c *aas.Client, in aas.DescribeScalableTargetsInput) []types.ScalableTarget {
	t.Helper()
	in.ServiceNamespace = types.ServiceNamespaceEcs
	return allPages(t, "DescribeScalableTargets", aas.NewDescribeScalableTargetsPaginator(c, &in),
		func(o *aas.DescribeScalableTargetsOutput) []types.ScalableTarget { return o.ScalableTargets })
}

// describePolicies returns every scaling policy in, through the SDK's paginator.
func describePolicies(t *testing.T, c *aas.Client, in aas.DescribeScalingPoliciesInput) []types.ScalingPolicy {
	t.Helper()
	in.ServiceNamespace = types.ServiceNamespaceEcs
	return allPages(t, "DescribeScalingPolicies", aas.NewDescribeScalingPoliciesPaginator(c, &in),
		func(o *aas.DescribeScalingPoliciesOutput) []types.ScalingPolicy { return o.ScalingPolicies })
}

// allPages collects the items of every page p serves; op names the operation in a failure.
func allPages[O, T any](t *testing.T, op string, p interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*aas.Options)) (O, error)
}, items func(O) []T) []T {
	t.Helper()
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		all = append(all, items(page)...)
	}
	return all
}

// stringsOf returns the string field of each item that field picks, e.g. the resource IDs of scalable targets.
func stringsOf[T any](items []T, field func(T) *string) []string {
	var out []string
	for _, it := range items {
		out = append(out, aws.ToString(field(it)))
	}
	return out
}

func i32(v int32) *int32 { return aws.Int32(v) }

func ptr[T any](v T) *T { return &v }
