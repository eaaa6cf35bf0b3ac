package fakeaas

import (
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
	awsfake.Head          // the operation, e.g. "RegisterScalableTarget"; Options.Now when it was handled; the error code
	ResourceID   string   // ResourceId as sent; empty for an operation that takes none
	ResourceIDs  []string // DescribeScalableTargets ResourceIds as sent
	PolicyName   string   // PutScalingPolicy PolicyName as sent
	MinCapacity  *int     // RegisterScalableTarget MinCapacity, nil when not set
	MaxCapacity  *int     // RegisterScalableTarget MaxCapacity, nil when not set
	SetDesired   *int     // desired count RegisterScalableTarget set through Options.SetDesired, nil if none
}

// Server is a stateful fake of the Application Auto Scaling API for ECS services, served over HTTP in the
// awsJson1_1 protocol; the embedded plumbing gives it ServeHTTP, Start, Close, FailNext, SetThrottle,
// SetLatency, SetOpLatency, ClearFaults and Calls. It is safe for concurrent use.
type Server struct {
	*awsfake.JSON[*Server, Call]
	opts Options

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
	s := &Server{opts: opts, targets: make(map[string]*target)}
	s.JSON = awsfake.NewJSON(awsfake.JSONSetup[*Server, Call]{Protocol: protocol, Ops: operations, Server: s, Lock: &s.mu,
		Region: opts.Region, Now: opts.Now})
	return s
}

func validation(format string, args ...any) *awsfake.Error {
	return awsfake.ClientError("ValidationException", format, args...)
}
