package fakeaas

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// protocol is Application Auto Scaling's awsJson1_1 endpoint.
var protocol = awsfake.Protocol{
	Name:         "fakeaas",
	Service:      "Application Auto Scaling",
	TargetPrefix: "AnyScaleFrontendService.",
	SigningName:  "application-autoscaling",
	InternalCode: "InternalServiceException",
}

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

// Server is a stateful fake of the Application Auto Scaling API for ECS services, served over HTTP in the
// awsJson1_1 protocol; the embedded plumbing gives it ServeHTTP, Start, Close, FailNext, SetThrottle,
// SetLatency, SetOpLatency, ClearFaults and Calls. It is safe for concurrent use.
type Server struct {
	*awsfake.JSON[*Server, Call]
	opts      Options
	partition string

	mu      sync.Mutex
	targets map[string]*target // by resource ID
	seq     uint64             // creation order of targets and policies; pagination cursors
}

// New returns a Server with no scalable targets. It panics on invalid Options, which are programming errors
// in a test's set-up, the way httptest.NewServer panics when it cannot listen.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if problems := awsfake.ResolveAccount(&opts.Region, &opts.Account); len(problems) > 0 {
		panic("fakeaas.New: " + strings.Join(problems, "; "))
	}
	s := &Server{
		opts:      opts,
		partition: awsfake.PartitionOf(opts.Region),
		targets:   make(map[string]*target),
	}
	s.JSON = awsfake.NewJSON(awsfake.JSONSetup[*Server, Call]{Protocol: protocol, Ops: operations, Server: s, Lock: &s.mu,
		Region: opts.Region, Now: opts.Now, Clone: Call.clone,
		NewCall: func(op string, now time.Time) Call { return Call{Op: op, Time: now} }, SetErr: func(c *Call, code string) { c.Err = code }})
	return s
}

func (c Call) clone() Call {
	c.ResourceIDs = slices.Clone(c.ResourceIDs)
	c.MinCapacity = awsfake.ClonePtr(c.MinCapacity)
	c.MaxCapacity = awsfake.ClonePtr(c.MaxCapacity)
	c.SetDesired = awsfake.ClonePtr(c.SetDesired)
	return c
}

func validation(format string, args ...any) *awsfake.Error {
	return awsfake.ClientError("ValidationException", format, args...)
}
