package awsfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

const (
	// JSONContentType is the Content-Type of awsJson1_1 requests and responses.
	JSONContentType = "application/x-amz-json-1.1"
	// maxBodyBytes bounds a request body; real requests are a few kilobytes at most.
	maxBodyBytes = 1 << 20
)

// Protocol names one service's awsJson1_1 endpoint.
type Protocol struct {
	Name         string // the fake's package name, which starts its messages, e.g. "fakeecs"
	Service      string // the service's name in messages, e.g. "ECS"
	TargetPrefix string // what starts X-Amz-Target, e.g. "AmazonEC2ContainerServiceV20141113."
	SigningName  string // the service in the SigV4 credential scope, e.g. "ecs"
	InternalCode string // the code of an error the fake did not expect, e.g. "ServerException"
}

// Head is how every call log entry of a JSON fake starts: the fake's Call type embeds it, and the plumbing
// fills it in.
type Head struct {
	Op   string    // operation name, e.g. "UpdateService"; empty when the target was unreadable
	Time time.Time // the fake's clock when the request was handled
	Err  string    // error code returned, empty on success
}

func (h *Head) head() *Head { return h }

// headed is a call log entry that embeds a Head.
type headed interface{ head() *Head }

// Operation is one decoded request to the fake S, whose calls are logged as C.
type Operation[S, C any] interface {
	// Record copies the request's parameters into its call log entry.
	Record(c *C)
	// Run executes the request with the fake locked, noting in c what it did.
	Run(s S, now time.Time, c *C) (any, error)
}

// Registry maps each operation a fake implements to a constructor of its request type, which the request
// body is decoded into.
type Registry[S, C any] map[string]func() Operation[S, C]

// Ops returns the Registry of the operations whose request types reqs point to, each under the name its type
// spells: a *listTasksRequest serves ListTasks. It panics on a type not named <operation>Request, a mistake
// in the fake.
func Ops[S, C any](reqs ...Operation[S, C]) Registry[S, C] {
	r := Registry[S, C]{}
	for _, req := range reqs {
		t, name := reflect.TypeOf(req), ""
		if t.Kind() == reflect.Pointer {
			name = t.Elem().Name()
		}
		op, ok := strings.CutSuffix(name, "Request")
		if !ok || op == "" {
			panic(fmt.Sprintf("awsfake.Ops: %v is not a pointer to a type named <operation>Request", t))
		}
		r[strings.ToUpper(op[:1])+op[1:]] = func() Operation[S, C] { return reflect.New(t.Elem()).Interface().(Operation[S, C]) }
	}
	return r
}

// JSONSetup is what NewJSON needs of a fake S whose calls are logged as C, a struct that embeds Head.
type JSONSetup[S, C any] struct {
	Protocol
	Ops     Registry[S, C]      // the operations it implements
	Server  S                   // handed to every Operation's Run
	Lock    sync.Locker         // the fake's lock, held while a call is checked, run and recorded
	Region  string              // requests must be signed for it
	Now     func() time.Time    // the fake's clock; it stamps every call
	Prepare func(now time.Time) // if set, runs with the lock held before every operation
}

// JSON serves a fake over awsJson1_1: POST, X-Amz-Target "<TargetPrefix><Operation>", a JSON body, errors
// as {"__type", "message"} with the service's codes, an x-amzn-RequestId on every response. A fake embeds
// it, which makes it an http.Handler with the Core's methods.
type JSON[S, C any] struct {
	*Core[C]
	wire  *Wire[C]
	setup JSONSetup[S, C]
}

// NewJSON returns the JSON plumbing of a fake. A call fails with ThrottlingException when throttled, and a
// FailNext code queued with status 0 gets 500 if it is the InternalCode, 400 otherwise. It panics if C does
// not embed Head, a mistake in the fake.
func NewJSON[S, C any](setup JSONSetup[S, C]) *JSON[S, C] {
	if h, ok := any(new(C)).(headed); !ok || h.head() == nil { // nil: it embeds a *Head, which no call would fill
		panic(fmt.Sprintf("%s: the call log type %T does not embed awsfake.Head", setup.Name, *new(C)))
	}
	j := &JSON[S, C]{setup: setup}
	internal := setup.InternalCode
	j.Core, j.wire = New(Setup[C]{
		Name:         setup.Name,
		Ops:          opsOf(setup.Ops),
		ThrottleCode: "ThrottlingException",
		StatusOf: func(code string) int {
			if code == internal {
				return http.StatusInternalServerError
			}
			return http.StatusBadRequest
		},
	}, j)
	return j
}

// ServeHTTP answers one request; it also lets the fake be mounted in an httptest.Server.
func (j *JSON[S, C]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The operation's own latency is found from the target header alone; the body is read after the wait.
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), j.setup.TargetPrefix)
	if !ok {
		op = ""
	}
	if !j.wire.Wait(r, op) {
		return
	}
	now := j.setup.Now()
	opName, req, perr := j.read(r)
	status, body, requestID := j.handle(now, opName, req, perr)

	// Written after the lock is released, so that a slow client does not hold up everyone else.
	w.Header().Set("Content-Type", JSONContentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type errorJSON struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// handle runs a decoded request (or answers the error that decoding it produced), records the call, and
// returns the response to send.
func (j *JSON[S, C]) handle(now time.Time, opName string, op Operation[S, C], perr error) (status int, body []byte, requestID string) {
	j.setup.Lock.Lock()
	defer j.setup.Lock.Unlock()
	requestID = UUID("request", fmt.Sprint(j.wire.Request()))
	var call C
	head := any(&call).(headed).head()
	head.Op, head.Time = opName, now
	if op != nil {
		op.Record(&call)
	}

	var out any
	err := perr
	if err == nil {
		if f := j.wire.Fault(opName); f != nil {
			err = f
		}
	}
	if err == nil {
		if j.setup.Prepare != nil {
			j.setup.Prepare(now)
		}
		out, err = op.Run(j.setup.Server, now, &call)
	}
	status = http.StatusOK
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) {
			ae = &Error{Code: j.setup.InternalCode, Status: http.StatusInternalServerError, Msg: err.Error()}
		}
		head.Err = ae.Code
		status, out = ae.Status, errorJSON{Type: ae.Code, Message: ae.Msg}
	}
	j.wire.Record(call)

	body, merr := json.Marshal(out)
	if merr != nil {
		// Only a bug in the fake's response types can get here; say so rather than send half an answer.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorJSON{Type: j.setup.InternalCode, Message: j.setup.Name + ": encoding response: " + merr.Error()})
	}
	return status, body, requestID
}

// authCodes are the awsJson1_1 error codes of the problems CheckAuthorization finds.
var authCodes = map[AuthProblem]string{
	AuthMissing:    "MissingAuthenticationTokenException",
	AuthIncomplete: "IncompleteSignatureException",
	AuthWrongScope: "InvalidSignatureException",
}

// read checks the protocol envelope and decodes the body. It returns the operation name whenever the target
// header named one, so that even a rejected call is recorded under it.
func (j *JSON[S, C]) read(r *http.Request) (string, Operation[S, C], error) {
	name, svc := j.setup.Name, j.setup.Service
	if r.Method != http.MethodPost {
		return "", nil, &Error{Code: "UnknownOperationException", Status: http.StatusMethodNotAllowed,
			Msg: fmt.Sprintf("%s: %s takes POST requests, got %s %s", name, svc, r.Method, r.URL.Path)}
	}
	target := r.Header.Get("X-Amz-Target")
	opName, ok := strings.CutPrefix(target, j.setup.TargetPrefix)
	if !ok || opName == "" {
		return "", nil, ClientError("UnknownOperationException",
			"%s: X-Amz-Target is %q, want %q followed by an operation name", name, target, j.setup.TargetPrefix)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != JSONContentType {
		return opName, nil, ClientError("SerializationException",
			"%s: Content-Type is %q, %s takes %q", name, r.Header.Get("Content-Type"), svc, JSONContentType)
	}
	if problem, msg := CheckAuthorization(r.Header.Get("Authorization"), j.setup.Region, j.setup.SigningName); problem != AuthOK {
		return opName, nil, ClientError(authCodes[problem], "%s: %s", name, msg)
	}
	newOp, ok := j.setup.Ops[opName]
	if !ok {
		return opName, nil, ClientError("UnknownOperationException",
			"%s: operation %q is not implemented (supported: %s)", name, opName, j.wire.SupportedOps())
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return opName, nil, ClientError("SerializationException", "%s: reading the %s request body: %v", name, opName, err)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	op := newOp()
	if err := json.Unmarshal(body, op); err != nil {
		return opName, nil, ClientError("SerializationException", "%s: decoding the %s request body: %v", name, opName, err)
	}
	return opName, op, nil
}
