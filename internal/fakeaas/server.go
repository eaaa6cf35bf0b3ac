package fakeaas

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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
	// targetPrefix starts the X-Amz-Target header of every Application Auto Scaling request.
	targetPrefix = "AnyScaleFrontendService."
	contentType  = "application/x-amz-json-1.1"
	// signingName is the service in the SigV4 credential scope of Application Auto Scaling requests.
	signingName = "application-autoscaling"
	// maxBodyBytes bounds a request body; real requests are a few kilobytes at most.
	maxBodyBytes = 1 << 20

	defaultRegion  = "us-east-1"
	defaultAccount = "123456789012"
)

// Options configures a Server; the zero value gives us-east-1, account 123456789012, the wall clock and no
// link to an ECS service's desired count.
type Options struct {
	// Region and Account go into every ARN; requests must be signed for Region.
	Region, Account string
	// Now is the clock of creation times and cooldowns; tests inject a stepped clock. It is called from
	// request goroutines, so it must be safe for concurrent use.
	Now func() time.Time
	// Desired returns the current desired count of the ECS service a resource ID ("service/CLUSTER/SERVICE")
	// names; an error means the service does not exist. Nil: RegisterScalableTarget accepts any well-formed
	// resource ID and leaves capacity alone, and Evaluate fails. It is called with the Server locked, so it
	// must not call the Server.
	Desired func(resourceID string) (int, error)
	// SetDesired sets that desired count, as AAS does through ecs:UpdateService. Nil: RegisterScalableTarget
	// leaves capacity alone, and Evaluate fails. It is called with the Server locked, so it must not call
	// the Server.
	SetDesired func(resourceID string, desired int) error
}

// Call records one request the Server answered, for tests to assert on.
type Call struct {
	Op          string    // operation name, e.g. "RegisterScalableTarget"; empty when the target was unreadable
	Time        time.Time // Options.Now when the request was handled
	ResourceID  string    // ResourceId as sent; empty for an operation that takes none
	ResourceIDs []string  // DescribeScalableTargets ResourceIds as sent
	PolicyName  string    // PutScalingPolicy PolicyName as sent
	MinCapacity *int      // RegisterScalableTarget MinCapacity, nil when not set
	MaxCapacity *int      // RegisterScalableTarget MaxCapacity, nil when not set
	SetDesired  *int      // desired count RegisterScalableTarget set through Options.SetDesired, nil if none
	Err         string    // error code returned, empty on success
}

type fault struct {
	code   string
	status int
	left   int
}

// Server is a stateful fake of the Application Auto Scaling API for ECS services, served over HTTP in the
// awsJson1_1 protocol. It is safe for concurrent use.
type Server struct {
	opts      Options
	partition string

	mu       sync.Mutex
	targets  map[string]*target // by resource ID
	seq      uint64             // creation order of targets and policies; pagination cursors
	requests uint64
	calls    []Call
	faults   map[string][]*fault

	httpMu  sync.Mutex
	httpSrv *http.Server
	served  chan struct{}
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

// New returns a Server with no scalable targets. It panics on invalid Options, which are programming errors
// in a test's set-up, the way httptest.NewServer panics when it cannot listen.
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
	var problems []string
	if !regionRE.MatchString(opts.Region) {
		problems = append(problems, fmt.Sprintf("Region %q is not a region name like us-east-1", opts.Region))
	}
	if !accountRE.MatchString(opts.Account) {
		problems = append(problems, fmt.Sprintf("Account %q is not a 12-digit account ID", opts.Account))
	}
	if len(problems) > 0 {
		panic("fakeaas.New: " + strings.Join(problems, "; "))
	}
	return &Server{
		opts:      opts,
		partition: partitionOf(opts.Region),
		targets:   make(map[string]*target),
		faults:    make(map[string][]*fault),
	}
}

// Start serves the fake on a free port of 127.0.0.1 and returns its base URL, e.g. "http://127.0.0.1:41234",
// for o.BaseEndpoint or AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING.
func (s *Server) Start() (string, error) {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("fakeaas: Start called more than once")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fakeaas: listening on 127.0.0.1: %w", err)
	}
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed once Close runs
	}(s.httpSrv, s.served)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server started by Start, dropping open connections. It is safe to call more than once,
// or without Start.
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

// FailNext makes the next `times` calls of op fail with errorCode and httpStatus (4xx or 5xx), after the
// request has been read and recorded but before it changes anything: e.g. ("RegisterScalableTarget",
// "ThrottlingException", 400, 2) or ("DescribeScalableTargets", "InternalServiceException", 500, 1). Calls
// queue up in order. It panics on an unsupported op, a status outside 400..599 or times < 1, all set-up
// mistakes.
func (s *Server) FailNext(op, errorCode string, httpStatus, times int) {
	if _, ok := operations[op]; !ok {
		panic(fmt.Sprintf("fakeaas.FailNext: unsupported operation %q (supported: %s)", op, supportedOps()))
	}
	if httpStatus < 400 || httpStatus > 599 || times < 1 || errorCode == "" {
		panic(fmt.Sprintf("fakeaas.FailNext(%q, %q, %d, %d): want an error code, a 4xx/5xx status and times >= 1",
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
	c.ResourceIDs = slices.Clone(c.ResourceIDs)
	c.MinCapacity = clonePtr(c.MinCapacity)
	c.MaxCapacity = clonePtr(c.MaxCapacity)
	c.SetDesired = clonePtr(c.SetDesired)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// apiError is an error answered to the client in the awsJson1_1 error shape.
type apiError struct {
	code   string
	status int
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func clientError(code, format string, args ...any) *apiError {
	return &apiError{code: code, status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func validation(format string, args ...any) *apiError {
	return clientError("ValidationException", format, args...)
}

// ServeHTTP answers one Application Auto Scaling request; it lets the fake be mounted in an httptest.Server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		err = s.injectedFault(opName)
	}
	if err == nil {
		out, err = op.run(s, now, &call)
	}
	status = http.StatusOK
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{code: "InternalServiceException", status: http.StatusInternalServerError, msg: err.Error()}
		}
		call.Err = ae.code
		status, out = ae.status, errorJSON{Type: ae.code, Message: ae.msg}
	}
	s.calls = append(s.calls, call)

	body, merr := json.Marshal(out)
	if merr != nil {
		// Only a bug in this package's response types can get here; say so rather than send half an answer.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorJSON{Type: "InternalServiceException", Message: "fakeaas: encoding response: " + merr.Error()})
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
	return &apiError{code: f.code, status: f.status, msg: "fakeaas: injected " + f.code + " (FailNext)"}
}

// readRequest checks the protocol envelope and decodes the body. It returns the operation name whenever the
// target header named one, so that even a rejected call is recorded under it.
func (s *Server) readRequest(r *http.Request) (string, operation, error) {
	if r.Method != http.MethodPost {
		return "", nil, &apiError{code: "UnknownOperationException", status: http.StatusMethodNotAllowed,
			msg: fmt.Sprintf("fakeaas: Application Auto Scaling takes POST requests, got %s %s", r.Method, r.URL.Path)}
	}
	target := r.Header.Get("X-Amz-Target")
	opName, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || opName == "" {
		return "", nil, clientError("UnknownOperationException",
			"fakeaas: X-Amz-Target is %q, want %q followed by an operation name", target, targetPrefix)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentType {
		return opName, nil, clientError("SerializationException",
			"fakeaas: Content-Type is %q, Application Auto Scaling takes %q", r.Header.Get("Content-Type"), contentType)
	}
	if err := s.checkAuthorization(r.Header.Get("Authorization")); err != nil {
		return opName, nil, err
	}
	newOp, ok := operations[opName]
	if !ok {
		return opName, nil, clientError("UnknownOperationException",
			"fakeaas: operation %q is not implemented (supported: %s)", opName, supportedOps())
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return opName, nil, clientError("SerializationException", "fakeaas: reading the %s request body: %v", opName, err)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	op := newOp()
	if err := json.Unmarshal(body, op); err != nil {
		return opName, nil, clientError("SerializationException", "fakeaas: decoding the %s request body: %v", opName, err)
	}
	return opName, op, nil
}

// checkAuthorization wants a SigV4 Authorization header scoped to this region and to Application Auto
// Scaling. It does not verify the signature: it is there to catch a client built without credentials or for
// the wrong region.
func (s *Server) checkAuthorization(h string) error {
	if h == "" {
		return clientError("MissingAuthenticationTokenException",
			"fakeaas: the request has no Authorization header; the AWS SDK signs every request, so the client has no credentials configured")
	}
	const scheme = "AWS4-HMAC-SHA256 "
	rest, ok := strings.CutPrefix(h, scheme)
	if !ok {
		return clientError("IncompleteSignatureException", "fakeaas: Authorization header is not SigV4 (%q...)", truncate(h, 24))
	}
	for field := range strings.SplitSeq(rest, ",") {
		cred, ok := strings.CutPrefix(strings.TrimSpace(field), "Credential=")
		if !ok {
			continue
		}
		// Credential=AKID/20240101/us-east-1/application-autoscaling/aws4_request
		parts := strings.Split(cred, "/")
		if len(parts) != 5 {
			return clientError("IncompleteSignatureException", "fakeaas: malformed SigV4 credential scope %q", cred)
		}
		if parts[2] != s.opts.Region || parts[3] != signingName {
			return clientError("InvalidSignatureException",
				"fakeaas: request signed for region %q and service %q, this fake is %s in %q (set AWS_REGION or fakeaas Options.Region)",
				parts[2], parts[3], signingName, s.opts.Region)
		}
		return nil
	}
	return clientError("IncompleteSignatureException", "fakeaas: Authorization header has no Credential=")
}

func supportedOps() string {
	return strings.Join(slices.Sorted(maps.Keys(operations)), ", ")
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

// ClearFaults drops every failure FailNext queued that has not happened yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = make(map[string][]*fault)
}
