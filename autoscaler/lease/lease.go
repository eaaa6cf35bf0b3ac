package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrClosed is returned by Tick after Release.
var ErrClosed = errors.New("lease: released")

// Event describes one table call or leadership change, for logs and metrics.
type Event struct {
	Op      string        // "get", "acquire", "takeover", "renew", "release" or "expire"
	Err     error         // nil on success; ErrConflict when a condition failed
	Took    time.Duration // local-clock latency of the table call (0 for "expire")
	Leader  bool          // whether this owner counts as leader after the event
	Changed bool          // whether leadership changed with this event
	Holder  string        // holder as known after the event ("" when free or unknown)
}

// Status is a snapshot of the lease for /status.
type Status struct {
	Key         string    `json:"key"`
	Owner       string    `json:"owner"`
	Leader      bool      `json:"leader"`
	Holder      string    `json:"holder"`
	Since       time.Time `json:"since"`
	ValidUntil  time.Time `json:"valid_until"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at"`
}

// Lease is one owner's view of a leader lease stored in a Table; safe for concurrent use.
type Lease struct {
	table      Table
	key, owner string
	duration   time.Duration
	renewEvery time.Duration
	clock      func() time.Time

	tickMu sync.Mutex // serializes table calls (Tick, Release)

	mu         sync.Mutex
	observer   func(Event)
	closed     bool
	leader     bool      // leadership as last reported through events
	mine       string    // rvn of our last successful write; "" when not holding
	wroteAt    time.Time // local time just before that write
	validUntil time.Time // wroteAt + duration
	pending    string    // rvn of our write whose outcome is unknown
	pendingAt  time.Time // local time just before that write
	seenRVN    string    // foreign rvn being watched for staleness
	seenAt     time.Time // local time (after the read) seenRVN was first seen
	holder     string
	since      time.Time
	lastErr    error
	lastErrAt  time.Time
}

// CheckTimings validates a lease duration and renewal period for New.
func CheckTimings(duration, renewEvery time.Duration) error {
	if duration <= 0 || renewEvery <= 0 {
		return fmt.Errorf("lease: duration %v and renew period %v must be positive", duration, renewEvery)
	}
	if renewEvery > duration/2 {
		return fmt.Errorf("lease: renew period %v must be at most half the lease duration %v", renewEvery, duration)
	}
	return nil
}

// New returns a lease on key for owner (unique per process); it panics on bad timings (see CheckTimings).
func New(table Table, key, owner string, duration, renewEvery time.Duration, clock func() time.Time) *Lease {
	if err := CheckTimings(duration, renewEvery); err != nil {
		panic(err)
	}
	if table == nil || key == "" || owner == "" {
		panic("lease: New needs a table, a key and an owner")
	}
	if clock == nil {
		clock = time.Now
	}
	return &Lease{table: table, key: key, owner: owner, duration: duration, renewEvery: renewEvery, clock: clock}
}

// Observe sets fn to receive every Event, synchronously; call it before the first Tick.
func (l *Lease) Observe(fn func(Event)) {
	l.mu.Lock()
	l.observer = fn
	l.mu.Unlock()
}

// Held reports whether this owner holds the lease and it stays valid for at least margin after now (local clock).
func (l *Lease) Held(now time.Time, margin time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.closed && l.mine != "" && now.Add(margin).Before(l.validUntil)
}

// Status returns a snapshot for /status.
func (l *Lease) Status() Status {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Key: l.key, Owner: l.owner, Holder: l.holder, Since: l.since, LastErrorAt: l.lastErrAt}
	s.Leader = !l.closed && l.mine != "" && now.Before(l.validUntil)
	if s.Leader {
		s.ValidUntil = l.validUntil
	}
	if l.lastErr != nil {
		s.LastError = l.lastErr.Error()
	}
	return s
}

// Tick makes one acquire-or-renew attempt; a holder writes only once renewEvery has passed since its last write.
func (l *Lease) Tick(ctx context.Context) error {
	l.tickMu.Lock()
	defer l.tickMu.Unlock()
	var evs []Event
	err := l.tick(ctx, &evs)
	l.mu.Lock()
	if err != nil {
		l.lastErr, l.lastErrAt = err, l.clock()
	}
	obs := l.observer
	l.mu.Unlock()
	if obs != nil {
		for _, e := range evs {
			obs(e)
		}
	}
	return err
}

func (l *Lease) tick(ctx context.Context, evs *[]Event) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	now := l.clock()
	if l.leader && !now.Before(l.validUntil) {
		// Local validity ran out without a renewal (a pause, a failing table):
		// no longer leader. l.mine is kept: a renewal conditional on it is safe.
		l.leader = false
		*evs = append(*evs, Event{Op: "expire", Leader: false, Changed: true, Holder: l.holder})
	}
	mine, pending := l.mine, l.pending
	due := now.Sub(l.wroteAt) >= l.renewEvery
	l.mu.Unlock()

	if mine != "" && pending == "" {
		if !due {
			return nil
		}
		return l.renew(ctx, mine, evs)
	}
	return l.acquire(ctx, evs)
}

// acquire reads the item and takes it if it is free, stale, or ours after a write whose outcome was unknown.
func (l *Lease) acquire(ctx context.Context, evs *[]Event) error {
	start := l.clock()
	it, ok, err := l.table.Get(ctx, l.key)
	after := l.clock()
	l.mu.Lock()
	if err != nil {
		*evs = append(*evs, l.event("get", err, after.Sub(start), false))
		l.mu.Unlock()
		return err
	}
	ours := ok && it.Owner == l.owner
	if ours && l.pending != "" && it.RVN == l.pending {
		// Our last write did land: its validity counts from just before it.
		l.mine, l.wroteAt, l.validUntil = l.pending, l.pendingAt, l.pendingAt.Add(l.duration)
	}
	l.pending = ""
	changed := false
	if l.mine != "" && !(ours && it.RVN == l.mine) {
		l.mine, l.validUntil = "", time.Time{} // someone else wrote since
	}
	if l.mine != "" {
		if isLeader := after.Before(l.validUntil); isLeader != l.leader {
			l.leader, changed = isLeader, true
		}
		l.setHolder(l.owner, l.wroteAt)
	} else {
		changed = l.leader
		l.leader = false
		if !ok || it.Owner == "" {
			l.seenRVN = ""
			l.setHolder("", after)
		} else if it.RVN != l.seenRVN {
			// A new rvn: start (or restart) the staleness timer on our own clock.
			l.seenRVN, l.seenAt = it.RVN, after
			l.setHolder(it.Owner, after)
		}
	}
	*evs = append(*evs, l.event("get", nil, after.Sub(start), changed))
	mine, seen, seenAt := l.mine, l.seenRVN, l.seenAt
	due := after.Sub(l.wroteAt) >= l.renewEvery
	l.mu.Unlock()

	switch {
	case mine != "":
		if !due {
			return nil
		}
		return l.renew(ctx, mine, evs)
	case !ok:
		return l.put(ctx, "acquire", Condition{Kind: CondFree}, evs)
	case it.Owner == "":
		return l.put(ctx, "acquire", Condition{Kind: CondFree, RVN: it.RVN}, evs)
	}
	wait := it.Duration
	if wait <= 0 {
		wait = l.duration
	}
	if after.Sub(seenAt) < wait {
		return nil // held, and not (yet) unchanged for a full lease duration
	}
	return l.put(ctx, "takeover", Condition{Kind: CondRVN, RVN: seen}, evs)
}

// put writes a new item of ours under cond (acquire, takeover).
func (l *Lease) put(ctx context.Context, op string, cond Condition, evs *[]Event) error {
	rvn := newRVN()
	start := l.clock()
	err := l.table.Put(ctx, l.item(l.owner, rvn, start), cond)
	took := l.clock().Sub(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.won(rvn, start)
		*evs = append(*evs, l.event(op, nil, took, true))
	case errors.Is(err, ErrConflict):
		*evs = append(*evs, l.event(op, err, took, false))
	default:
		l.pending, l.pendingAt = rvn, start // it may have landed; the next Tick reads
		*evs = append(*evs, l.event(op, err, took, false))
	}
	return err
}

// renew rewrites our item with a new rvn, conditional on it still being ours.
func (l *Lease) renew(ctx context.Context, mine string, evs *[]Event) error {
	rvn := newRVN()
	start := l.clock()
	err := l.table.Update(ctx, l.item(l.owner, rvn, start), Condition{Kind: CondOwner, Owner: l.owner, RVN: mine})
	took := l.clock().Sub(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		changed := !l.leader
		l.won(rvn, start)
		*evs = append(*evs, l.event("renew", nil, took, changed))
	case errors.Is(err, ErrConflict):
		// Someone took over: stop being leader at once.
		changed := l.leader
		l.mine, l.validUntil, l.leader = "", time.Time{}, false
		l.setHolder("", l.clock())
		*evs = append(*evs, l.event("renew", err, took, changed))
	default:
		l.pending, l.pendingAt = rvn, start
		*evs = append(*evs, l.event("renew", err, took, false))
	}
	return err
}

// Release gives the lease up (conditional on still holding it); Held is false from the call on and Tick returns ErrClosed.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.tickMu.Lock()
	defer l.tickMu.Unlock()

	l.mu.Lock()
	var rvns []string
	for _, r := range []string{l.mine, l.pending} {
		if r != "" {
			rvns = append(rvns, r)
		}
	}
	changed := l.leader
	l.mine, l.pending, l.validUntil, l.leader = "", "", time.Time{}, false
	obs := l.observer
	l.mu.Unlock()

	var err error
	var evs []Event
	for _, mine := range rvns {
		start := l.clock()
		err = l.table.Update(ctx, l.item("", newRVN(), start), Condition{Kind: CondOwner, Owner: l.owner, RVN: mine})
		took := l.clock().Sub(start)
		l.mu.Lock()
		if err == nil {
			l.setHolder("", start)
		}
		evs = append(evs, l.event("release", err, took, changed))
		l.mu.Unlock()
		changed = false
		if !errors.Is(err, ErrConflict) {
			break
		}
	}
	if errors.Is(err, ErrConflict) {
		err = nil // no longer ours: nothing to release
	}
	if err != nil {
		l.mu.Lock()
		l.lastErr, l.lastErrAt = err, l.clock()
		l.mu.Unlock()
	}
	if obs != nil {
		for _, e := range evs {
			obs(e)
		}
	}
	return err
}

// won records a successful write of rvn that started at start; l.mu held.
func (l *Lease) won(rvn string, start time.Time) {
	l.mine, l.wroteAt, l.validUntil, l.pending = rvn, start, start.Add(l.duration), ""
	l.leader = true
	l.seenRVN = ""
	l.setHolder(l.owner, start)
}

// setHolder records the holder, restarting Since when it changes; l.mu held.
func (l *Lease) setHolder(h string, at time.Time) {
	if h != l.holder || l.since.IsZero() {
		l.holder, l.since = h, at
	}
}

// event builds an Event from the current state; l.mu held.
func (l *Lease) event(op string, err error, took time.Duration, changed bool) Event {
	return Event{Op: op, Err: err, Took: took, Leader: l.leader, Changed: changed, Holder: l.holder}
}

func (l *Lease) item(owner, rvn string, now time.Time) Item {
	return Item{Key: l.key, Owner: owner, RVN: rvn, Duration: l.duration, TTL: now.Add(l.duration + TTLGrace)}
}

func newRVN() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}
