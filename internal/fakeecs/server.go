package fakeecs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	// targetPrefix starts the X-Amz-Target header of every ECS request.
	targetPrefix = "AmazonEC2ContainerServiceV20141113."
	contentType  = "application/x-amz-json-1.1"
	// maxBodyBytes bounds a request body; real ECS requests are a few kilobytes at most.
	maxBodyBytes = 1 << 20

	defaultRegion   = "us-east-1"
	defaultAccount  = "123456789012"
	defaultPageSize = 100
	maxPageSize     = 100
)

// Options configures a Server; the zero value gives us-east-1, account 123456789012, the wall clock, tasks
// that start at once and 10.0.x.y addresses.
type Options struct {
	// Region and Account go into every ARN; requests must be signed for Region.
	Region, Account string
	// Now is the clock against which task lifecycles are evaluated; tests inject a stepped clock. It is
	// called from request goroutines, so it must be safe for concurrent use.
	Now func() time.Time
	// StartDelay is how long a new task takes to reach RUNNING: PROVISIONING for the first half, PENDING
	// for the second.
	StartDelay time.Duration
	// StopDelay is how long a task chosen for scale-in takes from DEACTIVATING to STOPPED.
	StopDelay time.Duration
	// Address returns the address of the n-th task (counting from 0) ever started for service: an IPv4
	// address, an IPv6 address (an IPv6-only task) or "IPv4,IPv6" (dual-stack). Nil hands out 10.0.x.y.
	// It is called with the Server locked, so it must not call the Server.
	Address func(service string, n int) string
	// PageSize is the ListTasks page size when the request sets no maxResults; 0 means 100, ECS's default.
	PageSize int
	// Latency delays every response by this much wall-clock time (see SetLatency).
	Latency time.Duration
}

// Call records one request the Server answered, for tests to assert on.
type Call struct {
	Op            string            // operation name, e.g. "UpdateService"; empty when the target was unreadable
	Time          time.Time         // Options.Now when the request was handled
	Cluster       string            // cluster as sent; empty when the request named none
	Service       string            // ListTasks serviceName, UpdateService service, or the service a tag ARN names
	Services      []string          // DescribeServices services as sent
	Tasks         []string          // DescribeTasks tasks as sent
	DesiredStatus string            // ListTasks desiredStatus as sent
	DesiredCount  *int              // UpdateService desiredCount, nil when not set
	ResourceARN   string            // resourceArn of the tag operations
	Tags          map[string]string // TagResource tags
	TagKeys       []string          // TagResource tag keys (sorted) or UntagResource tagKeys as sent
	Err           string            // error code returned, empty on success
}

type fault struct {
	code   string
	status int
	left   int
}

// throttle is a SetThrottle pattern: call k (counting from 1) fails iff floor(k·fraction) > floor((k−1)·fraction).
type throttle struct {
	fraction float64
	calls    int
}

// throttleEpsilon absorbs binary rounding in k·fraction, so that e.g. 90·0.7 (62.99999999999999) counts as 63.
const throttleEpsilon = 1e-9

// Server is a stateful fake of the Amazon ECS API, served over HTTP in the awsJson1_1 protocol. It is safe
// for concurrent use.
type Server struct {
	opts      Options
	partition string

	mu           sync.Mutex
	clusters     map[string]*cluster
	taskSeq      uint64
	defaultAddrs int
	requests     uint64
	calls        []Call
	faults       map[string][]*fault
	throttles    map[string]*throttle
	latency      time.Duration
	opLatency    map[string]time.Duration

	httpMu  sync.Mutex
	httpSrv *http.Server
	served  chan struct{}
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
	// nameRE is what ECS allows in cluster and service names.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
)

// New returns a Server with no clusters. It panics on invalid Options, which are programming errors in a
// test's set-up, the way httptest.NewServer panics when it cannot listen.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = defaultRegion
	}
	if opts.Account == "" {
		opts.Account = defaultAccount
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize == 0 {
		opts.PageSize = defaultPageSize
	}
	var problems []string
	if !regionRE.MatchString(opts.Region) {
		problems = append(problems, fmt.Sprintf("Region %q is not a region name like us-east-1", opts.Region))
	}
	if !accountRE.MatchString(opts.Account) {
		problems = append(problems, fmt.Sprintf("Account %q is not a 12-digit account ID", opts.Account))
	}
	if opts.StartDelay < 0 || opts.StopDelay < 0 || opts.Latency < 0 {
		problems = append(problems, fmt.Sprintf("StartDelay %v, StopDelay %v and Latency %v must not be negative",
			opts.StartDelay, opts.StopDelay, opts.Latency))
	}
	if opts.PageSize < 1 || opts.PageSize > maxPageSize {
		problems = append(problems, fmt.Sprintf("PageSize %d is outside 1..%d", opts.PageSize, maxPageSize))
	}
	if len(problems) > 0 {
		panic("fakeecs.New: " + strings.Join(problems, "; "))
	}
	return &Server{
		opts:      opts,
		partition: partitionOf(opts.Region),
		clusters:  make(map[string]*cluster),
		faults:    make(map[string][]*fault),
		throttles: make(map[string]*throttle),
		latency:   opts.Latency,
		opLatency: make(map[string]time.Duration),
	}
}

// Start serves the fake on a free port of 127.0.0.1 and returns its base URL, e.g. "http://127.0.0.1:41234",
// for o.BaseEndpoint or AWS_ENDPOINT_URL_ECS.
func (s *Server) Start() (string, error) {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("fakeecs: Start called more than once")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fakeecs: listening on 127.0.0.1: %w", err)
	}
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed once Close runs
	}(s.httpSrv, s.served)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server started by Start, dropping open connections (which ends requests waiting out the
// latency). It is safe to call more than once, or without Start.
func (s *Server) Close() {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.httpSrv == nil || s.served == nil {
		return
	}
	_ = s.httpSrv.Close()
	<-s.served
	s.served = nil
}

// SetLatency changes the wall-clock delay added before every response. A request whose client gives up
// during the delay is neither processed nor recorded, as if it never reached ECS.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetOpLatency adds a wall-clock delay before every response to op, e.g. "DescribeServices", on top of
// SetLatency's; 0 removes it. Abandoned requests are dropped as with SetLatency. It panics on an unsupported op.
func (s *Server) SetOpLatency(op string, d time.Duration) {
	if _, ok := operations[op]; !ok {
		panic(fmt.Sprintf("fakeecs.SetOpLatency: unsupported operation %q (supported: %s)", op, supportedOps()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.opLatency, op)
		return
	}
	s.opLatency[op] = d
}

// SetThrottle makes a deterministic fraction (0..1) of the calls of op fail as ECS throttles them (HTTP 400
// ThrottlingException "Rate exceeded"): call k, counting from 1 after SetThrottle, fails iff
// floor(k·fraction) > floor((k−1)·fraction), so 0.5 fails every second call, 1 every call and 0 none (it
// turns throttling off). Every well-formed call of op counts, including those a FailNext fault answers,
// which takes precedence. It panics on an unsupported op or a fraction outside [0, 1].
func (s *Server) SetThrottle(op string, fraction float64) {
	if _, ok := operations[op]; !ok {
		panic(fmt.Sprintf("fakeecs.SetThrottle: unsupported operation %q (supported: %s)", op, supportedOps()))
	}
	if !(fraction >= 0 && fraction <= 1) { // also rejects NaN
		panic(fmt.Sprintf("fakeecs.SetThrottle(%q, %v): the fraction must be within [0, 1]", op, fraction))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fraction == 0 {
		delete(s.throttles, op)
		return
	}
	s.throttles[op] = &throttle{fraction: fraction}
}

// FailNext makes the next `times` calls of op fail with errorCode and httpStatus (4xx or 5xx), after the
// request has been read and recorded but before it changes anything: e.g. ("UpdateService",
// "ThrottlingException", 400, 2) or ("DescribeServices", "ServerException", 500, 1). Calls queue up in
// order. It panics on an unsupported op, a status outside 400..599 or times < 1, all set-up mistakes.
func (s *Server) FailNext(op, errorCode string, httpStatus, times int) {
	if _, ok := operations[op]; !ok {
		panic(fmt.Sprintf("fakeecs.FailNext: unsupported operation %q (supported: %s)", op, supportedOps()))
	}
	if httpStatus < 400 || httpStatus > 599 || times < 1 || errorCode == "" {
		panic(fmt.Sprintf("fakeecs.FailNext(%q, %q, %d, %d): want an error code, a 4xx/5xx status and times >= 1",
			op, errorCode, httpStatus, times))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], &fault{code: errorCode, status: httpStatus, left: times})
}

// Calls returns a copy of every call recorded so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.clone()
	}
	return out
}

func (c Call) clone() Call {
	c.Services = slices.Clone(c.Services)
	c.Tasks = slices.Clone(c.Tasks)
	c.TagKeys = slices.Clone(c.TagKeys)
	c.Tags = maps.Clone(c.Tags)
	if c.DesiredCount != nil {
		n := *c.DesiredCount
		c.DesiredCount = &n
	}
	return c
}

// apiError is an error answered to the client in ECS's JSON error shape.
type apiError struct {
	code   string
	status int
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func clientError(code, format string, args ...any) *apiError {
	return &apiError{code: code, status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func invalidParameter(format string, args ...any) *apiError {
	return clientError("InvalidParameterException", format, args...)
}

// ServeHTTP answers one ECS API request; it lets the fake be mounted in an httptest.Server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The operation's own latency is found from the target header alone; the body is read after the wait.
	s.mu.Lock()
	latency := s.latency
	if opName, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix); ok {
		latency += s.opLatency[opName]
	}
	s.mu.Unlock()
	if latency > 0 {
		timer := time.NewTimer(latency)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}

	now := s.opts.Now()
	opName, op, perr := s.readRequest(r)
	status, body, requestID := s.handle(now, opName, op, perr)

	// Written after the lock is released, so that a slow client does not hold up everyone else.
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// handle runs a decoded request (or answers the error that decoding it produced), records the call, and
// returns the response to send.
func (s *Server) handle(now time.Time, opName string, op operation, perr error) (status int, body []byte, requestID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	requestID = uuidID("request", fmt.Sprint(s.requests))
	call := Call{Op: opName, Time: now}
	if op != nil {
		op.record(&call)
	}

	var out any
	err := perr
	if err == nil {
		throttled := s.throttled(opName) // counted before FailNext answers, so that its faults do not shift the pattern
		err = s.injectedFault(opName)
		if err == nil && throttled {
			// Exactly what ECS answers, so that the SDK's retryer classifies it as a throttle.
			err = clientError("ThrottlingException", "Rate exceeded")
		}
	}
	if err == nil {
		s.prune(now)
		out, err = op.run(s, now)
	}
	status = http.StatusOK
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{code: "ServerException", status: http.StatusInternalServerError, msg: err.Error()}
		}
		call.Err = ae.code
		status, out = ae.status, errorJSON{Type: ae.code, Message: ae.msg}
	}
	s.calls = append(s.calls, call)

	body, merr := json.Marshal(out)
	if merr != nil {
		// Only a bug in this package's response types can get here; say so rather than send half an answer.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorJSON{Type: "ServerException", Message: "fakeecs: encoding response: " + merr.Error()})
	}
	return status, body, requestID
}

func (s *Server) injectedFault(op string) error {
	q := s.faults[op]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	f.left--
	if f.left == 0 {
		s.faults[op] = q[1:]
	}
	return &apiError{code: f.code, status: f.status, msg: "fakeecs: injected " + f.code + " (FailNext)"}
}

// throttled counts a call of op and reports whether SetThrottle's pattern fails it.
func (s *Server) throttled(op string) bool {
	th := s.throttles[op]
	if th == nil {
		return false
	}
	th.calls++
	k := float64(th.calls)
	return math.Floor(k*th.fraction+throttleEpsilon) > math.Floor((k-1)*th.fraction+throttleEpsilon)
}

// readRequest checks the protocol envelope and decodes the body. It returns the operation name whenever the
// target header named one, so that even a rejected call is recorded under it.
func (s *Server) readRequest(r *http.Request) (string, operation, error) {
	if r.Method != http.MethodPost {
		return "", nil, &apiError{code: "UnknownOperationException", status: http.StatusMethodNotAllowed,
			msg: fmt.Sprintf("fakeecs: ECS takes POST requests, got %s %s", r.Method, r.URL.Path)}
	}
	target := r.Header.Get("X-Amz-Target")
	opName, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || opName == "" {
		return "", nil, clientError("UnknownOperationException",
			"fakeecs: X-Amz-Target is %q, want %q followed by an operation name", target, targetPrefix)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentType {
		return opName, nil, clientError("SerializationException",
			"fakeecs: Content-Type is %q, ECS takes %q", r.Header.Get("Content-Type"), contentType)
	}
	if err := s.checkAuthorization(r.Header.Get("Authorization")); err != nil {
		return opName, nil, err
	}
	newOp, ok := operations[opName]
	if !ok {
		return opName, nil, clientError("UnknownOperationException",
			"fakeecs: operation %q is not implemented (supported: %s)", opName, supportedOps())
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return opName, nil, clientError("SerializationException", "fakeecs: reading the %s request body: %v", opName, err)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	op := newOp()
	if err := json.Unmarshal(body, op); err != nil {
		return opName, nil, clientError("SerializationException", "fakeecs: decoding the %s request body: %v", opName, err)
	}
	return opName, op, nil
}

// checkAuthorization wants a SigV4 Authorization header scoped to this region and to ECS. It does not verify
// the signature: it is there to catch a client built without credentials or for the wrong region.
func (s *Server) checkAuthorization(h string) error {
	if h == "" {
		return clientError("MissingAuthenticationTokenException",
			"fakeecs: the request has no Authorization header; the AWS SDK signs every request, so the client has no credentials configured")
	}
	const scheme = "AWS4-HMAC-SHA256 "
	rest, ok := strings.CutPrefix(h, scheme)
	if !ok {
		return clientError("IncompleteSignatureException", "fakeecs: Authorization header is not SigV4 (%q...)", truncate(h, 24))
	}
	for field := range strings.SplitSeq(rest, ",") {
		cred, ok := strings.CutPrefix(strings.TrimSpace(field), "Credential=")
		if !ok {
			continue
		}
		// Credential=AKID/20240101/us-east-1/ecs/aws4_request
		parts := strings.Split(cred, "/")
		if len(parts) != 5 {
			return clientError("IncompleteSignatureException", "fakeecs: malformed SigV4 credential scope %q", cred)
		}
		if parts[2] != s.opts.Region || parts[3] != "ecs" {
			return clientError("InvalidSignatureException",
				"fakeecs: request signed for region %q and service %q, this fake is ECS in %q (set AWS_REGION or fakeecs Options.Region)",
				parts[2], parts[3], s.opts.Region)
		}
		return nil
	}
	return clientError("IncompleteSignatureException", "fakeecs: Authorization header has no Credential=")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// arn builds an ECS ARN for a resource path such as "cluster/prod".
func (s *Server) arn(resource string) string {
	return "arn:" + s.partition + ":ecs:" + s.opts.Region + ":" + s.opts.Account + ":" + resource
}
