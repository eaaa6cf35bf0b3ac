package nginxtest

import (
	"fmt"
	"net"
	"net/http"
	"sync"
)

// Stub is a Go HTTP server that serves a stub_status page from counters a test controls, for unit tests that
// need exact rates on a fake clock. End-to-end tests use real nginx (Start) instead.
type Stub struct {
	Addr string

	mu       sync.Mutex
	requests int64
	accepts  int64
	// startRequests is the counter at start or restart: any request beyond it (and the poll) is a client's.
	startRequests int64
	inFlight      int64
	garbage       bool
	down          bool
	frozen        bool
	srv           *http.Server
}

// NewStub serves a stub_status page at every path on addr ("127.0.0.2:0" picks a port).
func NewStub(tb TB, addr string) *Stub {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(fmt.Sprintf("stub_status stub on %s: %v", addr, err))
	}
	s := &Stub{Addr: l.Addr().String(), requests: 1000, startRequests: 1000, accepts: 10}
	s.srv = &http.Server{Handler: s}
	go func() { _ = s.srv.Serve(l) }()
	tb.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// ServeHTTP answers like nginx's stub_status, counting the poll itself as a request.
func (s *Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	if s.garbage {
		fmt.Fprint(w, "<html>not stub_status</html>\n")
		return
	}
	if !s.frozen {
		s.requests++
	}
	waiting := int64(0)
	if s.requests > s.startRequests+1 {
		waiting = 4 // clients have come: some keep-alive connections stay open
	}
	fmt.Fprintf(w, "Active connections: %d \nserver accepts handled requests\n %d %d %d \nReading: 0 Writing: %d Waiting: %d \n",
		s.inFlight+1+waiting, s.accepts, s.accepts, s.requests, s.inFlight+1, waiting)
}

// Add counts n more client requests (none while frozen).
func (s *Stub) Add(n int64) {
	s.mu.Lock()
	if !s.frozen {
		s.requests += n
	}
	s.mu.Unlock()
}

// SetInFlight sets the requests in flight besides the poll.
func (s *Stub) SetInFlight(n int64) { set(s, &s.inFlight, n) }

// SetGarbage makes the stub serve a page that is not stub_status.
func (s *Stub) SetGarbage(on bool) { set(s, &s.garbage, on) }

// SetFrozen makes the stub serve the same counters whatever happens, like a cached copy of the page.
func (s *Stub) SetFrozen(on bool) { set(s, &s.frozen, on) }

// SetDown makes the stub answer 502.
func (s *Stub) SetDown(on bool) { set(s, &s.down, on) }

// set stores v in one of the stub's fields under its lock, so that ServeHTTP sees it whole.
func set[T any](s *Stub, field *T, v T) {
	s.mu.Lock()
	*field = v
	s.mu.Unlock()
}

// Restart resets the counters, like an nginx restart.
func (s *Stub) Restart() {
	s.mu.Lock()
	s.requests, s.accepts, s.startRequests = 1, 1, 1
	s.mu.Unlock()
}
