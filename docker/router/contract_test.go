package router

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// The contract between the two images: the autoscaler polls every router task's stub_status with nginxstat, on the
// port and path of its FASTSCALER_STATUS_PORT / FASTSCALER_STATUS_PATH defaults. These tests run the daemon's own
// poller and rate tracker against this router.

// TestContractDefaults checks that the router serves stub_status where the autoscaler looks by default.
func TestContractDefaults(t *testing.T) {
	defaults := scriptDefaults(t)
	for name, want := range map[string]string{
		"STATUS_PORT": config.Default("FASTSCALER_STATUS_PORT"),
		"STATUS_PATH": config.Default("FASTSCALER_STATUS_PATH"),
	} {
		if got, ok := defaults[name]; !ok || got != want {
			t.Errorf("%s defaults to %q in %s (set: %v), the autoscaler polls %q", name, got, renderScript, ok, want)
		}
	}
}

// TestContractPoll polls the router the way the daemon does (nginxstat.Poller, then Tracker) and checks that the
// counters it reads match the traffic sent: Requests grows by exactly the requests served plus the poll itself.
func TestContractPoll(t *testing.T) {
	nginxPath(t)
	stable := newBackend(t, "stable")
	const served = 500

	cases := []struct {
		name string
		env  env
	}{
		{"IPv4", env{"STABLE_UPSTREAM": stable.addr(), "STATUS_ALLOW_CIDRS": "127.0.0.1/32"}},
		// ECS dual-stack tasks are polled on their ipv6Address.
		{"IPv6", env{"STABLE_UPSTREAM": stable.addr(), "STATUS_ALLOW_CIDRS": "::1/128", "LISTEN_ADDRESS": "[::1]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "IPv6" {
				l, err := net.Listen("tcp6", "[::1]:0")
				if err != nil {
					t.Skipf("no IPv6 loopback here: %v", err)
				}
				_ = l.Close()
			}
			rt := startRouter(t, tc.env)
			poller := nginxstat.NewPoller(config.Default("FASTSCALER_STATUS_PATH"), 5*time.Second, nginxstat.DefaultConcurrency, nil)
			defer poller.CloseIdle()
			tracker := nginxstat.NewTracker(time.Minute)
			targets := []nginxstat.Target{{ID: "router-1", Addr: rt.statusAddr}}
			ctx := context.Background()

			first := poller.Poll(ctx, targets)[0]
			if first.Err != nil {
				t.Fatalf("first poll: %v", first.Err)
			}
			if snap := tracker.Observe(first.At, []nginxstat.Sample{first}); snap.Fetched != 1 {
				t.Fatalf("first poll not usable: %+v", snap)
			}
			client := newClient("")
			for range served {
				do(t, client, http.MethodGet, rt.base+"/api/x", nil)
			}
			second := poller.Poll(ctx, targets)[0]
			if second.Err != nil {
				t.Fatalf("second poll: %v", second.Err)
			}
			if got := second.Stats.Requests - first.Stats.Requests; got != served+1 {
				t.Errorf("Requests grew by %d, want %d (served) + 1 (the poll itself)", got, served)
			}
			if second.Stats.Accepts < first.Stats.Accepts || second.Stats.Handled != second.Stats.Accepts {
				t.Errorf("accepts/handled: %+v then %+v; want non-decreasing and all handled", first.Stats, second.Stats)
			}
			snap := tracker.Observe(second.At, []nginxstat.Sample{second})
			if snap.Reporting != 1 || snap.Targets[0].Status != nginxstat.StatusOK || snap.RequestsPerSec <= 0 {
				t.Errorf("the tracker does not turn two polls of this router into a rate: %+v", snap)
			}
			t.Logf("%s: %+v; %.0f requests/s", tc.name, second.Stats, snap.RequestsPerSec)
		})
	}
}

// TestContractRefused checks that a router whose STATUS_ALLOW_CIDRS leaves the autoscaler out is reported by the
// poller as an error naming the HTTP status, which the daemon treats as missing data, never as zero load.
func TestContractRefused(t *testing.T) {
	nginxPath(t)
	rt := startRouter(t, env{"STABLE_UPSTREAM": newBackend(t, "stable").addr(), "STATUS_ALLOW_CIDRS": "10.0.0.0/16"})
	poller := nginxstat.NewPoller(config.Default("FASTSCALER_STATUS_PATH"), 5*time.Second, 1, nil)
	defer poller.CloseIdle()
	s := poller.Poll(context.Background(), []nginxstat.Target{{ID: "router-1", Addr: rt.statusAddr}})[0]
	if s.Err == nil || !strings.Contains(s.Err.Error(), "403") {
		t.Fatalf("poll from outside STATUS_ALLOW_CIDRS: error %v, want one naming HTTP status 403", s.Err)
	}
	snap := nginxstat.NewTracker(time.Minute).Observe(s.At, []nginxstat.Sample{s})
	if snap.Targets[0].Status != nginxstat.StatusFailed || snap.Fetched != 0 {
		t.Errorf("a refused poll must count as failed, not as a router with no traffic: %+v", snap)
	}
}
