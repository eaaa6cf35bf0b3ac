package autoscaler_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

const cluster = "prod"

var t0 = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

// routerHost is the loopback address of the n-th router task ever started.
func routerHost(n int) string { return fmt.Sprintf("127.0.0.%d", 2+n) }

// freePortOn returns a TCP port free on every given host at the time of the call.
func freePortOn(t *testing.T, hosts []string) int {
	t.Helper()
	for range 50 {
		port := nginxtest.FreePort(t)
		ok := true
		for _, h := range hosts {
			l, err := net.Listen("tcp", net.JoinHostPort(h, fmt.Sprint(port)))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on every router address")
	return 0
}

func ecsClient(url string) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
		Retryer:      retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{} }),
	})
}

func cwClient(url string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
	})
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// unit is a daemon on a fake clock, against the ECS and CloudWatch fakes through the real SDK clients, polling
// stub_status stubs whose counters the test sets: every rate it sees is exact.
type unit struct {
	t      *testing.T
	clock  *clock.Fake
	ecs    *fakeecs.Server
	cw     *fakecw.Server
	stubs  []*nginxtest.Stub
	cfg    autoscaler.Config
	d      *autoscaler.Daemon
	logs   *observer.ObservedLogs
	ecsURL string
	cwURL  string
	dead   map[int]bool // router task index → its stub gets no traffic
}

type unitOpts struct {
	env        []string       // extra FASTSCALER_* variables
	desired    map[string]int // initial desired counts
	tags       map[string]map[string]string
	startDelay time.Duration
	routers    int // stub addresses to prepare
}

func newUnit(t *testing.T, o unitOpts) *unit {
	t.Helper()
	if o.routers == 0 {
		o.routers = 48
	}
	if o.desired == nil {
		o.desired = map[string]int{"router": 2, "api": 4, "api-canary": 1}
	}
	hosts := make([]string, o.routers)
	for i := range hosts {
		hosts[i] = routerHost(i)
	}
	port := freePortOn(t, hosts)
	u := &unit{t: t, clock: clock.NewFake(t0), dead: map[int]bool{}}
	for _, h := range hosts {
		u.stubs = append(u.stubs, nginxtest.NewStub(t, net.JoinHostPort(h, fmt.Sprint(port))))
	}
	u.ecs = fakeecs.New(fakeecs.Options{
		Now:        u.clock.Now,
		StartDelay: o.startDelay,
		Address: func(service string, n int) string {
			if service == "router" {
				return routerHost(n)
			}
			return fmt.Sprintf("10.1.%d.%d", n/250, n%250+1)
		},
	})
	url, err := u.ecs.Start()
	if err != nil {
		t.Fatal(err)
	}
	u.ecsURL = url
	t.Cleanup(u.ecs.Close)
	u.ecs.AddCluster(cluster)
	for _, name := range []string{"router", "api", "api-canary"} {
		u.ecs.AddService(cluster, name, o.desired[name], o.tags[name])
	}
	u.cw = fakecw.New(fakecw.Options{Now: u.clock.Now})
	cwURL, err := u.cw.Start()
	if err != nil {
		t.Fatal(err)
	}
	u.cwURL = cwURL
	t.Cleanup(u.cw.Close)

	environ := append([]string{
		"FASTSCALER_CLUSTER=" + cluster,
		"FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
		"FASTSCALER_WEIGHTS=api:90,api-canary:10",
		"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1",
		"FASTSCALER_POLL_INTERVAL=1s",
		"FASTSCALER_POLL_TIMEOUT=500ms",
		fmt.Sprintf("FASTSCALER_STATUS_PORT=%d", port),
		"FASTSCALER_ECS_RATE=1000",
	}, o.env...)
	u.cfg, err = autoscaler.LoadConfig(environ)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	u.logs = logs
	u.d, err = autoscaler.New(u.cfg, autoscaler.Deps{ECS: ecsClient(url), Metrics: cwClient(cwURL), Clock: u.clock, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// restart replaces the daemon with a new one (fresh memory), as after a crash.
func (u *unit) restart() {
	u.t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	d, err := autoscaler.New(u.cfg, autoscaler.Deps{ECS: ecsClient(u.ecsURL), Metrics: cwClient(u.cwURL), Clock: u.clock, Log: zap.New(core)})
	if err != nil {
		u.t.Fatal(err)
	}
	u.d, u.logs = d, logs
}

// step spreads rps over the running router tasks for one second of fake time, then ticks.
func (u *unit) step(rps float64) {
	u.t.Helper()
	snap, _ := u.ecs.Service(cluster, "router")
	var live []int
	for _, task := range snap.Tasks {
		var i int
		if _, err := fmt.Sscanf(task.IPv4, "127.0.0.%d", &i); err != nil || i-2 >= len(u.stubs) {
			u.t.Fatalf("router task at %q has no stub", task.IPv4)
		}
		if task.LastStatus == "RUNNING" && !u.dead[i-2] {
			live = append(live, i-2)
		}
	}
	for _, i := range live {
		u.stubs[i].Add(int64(rps / float64(len(live))))
	}
	u.clock.Advance(time.Second)
	u.d.Tick(context.Background())
}

func (u *unit) run(rps float64, d time.Duration) {
	u.t.Helper()
	for end := u.clock.Now().Add(d); u.clock.Now().Before(end); {
		u.step(rps)
	}
}

func (u *unit) desired(name string) int {
	s, ok := u.ecs.Service(cluster, name)
	if !ok {
		u.t.Fatalf("no service %s", name)
	}
	return s.DesiredCount
}

// updates returns the UpdateService calls made so far.
func (u *unit) updates() []fakeecs.Call {
	var out []fakeecs.Call
	for _, c := range u.ecs.Calls() {
		if c.Op == "UpdateService" && c.Err == "" {
			out = append(out, c)
		}
	}
	return out
}

func describeUpdates(cs []fakeecs.Call) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  %s %s → %d", c.Time.Format("15:04:05"), c.Service, *c.DesiredCount)
	}
	return b.String()
}
