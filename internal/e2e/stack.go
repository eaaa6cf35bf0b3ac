// Package e2e assembles fastscaler's end-to-end test stack: real nginx router processes on loopback addresses,
// the ECS fake simulating Fargate tasks that start after a delay, the CloudWatch fake, and a load generator that
// spreads requests over the running router tasks like an NLB. The daemon's E2E test and the benchmark program
// share it.
package e2e

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

// Cluster is the cluster name the stack uses.
const Cluster = fleettest.Cluster

// Options shapes a Stack.
type Options struct {
	HostPrefix string         // router task n listens on HostPrefix+(n+2), e.g. "127.0.1."
	Routers    int            // nginx processes prepared for router tasks 0..Routers-1
	Desired    map[string]int // initial desired count of router, api, api-canary
	StartDelay time.Duration  // how long a new Fargate task takes to run
	// Stubs are router tasks (among 0..Routers-1) served by a Go stub_status stub (nginxtest.Stub) instead of
	// nginx, e.g. one whose counters a test corrupts (see Stack.Stub). A stub answers every path with its page, so
	// the load generator's requests succeed there and count as requests, as they do on nginx.
	Stubs []int
}

// Stack is a running end-to-end stack.
type Stack struct {
	ECS    *fakeecs.Server
	ECSURL string
	CW     *fakecw.Server
	CWURL  string
	AAS    *fakeaas.Server // no scalable targets: the daemon's AAS lookups find none
	AASURL string
	Port   int
	Load   *nginxtest.Load

	opts    Options
	mu      sync.Mutex
	routers []*nginxtest.Server // nil for a stub
	stubs   map[int]*nginxtest.Stub
	dead    map[int]bool
}

// Start brings the stack up; tb's cleanup tears it down.
func Start(tb nginxtest.TB, opts Options) *Stack {
	tb.Helper()
	s := &Stack{opts: opts, dead: map[int]bool{}, stubs: map[int]*nginxtest.Stub{}}
	hosts := make([]string, opts.Routers)
	for n := range hosts {
		hosts[n] = opts.host(n)
	}
	s.Port = nginxtest.FreePortOn(tb, hosts)
	for n := range opts.Routers {
		if slices.Contains(opts.Stubs, n) {
			s.stubs[n] = nginxtest.NewStub(tb, s.addr(n))
			s.routers = append(s.routers, nil)
			continue
		}
		s.routers = append(s.routers, nginxtest.Start(tb, nginxtest.Options{Addrs: []string{s.addr(n)}}))
	}
	s.ECS, s.ECSURL = fleettest.StartECS(tb, fakeecs.Options{StartDelay: opts.StartDelay},
		opts.host, opts.Desired, nil)
	s.CW = fakecw.New(fakecw.Options{})
	s.CWURL = awstest.Start(tb, s.CW)
	s.AAS = fakeaas.New(fakeaas.Options{})
	s.AASURL = awstest.Start(tb, s.AAS)
	s.Load = nginxtest.NewLoad(s.LiveRouters)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Load.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	return s
}

// host is router task n's address.
func (o Options) host(n int) string { return o.HostPrefix + strconv.Itoa(n+2) }

func (s *Stack) addr(n int) string { return net.JoinHostPort(s.opts.host(n), strconv.Itoa(s.Port)) }

// Env returns the environment for a daemon or CLI against this stack (AWS endpoints and base FASTSCALER_*).
func (s *Stack) Env() []string {
	return []string{
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDE2E",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_ECS=" + s.ECSURL,
		"AWS_ENDPOINT_URL_CLOUDWATCH=" + s.CWURL,
		"AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING=" + s.AASURL,
		"FASTSCALER_CLUSTER=" + Cluster,
		"FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_STATUS_PORT=" + strconv.Itoa(s.Port),
	}
}

// Kill stops router task n's nginx at once, like a crashed container (ECS still lists the task); a stub answers
// 502 from then on.
func (s *Stack) Kill(n int) {
	s.mu.Lock()
	s.dead[n] = true
	r, stub := s.routers[n], s.stubs[n]
	s.mu.Unlock()
	if stub != nil {
		stub.SetDown(true)
		return
	}
	r.Stop()
}

// Garbage restarts router task n's nginx serving a page that is not stub_status at the status path (a stub serves
// such a page from then on).
func (s *Stack) Garbage(tb nginxtest.TB, n int) {
	s.mu.Lock()
	r, stub := s.routers[n], s.stubs[n]
	s.mu.Unlock()
	if stub != nil {
		stub.SetGarbage(true)
		return
	}
	r.Restart(tb, nginxtest.Options{Garbage: true})
}

// Stub returns the stub serving router task n (see Options.Stubs), nil if nginx serves it.
func (s *Stack) Stub(n int) *nginxtest.Stub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stubs[n]
}

// RouterAddr returns router task n's address (host:port), where it serves traffic and stub_status.
func (s *Stack) RouterAddr(n int) string { return s.addr(n) }

// LiveRouters returns the addresses of RUNNING router tasks whose nginx is up: where an NLB would send traffic.
func (s *Stack) LiveRouters() []string {
	snap, ok := s.ECS.Service(Cluster, "router")
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range snap.Tasks {
		if t.LastStatus != "RUNNING" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(t.IPv4, s.opts.HostPrefix))
		if err != nil || n-2 < 0 || n-2 >= len(s.routers) || s.dead[n-2] {
			continue
		}
		out = append(out, s.addr(n-2))
	}
	return out
}

// Updates returns the successful UpdateService calls so far.
func (s *Stack) Updates() []fakeecs.Call { return fleettest.Updates(s.ECS) }
