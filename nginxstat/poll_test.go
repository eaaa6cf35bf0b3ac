package nginxstat_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/internal/nginxtest"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// TestPollRealNginx polls real nginx processes, a misconfigured one, a dead address and a hung server in one cycle.
func TestPollRealNginx(t *testing.T) {
	port := nginxtest.FreePort(t)
	good1 := nginxtest.Start(t, nginxtest.Options{Addrs: []string{nginxtest.Addr("127.0.0.2", port)}})
	good2 := nginxtest.Start(t, nginxtest.Options{Addrs: []string{nginxtest.Addr("127.0.0.3", port)}})
	garbage := nginxtest.Start(t, nginxtest.Options{Addrs: []string{nginxtest.Addr("127.0.0.4", port)}, Garbage: true})
	hung := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	hung.Listener = listen(t, "127.0.0.5:0")
	hung.Start()
	defer hung.Close()

	targets := []nginxstat.Target{
		{ID: "good1", Addr: good1.Addrs[0]},
		{ID: "good2", Addr: good2.Addrs[0]},
		{ID: "garbage", Addr: garbage.Addrs[0]},
		{ID: "dead", Addr: nginxtest.Addr("127.0.0.6", port)},
		{ID: "hung", Addr: hung.Listener.Addr().String()},
	}
	p := nginxstat.NewPoller("/nginx_status", 500*time.Millisecond, 2, nil)
	tr := nginxstat.NewTracker(time.Minute)

	first := p.Poll(context.Background(), targets)
	tr.Observe(time.Now(), first)
	// 30 requests to good1 and 10 to good2 between the two polls.
	hit(t, good1.Addrs[0], 30)
	hit(t, good2.Addrs[0], 10)
	start := time.Now()
	samples := p.Poll(context.Background(), targets)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a poll cycle took %v; the per-request timeout should bound it", took)
	}
	snap := tr.Observe(time.Now(), samples)

	byID := map[string]nginxstat.TargetState{}
	for _, ts := range snap.Targets {
		byID[ts.Target.ID] = ts
	}
	for id, want := range map[string]nginxstat.Status{
		"good1": nginxstat.StatusOK, "good2": nginxstat.StatusOK,
		"garbage": nginxstat.StatusFailed, "dead": nginxstat.StatusFailed, "hung": nginxstat.StatusFailed,
	} {
		if got := byID[id].Status; got != want {
			t.Errorf("target %s: status %q (err %v), want %q", id, got, byID[id].Err, want)
		}
	}
	if err := byID["garbage"].Err; !errors.Is(err, nginxstat.ErrMalformed) {
		t.Errorf("garbage target error = %v, want ErrMalformed", err)
	}
	var te *nginxstat.TimeoutError
	if err := byID["hung"].Err; !errors.As(err, &te) {
		t.Errorf("hung target error = %v, want a TimeoutError", err)
	}
	if snap.Known != 5 || snap.Reporting != 2 {
		t.Errorf("known/reporting = %d/%d, want 5/2", snap.Known, snap.Reporting)
	}
	// Rates are counts over the real time between the two samples; net of our own poll they are exact.
	for i, want := range map[int]float64{0: 30, 1: 10} {
		dt := samples[i].At.Sub(first[i].At).Seconds()
		if got := byID[targets[i].ID].Rates.RequestsPerSec * dt; got < want-0.01 || got > want+0.01 {
			t.Errorf("%s: rate × Δt = %.3f requests, want %v", targets[i].ID, got, want)
		}
	}
}

// TestPollHonoursCancellation checks that cancelling the cycle's context ends hung requests at once.
func TestPollHonoursCancellation(t *testing.T) {
	arrived := make(chan struct{}, 2)
	hung := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	hung.Listener = listen(t, "127.0.0.1:0")
	hung.Start()
	defer hung.Close()
	p := nginxstat.NewPoller("/nginx_status", time.Minute, 4, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; <-arrived; cancel() }()
	start := time.Now()
	samples := p.Poll(ctx, []nginxstat.Target{{ID: "a", Addr: hung.Listener.Addr().String()}, {ID: "b", Addr: hung.Listener.Addr().String()}})
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("Poll took %v after cancellation", took)
	}
	for _, s := range samples {
		if !errors.Is(s.Err, context.Canceled) {
			t.Errorf("target %s: err %v, want context.Canceled", s.Target.ID, s.Err)
		}
	}
}

func TestFetchRejectsNon200(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	srv.Listener = listen(t, "127.0.0.1:0")
	srv.Start()
	defer srv.Close()
	_, err := nginxstat.Fetch(context.Background(), srv.Client(), srv.URL+"/nginx_status")
	if err == nil || !strings.Contains(err.Error(), "HTTP status 403") {
		t.Fatalf("Fetch() error = %v, want one naming HTTP status 403", err)
	}
}

func hit(t *testing.T, addr string, n int) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	for range n {
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
