package fakeecs

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

const (
	defaultPageSize = 100
	maxPageSize     = 100
)

// protocol is ECS's awsJson1_1 endpoint.
var protocol = awsfake.Protocol{
	Name:         "fakeecs",
	Service:      "ECS",
	TargetPrefix: "AmazonEC2ContainerServiceV20141113.",
	SigningName:  "ecs",
	InternalCode: "ServerException",
}

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
	awsfake.Head                    // the operation, e.g. "UpdateService"; Options.Now when it was handled; the error code
	Cluster       string            // cluster as sent; empty when the request named none
	Service       string            // ListTasks serviceName, UpdateService service, or the service a tag ARN names
	Services      []string          // DescribeServices services as sent
	Tasks         []string          // DescribeTasks tasks as sent
	DesiredStatus string            // ListTasks desiredStatus as sent
	DesiredCount  *int              // UpdateService desiredCount, nil when not set
	ResourceARN   string            // resourceArn of the tag operations
	Tags          map[string]string // TagResource tags
	TagKeys       []string          // TagResource tag keys (sorted) or UntagResource tagKeys as sent
}

// Server is a stateful fake of the Amazon ECS API, served over HTTP in the awsJson1_1 protocol; the embedded
// plumbing gives it ServeHTTP, Start, Close, FailNext, SetThrottle, SetLatency, SetOpLatency, ClearFaults and
// Calls. It is safe for concurrent use.
type Server struct {
	*awsfake.JSON[*Server, Call]
	opts Options

	mu           sync.Mutex
	clusters     map[string]*cluster
	taskSeq      uint64
	defaultAddrs int
}

// nameRE is what ECS allows in cluster and service names.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// New returns a Server with no clusters. It panics on invalid Options, which are programming errors in a
// test's set-up, the way httptest.NewServer panics when it cannot listen.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize == 0 {
		opts.PageSize = defaultPageSize
	}
	problems := awsfake.ResolveAccount(&opts.Region, &opts.Account)
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
	s := &Server{opts: opts, clusters: make(map[string]*cluster)}
	s.JSON = awsfake.NewJSON(awsfake.JSONSetup[*Server, Call]{Protocol: protocol, Ops: operations, Server: s, Lock: &s.mu,
		Region: opts.Region, Now: opts.Now, Prepare: s.prune})
	s.SetLatency(opts.Latency)
	return s
}

func invalidParameter(format string, args ...any) *awsfake.Error {
	return awsfake.ClientError("InvalidParameterException", format, args...)
}

// arn builds an ECS ARN for a resource path such as "cluster/prod".
func (s *Server) arn(resource string) string {
	return "arn:" + awsfake.PartitionOf(s.opts.Region) + ":ecs:" + s.opts.Region + ":" + s.opts.Account + ":" + resource
}
