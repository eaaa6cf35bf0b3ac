package nginxstat

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultConcurrency bounds how many targets are fetched at once. It is above any router fleet we expect, so a
// cycle lasts one per-request timeout at most even when every target hangs.
const DefaultConcurrency = 256

// Target is one nginx to poll.
type Target struct {
	ID   string // stable identity, e.g. the ECS task id
	Addr string // host:port; an IPv6 host is bracketed, e.g. "[fd00::1]:8081"
}

// Sample is the outcome of polling one target once.
type Sample struct {
	Target Target
	At     time.Time // when the response was read
	Stats  Stats     // valid only when Err is nil
	Err    error
}

// Poller fetches the stub_status page of many targets concurrently.
type Poller struct {
	client      *http.Client
	path        string
	timeout     time.Duration
	concurrency int
	now         func() time.Time
}

// NewPoller returns a Poller that GETs http://ADDR+path with a per-request timeout. now is the clock (time.Now
// when nil); concurrency ≤ 0 means DefaultConcurrency.
func NewPoller(path string, timeout time.Duration, concurrency int, now func() time.Time) *Poller {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	if now == nil {
		now = time.Now
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no global cap: one idle connection per router task is the point
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     60 * time.Second, // below nginx's default keepalive_timeout of 75 s
		DisableCompression:  true,
		// stub_status pages are tiny; small buffers keep memory flat with hundreds of connections.
		WriteBufferSize: 1 << 10,
		ReadBufferSize:  2 << 10,
	}
	return &Poller{
		client:      &http.Client{Transport: transport},
		path:        path,
		timeout:     timeout,
		concurrency: concurrency,
		now:         now,
	}
}

// Poll fetches every target once, at most concurrency at a time, each within the per-request timeout, and returns
// one Sample per target in the order given. A cancelled ctx ends outstanding requests with ctx's error.
func (p *Poller) Poll(ctx context.Context, targets []Target) []Sample {
	out := make([]Sample, len(targets))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(p.concurrency, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = p.pollOne(ctx, targets[i])
			}
		}()
	}
	for i := range targets {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

func (p *Poller) pollOne(ctx context.Context, t Target) Sample {
	if err := ctx.Err(); err != nil {
		return Sample{Target: t, At: p.now(), Err: err}
	}
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := p.now()
	s, err := Fetch(rctx, p.client, "http://"+t.Addr+p.path)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = &TimeoutError{Addr: t.Addr, Timeout: p.timeout}
	}
	// nginx read its counters somewhere between sending and receiving: the midpoint keeps Δt honest when the
	// round trip grows, as it does in a surge.
	end := p.now()
	return Sample{Target: t, At: start.Add(end.Sub(start) / 2), Stats: s, Err: err}
}

// CloseIdle closes kept-alive connections, e.g. to targets that left.
func (p *Poller) CloseIdle() { p.client.CloseIdleConnections() }

// TimeoutError reports a target that did not answer within the per-request timeout.
type TimeoutError struct {
	Addr    string
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return "no answer from " + e.Addr + " within " + e.Timeout.String()
}
