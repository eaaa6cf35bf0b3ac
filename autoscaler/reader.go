package autoscaler

import (
	"context"
	"sync"
	"time"
)

// reader runs one kind of read (service refresh, router discovery, scalable-target lookup) on its own schedule:
// the tick kicks it, and it starts a read in the background when one is due and none is running, so the tick never
// waits for a read. Each read has its own timeout; a failure backs off exponentially up to maxBackoff instead of
// being retried every tick. The outcome is published as an immutable readState.
type reader[T any] struct {
	every      time.Duration // between successful reads
	timeout    time.Duration // of one read
	maxBackoff time.Duration // longest wait after failures
	read       func(ctx context.Context, now time.Time) (T, error)
	bg         *sync.WaitGroup
	clock      func() time.Time // stamps a read when it starts and when it ends

	mu      sync.Mutex
	state   readState[T]
	running bool
	next    time.Time
	forced  bool
}

// readState is a reader's published outcome.
type readState[T any] struct {
	Value       T         // of the last successful read
	At          time.Time // when the last successful read started; zero: none yet
	Err         error     // of the last read; nil after a success
	Failures    int       // consecutive failures
	LastAttempt time.Time // when the last read started
	Next        time.Time // when the next read is due
}

// Kick starts a read in the background when one is due (or forced) and none is running.
func (r *reader[T]) Kick(ctx context.Context, now time.Time) {
	r.mu.Lock()
	if r.running || (!r.forced && now.Before(r.next)) {
		r.mu.Unlock()
		return
	}
	r.running, r.forced = true, false
	r.state.LastAttempt = now
	r.mu.Unlock()

	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		rctx, cancel := context.WithTimeout(ctx, r.timeout)
		start := r.clock() // what the read shows is at least this recent
		v, err := r.read(rctx, start)
		cancel()
		end := r.clock()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running = false
		if err != nil {
			r.state.Err = err
			r.state.Failures++
			// Backoff counts from the end of the failed read: a read that timed out is not retried at once.
			r.next = end.Add(backoff(r.every, r.maxBackoff, r.state.Failures))
		} else {
			r.state = readState[T]{Value: v, At: start, LastAttempt: now}
			r.next = start.Add(r.every)
		}
		r.state.Next = r.next
	}()
}

// Force makes the next Kick start a read even if none is due (a running read is not interrupted); a reader backing
// off after failures is not forced.
func (r *reader[T]) Force() {
	r.mu.Lock()
	r.forced = r.state.Failures == 0
	r.mu.Unlock()
}

// Latest returns the published state.
func (r *reader[T]) Latest() readState[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// backoff is the wait after n consecutive failures: every, doubled per further failure, at most limit.
func backoff(every, limit time.Duration, n int) time.Duration {
	d := every
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
