package awsfake

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Setup says what a Core serves and how its faults look on the wire.
type Setup[C any] struct {
	// Name is the fake's package name, which starts its messages, e.g. "fakeecs".
	Name string
	// Ops lists the operations the fake implements; FailNext, SetOpLatency and SetThrottle take no other.
	Ops []string
	// ThrottleCode is the error code of a call SetThrottle fails, as the service sends it when it throttles.
	ThrottleCode string
	// StatusOf is the HTTP status of an error code FailNext queues with status 0.
	StatusOf func(code string) int
}

// Core is the test-facing plumbing of a fake whose calls are logged as C: its lifecycle, the faults and
// latency a test stages, and the call log. It is safe for concurrent use.
type Core[C any] struct{ st *state[C] }

// Wire is the handler-facing side of the same Core: what a fake's ServeHTTP does before and after its
// operation runs. A fake keeps it in an unexported field.
type Wire[C any] struct{ st *state[C] }

type state[C any] struct {
	setup   Setup[C]
	handler http.Handler

	mu        sync.Mutex
	faults    []*fault // FailNext's queue, oldest first
	throttles map[string]*throttle
	latency   time.Duration
	opLatency map[string]time.Duration
	calls     []C
	requests  uint64

	lifeMu sync.Mutex
	srv    *http.Server
	served chan struct{} // closed when Serve returns
	closed bool
}

type fault struct {
	op    string // "" for any operation
	err   Error
	times int
}

// throttle is a SetThrottle pattern: call k (counting from 1) fails iff floor(k·fraction) > floor((k−1)·fraction).
type throttle struct {
	fraction float64
	calls    int
}

// throttleEpsilon absorbs binary rounding in k·fraction, so that e.g. 90·0.7 (62.99999999999999) counts as 63.
const throttleEpsilon = 1e-9

// New returns the Core and the Wire of a fake whose requests h answers once Start runs.
func New[C any](setup Setup[C], h http.Handler) (*Core[C], *Wire[C]) {
	if setup.StatusOf == nil {
		setup.StatusOf = func(string) int { return http.StatusBadRequest }
	}
	setup.Ops = slices.Sorted(slices.Values(setup.Ops))
	st := &state[C]{setup: setup, handler: h, throttles: map[string]*throttle{}, opLatency: map[string]time.Duration{}}
	return &Core[C]{st}, &Wire[C]{st}
}

// Start serves the fake on a free port of 127.0.0.1 and returns its base URL, e.g. "http://127.0.0.1:41234",
// for a client's BaseEndpoint or AWS_ENDPOINT_URL_<SERVICE>.
func (c *Core[C]) Start() (string, error) { return c.StartOn("127.0.0.1:0") }

// StartOn is Start on a given listen address, e.g. a fixed loopback port for a long-running process.
func (c *Core[C]) StartOn(addr string) (string, error) {
	st := c.st
	st.lifeMu.Lock()
	defer st.lifeMu.Unlock()
	if st.closed {
		return "", errors.New(st.setup.Name + ": starting server: already closed")
	}
	if st.srv != nil {
		return "", errors.New(st.setup.Name + ": starting server: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: starting server on %s: %w", st.setup.Name, addr, err)
	}
	st.srv = &http.Server{Handler: st.handler, ReadHeaderTimeout: 10 * time.Second}
	st.served = make(chan struct{})
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // always http.ErrServerClosed once Close runs; nothing to report
	}(st.srv, st.served)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server Start started, dropping open connections (which ends requests waiting out a
// latency), and waits for it to stop. It is safe to call more than once, or without Start; a closed fake
// does not start again.
func (c *Core[C]) Close() {
	st := c.st
	st.lifeMu.Lock()
	defer st.lifeMu.Unlock()
	if st.closed {
		return
	}
	st.closed = true
	if st.srv != nil {
		_ = st.srv.Close() // only reports listener close errors, which leave nothing to clean up
		<-st.served
	}
}

// FailNext makes the next `times` calls of op ("" for any operation) fail with errorCode and httpStatus
// (4xx or 5xx; 0 for the code's usual status), after the request has been read and recorded but before it
// changes anything, e.g. ("UpdateService", "ThrottlingException", 400, 2). Failures are served in the order
// they were queued. It panics on an unsupported op, an empty code, another status or times < 1, all set-up
// mistakes.
func (c *Core[C]) FailNext(op, errorCode string, httpStatus, times int) {
	st := c.st
	if op != "" {
		st.mustSupport("FailNext", op)
	}
	if errorCode == "" || times < 1 || httpStatus != 0 && (httpStatus < 400 || httpStatus > 599) {
		panic(fmt.Sprintf("%s.FailNext(%q, %q, %d, %d): want an error code, a 4xx/5xx status (0: the code's usual one) and times >= 1",
			st.setup.Name, op, errorCode, httpStatus, times))
	}
	if httpStatus == 0 {
		httpStatus = st.setup.StatusOf(errorCode)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.faults = append(st.faults, &fault{op: op, times: times, err: Error{
		Code: errorCode, Status: httpStatus, Msg: st.setup.Name + ": " + errorCode + " injected by FailNext"}})
}

// SetThrottle makes a deterministic fraction (0..1) of the calls of op fail as the service throttles them
// (HTTP 400, Setup.ThrottleCode, "Rate exceeded"): call k, counting from 1 after SetThrottle, fails iff
// floor(k·fraction) > floor((k−1)·fraction), so 0.5 fails every second call, 1 every call and 0 none (it
// turns throttling off). Every call of op that reaches the fake counts, including those a FailNext fault
// answers, which takes precedence. It panics on an unsupported op or a fraction outside [0, 1].
func (c *Core[C]) SetThrottle(op string, fraction float64) {
	st := c.st
	st.mustSupport("SetThrottle", op)
	if !(fraction >= 0 && fraction <= 1) { // also rejects NaN
		panic(fmt.Sprintf("%s.SetThrottle(%q, %v): the fraction must be within [0, 1]", st.setup.Name, op, fraction))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if fraction == 0 {
		delete(st.throttles, op)
		return
	}
	st.throttles[op] = &throttle{fraction: fraction}
}

// SetLatency changes the wall-clock delay added before every response. A request whose client gives up
// during the delay is neither processed nor recorded, as if it never reached the service.
func (c *Core[C]) SetLatency(d time.Duration) {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	c.st.latency = max(d, 0)
}

// SetOpLatency adds a wall-clock delay before every response to op on top of SetLatency's; 0 removes it.
// Abandoned requests are dropped as with SetLatency. It panics on an unsupported op.
func (c *Core[C]) SetOpLatency(op string, d time.Duration) {
	st := c.st
	st.mustSupport("SetOpLatency", op)
	st.mu.Lock()
	defer st.mu.Unlock()
	if d <= 0 {
		delete(st.opLatency, op)
		return
	}
	st.opLatency[op] = d
}

// ClearFaults drops every failure FailNext queued that has not happened yet and turns every throttle off.
func (c *Core[C]) ClearFaults() {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	c.st.faults = nil
	clear(c.st.throttles)
}

// Calls returns a deep copy (DeepCopy) of every call recorded so far, oldest first.
func (c *Core[C]) Calls() []C {
	st := c.st
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]C, len(st.calls))
	for i, call := range st.calls {
		out[i] = DeepCopy(call)
	}
	return out
}

func (st *state[C]) mustSupport(method, op string) {
	if _, ok := slices.BinarySearch(st.setup.Ops, op); !ok {
		panic(fmt.Sprintf("%s.%s: unsupported operation %q (supported: %s)", st.setup.Name, method, op, strings.Join(st.setup.Ops, ", ")))
	}
}

// Supports reports whether op is one of the fake's operations.
func (w *Wire[C]) Supports(op string) bool {
	_, ok := slices.BinarySearch(w.st.setup.Ops, op)
	return ok
}

// SupportedOps lists the fake's operations, sorted and comma-separated, for messages.
func (w *Wire[C]) SupportedOps() string { return strings.Join(w.st.setup.Ops, ", ") }

// Wait sleeps out the latency staged for op (the wall clock: it stands for the network); false means the
// client gave up first, and the request must be dropped unanswered and unrecorded.
func (w *Wire[C]) Wait(r *http.Request, op string) bool {
	st := w.st
	st.mu.Lock()
	d := st.latency + st.opLatency[op]
	st.mu.Unlock()
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Request numbers a request the fake answers, counting from 1.
func (w *Wire[C]) Request() uint64 {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	w.st.requests++
	return w.st.requests
}

// Fault returns the error that answers this call of op instead of the operation, or nil: the oldest failure
// FailNext queued for it, else a throttle. The call counts towards op's throttle either way.
func (w *Wire[C]) Fault(op string) *Error {
	st := w.st
	st.mu.Lock()
	defer st.mu.Unlock()
	throttled := false
	if th := st.throttles[op]; th != nil {
		th.calls++
		k := float64(th.calls)
		throttled = math.Floor(k*th.fraction+throttleEpsilon) > math.Floor((k-1)*th.fraction+throttleEpsilon)
	}
	for i, f := range st.faults {
		if f.op != "" && f.op != op {
			continue
		}
		f.times--
		if f.times == 0 {
			st.faults = slices.Delete(st.faults, i, i+1)
		}
		e := f.err
		return &e
	}
	if throttled {
		// Exactly what the services answer, so that the SDK's retryer classifies it as a throttle.
		return &Error{Code: st.setup.ThrottleCode, Status: http.StatusBadRequest, Msg: "Rate exceeded"}
	}
	return nil
}

// Record appends a call to the log.
func (w *Wire[C]) Record(call C) {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	w.st.calls = append(w.st.calls, call)
}

// opsOf lists a registry's operations.
func opsOf[V any](m map[string]V) []string { return slices.Collect(maps.Keys(m)) }
