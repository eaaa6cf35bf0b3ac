package autoscaler

import (
	"context"
	"time"

	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy"
)

// Cloud is what the daemon needs of ECS, in its own terms: services with their desired counts and durable-state
// tags, and the router's tasks. *ECS implements it over the AWS SDK; autoscaler/fake implements it in memory for
// the daemon's unit tests.
type Cloud interface {
	// Services reads services with their tags. A service ECS reports missing or INACTIVE is returned with Gone set.
	// On an error, the services read before it are returned too.
	Services(ctx context.Context, names []string, now time.Time) (map[string]Service, error)
	// SetDesired sets a service's desired count and returns the service's counts as ECS reports them afterwards.
	SetDesired(ctx context.Context, service string, desired int) (Service, error)
	Tagger
	// RouterTargets returns the stub_status target (address:port) of every RUNNING task of service; tasks without
	// an address are returned in skipped.
	RouterTargets(ctx context.Context, service string, port int) (targets []nginxstat.Target, skipped []string, err error)
}

// Tagger writes and removes tags on a service, by ARN.
type Tagger interface {
	Tag(ctx context.Context, arn string, tags map[string]string) error
	Untag(ctx context.Context, arn string, keys []string) error
}

// Scaling is what the daemon needs of Application Auto Scaling: the scalable targets of services and their
// MinCapacity. *AAS implements it over the AWS SDK.
type Scaling interface {
	// Targets returns the scalable targets of the given services; services without one are absent.
	Targets(ctx context.Context, services []string) (map[string]ScalableTarget, error)
	// SetMin sets a service's scalable target MinCapacity, keeping its MaxCapacity.
	SetMin(ctx context.Context, service string, minCapacity int) error
}

// Routers polls the routers' stub_status pages; *nginxstat.Poller implements it.
type Routers interface {
	Poll(ctx context.Context, targets []nginxstat.Target) []nginxstat.Sample
	CloseIdle()
}

// History reads back the load fastscaler recorded before a restart; *Metrics implements it over CloudWatch.
type History interface {
	RequestRate(ctx context.Context, from, to time.Time) ([]policy.Point, error)
}

var (
	_ History = (*Metrics)(nil)
	_ Cloud   = (*ECS)(nil)
	_ Scaling = (*AAS)(nil)
	_ Routers = (*nginxstat.Poller)(nil)
)
