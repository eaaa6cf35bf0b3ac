package fake

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// Routers answers polls from stub_status counters a test sets, without HTTP. Like a live nginx, every poll counts
// as one request. It records when each target was polled. It is safe for concurrent use.
type Routers struct {
	now func() time.Time

	mu       sync.Mutex
	requests map[string]int64 // by target ID
	down     map[string]error
	polls    map[string][]time.Time
}

var _ autoscaler.Routers = (*Routers)(nil)

// NewRouters returns Routers on the given clock.
func NewRouters(now func() time.Time) *Routers {
	return &Routers{now: now, requests: map[string]int64{}, down: map[string]error{}, polls: map[string][]time.Time{}}
}

// Add adds n requests to a target's counter (a negative n is a counter that went down: a restart).
func (r *Routers) Add(id string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[id] += n
}

// Down makes a target's polls fail with err (nil: it answers again).
func (r *Routers) Down(id string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down[id] = err
}

// Polls returns when a target was polled.
func (r *Routers) Polls(id string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.polls[id]...)
}

// Poll implements autoscaler.Routers.
func (r *Routers) Poll(ctx context.Context, targets []nginxstat.Target) []nginxstat.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := r.now()
	out := make([]nginxstat.Sample, len(targets))
	for i, t := range targets {
		r.polls[t.ID] = append(r.polls[t.ID], at)
		out[i] = nginxstat.Sample{Target: t, At: at}
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		if err := r.down[t.ID]; err != nil {
			out[i].Err = fmt.Errorf("polling %s: %w", t.Addr, err)
			continue
		}
		r.requests[t.ID]++ // the poll itself
		n := r.requests[t.ID]
		out[i].Stats = nginxstat.Stats{Active: 3, Accepts: n, Handled: n, Requests: n, Reading: 0, Writing: 1, Waiting: 2}
	}
	return out
}

// CloseIdle implements autoscaler.Routers.
func (r *Routers) CloseIdle() {}
