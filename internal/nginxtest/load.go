package nginxtest

import (
	"context"
	"io"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load sends HTTP GETs at a rate that can change over time, spread round-robin over the current targets, like an
// NLB in front of router tasks. It is bounded: at most Workers requests in flight, each with a timeout.
type Load struct {
	rate    atomic.Uint64 // requests per second, as float64 bits
	targets func() []string
	client  *http.Client
	sent    atomic.Int64
	failed  atomic.Int64
}

// NewLoad returns a load generator over targets (host:port list, read every 10 ms).
func NewLoad(targets func() []string) *Load {
	return &Load{
		targets: targets,
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		}},
	}
}

// SetRate sets the target request rate.
func (l *Load) SetRate(rps float64) { l.rate.Store(floatBits(rps)) }

// Rate returns the target request rate.
func (l *Load) Rate() float64 { return floatFrom(l.rate.Load()) }

// Sent and Failed count requests.
func (l *Load) Sent() int64   { return l.sent.Load() }
func (l *Load) Failed() int64 { return l.failed.Load() }

// Run sends requests until ctx ends, with 10 ms pacing and 64 workers.
func (l *Load) Run(ctx context.Context) {
	const workers = 64
	work := make(chan string, 4096)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for addr := range work {
				resp, err := l.client.Get("http://" + addr + "/")
				l.sent.Add(1)
				if err != nil {
					l.failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer func() { tick.Stop(); close(work); wg.Wait() }()
	last := time.Now()
	debt, next := 0.0, 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			debt += l.Rate() * now.Sub(last).Seconds()
			last = now
			targets := l.targets()
			if len(targets) == 0 {
				debt = 0
				continue
			}
			for ; debt >= 1; debt-- {
				select {
				case work <- targets[next%len(targets)]:
					next++
				default: // saturated: drop rather than queue without bound
				}
			}
		}
	}
}

func floatBits(f float64) uint64 { return math.Float64bits(f) }
func floatFrom(b uint64) float64 { return math.Float64frombits(b) }
