// Package daemontest runs the fastscaler daemon on a fake clock against the ECS and CloudWatch fakes through the
// real SDK clients, polling stub_status stubs whose counters a test sets, so every rate the daemon sees is exact.
// The autoscaler and CLI tests share it.
package daemontest

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

// pollTimeout is generous: the clock is fake, and a stalled CI machine must not turn a stub into a failing target.
const pollTimeout = 10 * time.Second

// Cluster is the cluster every Unit uses, the end-to-end stack's.
const Cluster = fleettest.Cluster

// T0 is the fake clock's start.
var T0 = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

// RouterHost is the loopback address of the n-th router task ever started.
func RouterHost(n int) string { return fmt.Sprintf("127.0.0.%d", 2+n) }

// ECSClient returns a real SDK ECS client for the fake at url (awstest.Config).
func ECSClient(url string) *ecs.Client { return ecs.NewFromConfig(awstest.Config(url)) }

// AASClient returns a real SDK Application Auto Scaling client for the fake at url (awstest.Config).
func AASClient(url string) *applicationautoscaling.Client {
	return applicationautoscaling.NewFromConfig(awstest.Config(url))
}

// CWClient returns a real SDK CloudWatch client for the fake at url (awstest.Config).
func CWClient(url string) *cloudwatch.Client { return cloudwatch.NewFromConfig(awstest.Config(url)) }

// Unit is a daemon on a fake clock, against the ECS and CloudWatch fakes through the real SDK clients, polling
// stub_status stubs whose counters the test sets: every rate it sees is exact.
type Unit struct {
	T      *testing.T
	Region string // the fakes' region ("": the fakes' default)
	Clock  *clock.Fake
	ECS    *fakeecs.Server
	CW     *fakecw.Server
	Stubs  []*nginxtest.Stub
	Cfg    autoscaler.Config
	D      *autoscaler.Daemon
	Logs   *observer.ObservedLogs
	ECSURL string
	CWURL  string
	Dead   map[int]bool // router task index → its stub gets no traffic
	AAS    *fakeaas.Server
	AASURL string
	aasOff bool
}

// Scalable is an Application Auto Scaling scalable target an owner registered on a service, with a target
// tracking policy on average CPU.
type Scalable struct {
	Min, Max  int
	TargetCPU float64 // the policy's target value, in percent
}

// Options shapes a Unit.
type Options struct {
	Env        []string       // extra FASTSCALER_* variables
	Desired    map[string]int // initial desired counts (default router 2, api 4, api-canary 1)
	Tags       map[string]map[string]string
	StartDelay time.Duration // how long a new task takes to run
	Region     string        // the fakes' region, which requests must be signed for (default us-east-1)
	Routers    int           // stub addresses to prepare (default 48)
	// Scalable gives services an Application Auto Scaling scalable target and policy in the AAS fake, which
	// moves the desired count in the ECS fake as AAS does.
	Scalable map[string]Scalable
	// WithoutAASMode hides the AAS fake from the daemon: it scales as if no scalable target existed, as an
	// autoscaler without AAS mode does, while AAS still acts on the services.
	WithoutAASMode bool
	// Warm runs the daemon at 1000 rps for fleettest.WarmUp before New returns.
	Warm bool
}

// New starts the fakes and stubs and builds a daemon; nothing ticks until Step, unless o.Warm.
func New(t *testing.T, o Options) *Unit {
	t.Helper()
	if o.Routers == 0 {
		o.Routers = 48
	}
	if o.Desired == nil {
		o.Desired = map[string]int{"router": 2, "api": 4, "api-canary": 1}
	}
	hosts := make([]string, o.Routers)
	for i := range hosts {
		hosts[i] = RouterHost(i)
	}
	port := nginxtest.FreePortOn(t, hosts)
	u := &Unit{T: t, Clock: clock.NewFake(T0), Dead: map[int]bool{}}
	for _, h := range hosts {
		u.Stubs = append(u.Stubs, nginxtest.NewStub(t, net.JoinHostPort(h, fmt.Sprint(port))))
	}
	u.Region = o.Region
	u.ECS, u.ECSURL = fleettest.StartECS(t, fakeecs.Options{Region: o.Region, Now: u.Clock.Now, StartDelay: o.StartDelay},
		RouterHost, o.Desired, o.Tags)
	u.CW = fakecw.New(fakecw.Options{Now: u.Clock.Now})
	u.CWURL = awstest.Start(t, u.CW)
	u.startAAS(o)

	environ := append(append(fleettest.Env(),
		fmt.Sprintf("FASTSCALER_STATUS_PORT=%d", port),
		"FASTSCALER_ECS_RATE=1000",
		// The router never outgrows the stubs prepared for its tasks.
		fmt.Sprintf("FASTSCALER_MAX_TASKS=router:%d,api:100,api-canary:100", max(o.Routers, 2)),
	), o.Env...)
	var err error
	u.Cfg, err = autoscaler.LoadConfig(environ)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	u.Logs = logs
	u.D, err = autoscaler.New(u.Cfg, u.deps(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	if o.Warm {
		u.Run(1000, fleettest.WarmUp)
	}
	return u
}

func (u *Unit) deps(log *zap.Logger) autoscaler.Deps {
	d := autoscaler.Deps{ECS: ECSClient(u.ECSURL), Metrics: CWClient(u.CWURL), Clock: u.Clock, Log: log, PollTimeout: pollTimeout}
	if u.AAS != nil && !u.aasOff {
		d.AAS = AASClient(u.AASURL)
	}
	return d
}

// startAAS starts the Application Auto Scaling fake, wired to the ECS fake's desired counts, when o asks for it.
func (u *Unit) startAAS(o Options) {
	if o.Scalable == nil {
		return
	}
	service := func(id string) (string, error) {
		cluster, name, ok := fakeaas.SplitResourceID(id)
		if !ok || cluster != Cluster {
			return "", fmt.Errorf("%q is not a service of cluster %s", id, Cluster)
		}
		return name, nil
	}
	u.AAS = fakeaas.New(fakeaas.Options{
		Region: u.Region,
		Now:    u.Clock.Now,
		Desired: func(id string) (int, error) {
			name, err := service(id)
			if err != nil {
				return 0, err
			}
			s, ok := u.ECS.Service(Cluster, name)
			if !ok {
				return 0, fmt.Errorf("no service %s", name)
			}
			return s.DesiredCount, nil
		},
		SetDesired: func(id string, n int) error {
			name, err := service(id)
			if err != nil {
				return err
			}
			return u.ECS.SetDesiredCount(Cluster, name, n)
		},
	})
	u.AASURL, u.aasOff = awstest.Start(u.T, u.AAS), o.WithoutAASMode
	c := AASClient(u.AASURL)
	for name, s := range o.Scalable {
		id := ResourceID(name)
		u.AAS.AddTarget(id, s.Min, s.Max)
		_, err := c.PutScalingPolicy(context.Background(), &applicationautoscaling.PutScalingPolicyInput{
			PolicyName:        aws.String("cpu"),
			ServiceNamespace:  aastypes.ServiceNamespaceEcs,
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			ResourceId:        aws.String(id),
			PolicyType:        aastypes.PolicyTypeTargetTrackingScaling,
			TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
				TargetValue: aws.Float64(s.TargetCPU),
				PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{
					PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization,
				},
			},
		})
		if err != nil {
			u.T.Fatalf("PutScalingPolicy(%s): %v", id, err)
		}
	}
}

// ResourceID is the Application Auto Scaling resource ID of a service of Cluster.
func ResourceID(service string) string { return "service/" + Cluster + "/" + service }

// MinCapacity returns the MinCapacity of a service's scalable target in the AAS fake.
func (u *Unit) MinCapacity(service string) int {
	u.T.Helper()
	t, ok := u.AAS.Target(ResourceID(service))
	if !ok {
		u.T.Fatalf("no scalable target for %s", service)
	}
	return t.MinCapacity
}

// Restart replaces the daemon with a new one (fresh memory), as after a crash.
func (u *Unit) Restart() {
	u.T.Helper()
	core, logs := observer.New(zap.DebugLevel)
	d, err := autoscaler.New(u.Cfg, u.deps(zap.New(core)))
	if err != nil {
		u.T.Fatal(err)
	}
	u.D, u.Logs = d, logs
}

// Step spreads rps over the running router tasks for one second of fake time, then ticks.
func (u *Unit) Step(rps float64) {
	u.T.Helper()
	snap, _ := u.ECS.Service(Cluster, "router")
	var live []int
	for _, task := range snap.Tasks {
		var i int
		if _, err := fmt.Sscanf(task.IPv4, "127.0.0.%d", &i); err != nil || i-2 >= len(u.Stubs) {
			u.T.Fatalf("router task at %q has no stub", task.IPv4)
		}
		if task.LastStatus == "RUNNING" && !u.Dead[i-2] {
			live = append(live, i-2)
		}
	}
	for _, i := range live {
		u.Stubs[i].Add(int64(rps / float64(len(live))))
	}
	u.Clock.Advance(time.Second)
	u.D.Tick(context.Background())
	u.D.Quiesce()
}

// Run steps at a constant load for d of fake time.
func (u *Unit) Run(rps float64, d time.Duration) {
	u.T.Helper()
	u.Clock.RunFor(d, func() { u.Step(rps) })
}

// Desired returns a service's desired count in the fake.
func (u *Unit) Desired(name string) int {
	s, ok := u.ECS.Service(Cluster, name)
	if !ok {
		u.T.Fatalf("no service %s", name)
	}
	return s.DesiredCount
}

// Updates returns the UpdateService calls made so far.
func (u *Unit) Updates() []fakeecs.Call { return fleettest.Updates(u.ECS) }
