package fakecw

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// Wire constants of CloudWatch's Smithy RPC v2 CBOR binding.
const (
	pathPrefix      = "/service/GraniteServiceVersion20100801/operation/"
	protocolHeader  = "Smithy-Protocol"
	protocolValue   = "rpc-v2-cbor"
	cborContentType = "application/cbor"
	signingName     = "monitoring" // SigV4 service name in the credential scope
)

// Operations the fake implements.
const (
	OpPutMetricData = "PutMetricData" // names PutMetricData in FailNext and Call.Op
	OpGetMetricData = "GetMetricData" // names GetMetricData in FailNext and Call.Op
)

// Body limits. PutMetricData is documented at 1 MB per HTTP POST (gzip allowed); the decompressed cap
// only guards the test process against a runaway body.
const (
	maxRequestBytes      = 1 << 20
	maxDecompressedBytes = 64 << 20
)

// Options configures a Server. The zero value behaves like CloudWatch.
type Options struct {
	// Now is the server's clock: time of receipt for datums without a Timestamp, the two-weeks /
	// two-hours Timestamp checks, StartTime rounding and Call.Time. Nil means time.Now.
	Now func() time.Time
	// PageSize caps the datapoints one GetMetricData response carries before it paginates with
	// NextToken; 0 means CloudWatch's 100,800. A request's MaxDatapoints can lower it further.
	PageSize int
}

// Server is a fake CloudWatch endpoint; the embedded plumbing gives it Start, Close, FailNext, SetThrottle,
// SetLatency, SetOpLatency, ClearFaults and Calls. It is safe for concurrent use.
type Server struct {
	*awsfake.Core[Call]
	wire     *awsfake.Wire[Call]
	now      func() time.Time
	pageSize int

	mu     sync.Mutex
	datums []Datum
	series map[metricKey][]sample
}

// New returns a Server that is not yet listening; use Start, or mount it as an http.Handler.
func New(opts Options) *Server {
	s := &Server{now: opts.Now, pageSize: opts.PageSize, series: map[metricKey][]sample{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pageSize <= 0 {
		s.pageSize = defaultMaxDatapoints
	}
	// FailNext takes a CloudWatch error's shape name or its query code ("InvalidParameterValueException" or
	// "InvalidParameterValue", "InternalServiceFault", "Throttling"); unknown codes are sent verbatim, so any
	// code the SDK's retryer classifies works; status 0 is the code's usual status (400 if unknown).
	s.Core, s.wire = awsfake.New(awsfake.Setup[Call]{
		Name:         "fakecw",
		Ops:          []string{OpPutMetricData, OpGetMetricData},
		ThrottleCode: errThrottling.queryCode,
		StatusOf:     func(code string) int { return lookupErrorKind(code).status },
	}, s)
	return s
}

// Datums returns a copy of every datum PutMetricData accepted, in order of arrival.
func (s *Server) Datums() []Datum {
	s.mu.Lock()
	defer s.mu.Unlock()
	return awsfake.DeepCopy(s.datums)
}

// AddSeries seeds raw samples of a metric (unit None, one-second resolution) that GetMetricData
// aggregates exactly like PutMetricData datums; it bypasses PutMetricData's two-week age limit so a test
// can seed long histories. Non-finite values are dropped, as CloudWatch would never have stored them.
func (s *Server) AddSeries(namespace, name string, dims map[string]string, points []Point) {
	if len(dims) == 0 {
		dims = nil
	}
	key := keyOf(namespace, name, dims)
	samples := make([]sample, 0, len(points))
	for _, p := range points {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		samples = append(samples, sample{
			atMs: floorDiv(p.Time.UnixMilli(), 1000) * 1000,
			unit: unitNone, count: 1, sum: p.Value, min: p.Value, max: p.Value,
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series[key] = append(s.series[key], samples...)
}

// ServeHTTP answers one CloudWatch RPC v2 CBOR request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.wire.Wait(r, strings.TrimPrefix(r.URL.Path, pathPrefix)) {
		return
	}
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fakecw-%08d", s.wire.Request()))

	op, body, perr := s.checkRequest(r)
	if perr != nil {
		writeError(w, perr)
		return
	}
	in, derr := decodeBody(body)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	call := Call{Op: op, Time: now}
	if derr == nil {
		call.Datums, call.Queries = countDatums(in), countQueries(in)
	}
	resp, err := s.handle(op, in, derr, now)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = newError(errInternalServiceFault, "fakecw: %v", err)
		}
		call.Code = ae.code()
		s.wire.Record(call)
		writeError(w, ae)
		return
	}
	s.wire.Record(call)
	writeResponse(w, resp)
}

// handle runs one operation with s.mu held. A nil map means a response without a body.
func (s *Server) handle(op string, in object, decodeErr error, now time.Time) (cbor.Map, error) {
	if f := s.wire.Fault(op); f != nil {
		return nil, &apiError{kind: lookupErrorKind(f.Code), status: f.Status, message: f.Msg}
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	switch op {
	case OpPutMetricData:
		datums, err := parsePutMetricData(in, now)
		if err != nil {
			return nil, err
		}
		for _, d := range datums {
			s.datums = append(s.datums, d)
			if smp, ok := sampleOf(d); ok {
				key := keyOf(d.Namespace, d.MetricName, d.Dimensions)
				s.series[key] = append(s.series[key], smp)
			}
		}
		return nil, nil // PutMetricData has no output shape, so RPC v2 sends no body
	case OpGetMetricData:
		req, err := parseGetMetricData(in, now)
		if err != nil {
			return nil, err
		}
		return getMetricData(req, s.series, s.pageSize)
	}
	return nil, newError(errUnknownOperation, "operation %s is not supported by fakecw", op)
}

// checkRequest enforces what every CloudWatch RPC v2 CBOR request must carry and returns the operation
// name and the (decompressed) body.
func (s *Server) checkRequest(r *http.Request) (string, []byte, *apiError) {
	if r.Method != http.MethodPost {
		return "", nil, newError(errMethodNotAllowed, "method %s is not allowed; RPC v2 CBOR requests are POSTs", r.Method)
	}
	switch problem, msg := awsfake.CheckAuthorization(r.Header.Get("Authorization"), "", signingName); problem {
	case awsfake.AuthOK:
	case awsfake.AuthMissing:
		return "", nil, newError(errMissingAuthentication, "%s", msg)
	default: // CloudWatch answers a signature for another service as an incomplete one
		return "", nil, newError(errIncompleteSignature, "%s", msg)
	}
	op, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if !ok || op == "" || strings.Contains(op, "/") {
		hint := ""
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			hint = " (this looks like an awsQuery request; the CloudWatch client in go.mod sends RPC v2 CBOR)"
		}
		return "", nil, newError(errUnknownOperation, "path %q is not %s<Operation>%s", r.URL.Path, pathPrefix, hint)
	}
	if op != OpPutMetricData && op != OpGetMetricData {
		return "", nil, newError(errUnknownOperation,
			"operation %s is not supported by fakecw, which implements %s and %s", op, OpPutMetricData, OpGetMetricData)
	}
	if got := r.Header.Get(protocolHeader); got != protocolValue {
		return "", nil, newError(errSerialization, "header %s must be %q, got %q", protocolHeader, protocolValue, got)
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return "", nil, newError(errSerialization, "reading request body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return "", nil, newError(errRequestTooLarge, "request body exceeds %d bytes", maxRequestBytes)
	}
	if len(body) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != cborContentType {
			return "", nil, newError(errUnsupportedMediaType, "Content-Type must be %s, got %q", cborContentType, ct)
		}
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		// The SDK gzips PutMetricData bodies above RequestMinCompressSizeBytes (10 KiB by default).
		if body, err = gunzip(body); err != nil {
			return "", nil, newError(errSerialization, "decompressing gzip request body: %v", err)
		}
	default:
		return "", nil, newError(errUnsupportedMediaType, "Content-Encoding %q is not supported; use gzip or none", enc)
	}
	return op, body, nil
}

func gunzip(body []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxDecompressedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxDecompressedBytes {
		return nil, fmt.Errorf("decompressed body exceeds %d bytes", maxDecompressedBytes)
	}
	return out, nil
}

func writeResponse(w http.ResponseWriter, body cbor.Map) {
	w.Header().Set(protocolHeader, protocolValue)
	if body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	p := cbor.Encode(body)
	w.Header().Set("Content-Type", cborContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(p)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p) // the client hung up; nothing left to tell it
}

// writeError sends an RPC v2 CBOR error: __type and message in the body, and the awsQuery-compatible
// code in X-Amzn-Query-Error, which the SDK prefers for ErrorCode().
func writeError(w http.ResponseWriter, e *apiError) {
	body := cbor.Map{
		"__type":  cbor.String(e.typeField()),
		"message": cbor.String(e.message),
	}
	if e.kind.messageMember != "" {
		body[e.kind.messageMember] = cbor.String(e.message)
	}
	p := cbor.Encode(body)
	h := w.Header()
	h.Set(protocolHeader, protocolValue)
	h.Set("Content-Type", cborContentType)
	h.Set("Content-Length", strconv.Itoa(len(p)))
	h.Set("X-Amzn-Query-Error", e.queryErrorHeader())
	w.WriteHeader(e.httpStatus())
	_, _ = w.Write(p) // the client hung up; nothing left to tell it
}
