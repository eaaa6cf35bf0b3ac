package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/time/rate"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/nginxstat"
	"github.com/fastscaler/fastscaler/policy/knob"
)

// ECS wraps the ECS API with fastscaler's cluster, a rate limit shared by every call, and the few operations the
// daemon and the CLI need. It calls ListTasks, DescribeTasks, DescribeServices, UpdateService, TagResource and
// UntagResource.
type ECS struct {
	api     *ecs.Client
	cluster string
	limiter *rate.Limiter
	writes  *ecs.Client   // UpdateService, TagResource, UntagResource; api unless WithWriter
	wlimit  *rate.Limiter // the writes' own rate limit, so reads cannot starve them
}

// NewECS returns an ECS for cluster allowing callsPerSec calls per second (bursts of up to 10).
func NewECS(api *ecs.Client, cluster string, callsPerSec float64) *ECS {
	l := rate.NewLimiter(rate.Limit(callsPerSec), 10)
	return &ECS{api: api, cluster: cluster, limiter: l, writes: api, wlimit: l}
}

// WithWriter sends the writes (UpdateService and the tag calls) through their own client and rate limit: a
// client whose retryer does not slow every call down once reads are throttled (the SDK's adaptive mode does), so a
// throttled DescribeServices never delays a scale-out. A nil w keeps one client for everything.
func (e *ECS) WithWriter(w *ecs.Client) *ECS {
	if w != nil {
		e.writes, e.wlimit = w, rate.NewLimiter(e.limiter.Limit(), 10)
	}
	return e
}

func (e *ECS) waitWrite(ctx context.Context) error {
	if err := e.wlimit.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the ECS rate limit: %w", err)
	}
	return nil
}

// Cluster returns the cluster name or ARN calls are made against.
func (e *ECS) Cluster() string { return e.cluster }

func (e *ECS) wait(ctx context.Context) error {
	if err := e.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the ECS rate limit: %w", err)
	}
	return nil
}

// DiscoverTasks lists the RUNNING tasks of service and returns each one's stub_status target at port. Only tasks
// whose group is service:NAME and whose last status is RUNNING are kept; a task without an ENI address is skipped
// and reported in skipped.
func (e *ECS) DiscoverTasks(ctx context.Context, service string, port int) (targets []nginxstat.Target, skipped []string, err error) {
	var arns []string
	p := ecs.NewListTasksPaginator(e.api, &ecs.ListTasksInput{
		Cluster:       aws.String(e.cluster),
		ServiceName:   aws.String(service),
		DesiredStatus: types.DesiredStatusRunning,
	})
	for p.HasMorePages() {
		if err := e.wait(ctx); err != nil {
			return nil, nil, err
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing tasks of service %s in cluster %s: %w", service, e.cluster, err)
		}
		arns = append(arns, out.TaskArns...)
	}
	group := "service:" + service
	for start := 0; start < len(arns); start += 100 {
		batch := arns[start:min(start+100, len(arns))]
		if err := e.wait(ctx); err != nil {
			return nil, nil, err
		}
		out, err := e.api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(e.cluster), Tasks: batch})
		if err != nil {
			return nil, nil, fmt.Errorf("describing %d tasks of service %s: %w", len(batch), service, err)
		}
		for _, t := range out.Tasks {
			id := taskID(aws.ToString(t.TaskArn))
			if aws.ToString(t.Group) != group || aws.ToString(t.LastStatus) != "RUNNING" {
				continue
			}
			host := taskAddress(t)
			if host == "" {
				skipped = append(skipped, id)
				continue
			}
			targets = append(targets, nginxstat.Target{ID: id, Addr: net.JoinHostPort(host, strconv.Itoa(port))})
		}
	}
	return targets, skipped, nil
}

// taskAddress returns the private IPv4 address of the task's ENI, or its IPv6 address when it has only that.
func taskAddress(t types.Task) string {
	var v6 string
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" && aws.ToString(a.Type) != "eni" {
			continue
		}
		for _, d := range a.Details {
			switch aws.ToString(d.Name) {
			case "privateIPv4Address":
				if ip := net.ParseIP(aws.ToString(d.Value)); ip != nil && ip.To4() != nil {
					return ip.String()
				}
			case "ipv6Address":
				if ip := net.ParseIP(aws.ToString(d.Value)); ip != nil && v6 == "" {
					v6 = ip.String()
				}
			}
		}
	}
	return v6
}

func taskID(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// Service is what DescribeServices says about one service, with fastscaler's durable state from its tags.
type Service struct {
	Name       string
	ARN        string
	Desired    int
	Running    int
	Pending    int
	Tags       map[string]string
	Durable    durable.State
	TagErrors  []error // malformed fastscaler tags
	ReadAt     time.Time
	Deployment string // rollout state of the primary deployment, e.g. COMPLETED or IN_PROGRESS
	Gone       string // why ECS does not report the service ACTIVE (missing, INACTIVE); empty when it does
}

// Gone reasons of a Service.
const (
	GoneMissing  = "ECS does not know the service (MISSING)"
	GoneInactive = "ECS reports the service INACTIVE (deleted)"
)

// ErrServiceGone marks a write refused because the service is not ACTIVE (deleted, or never created).
var ErrServiceGone = errors.New("the service is not ACTIVE")

// ErrServiceNotFound marks a service ECS does not know in the cluster.
var ErrServiceNotFound = errors.New("service not found")

// RouterTargets is DiscoverTasks; it makes *ECS a Cloud.
func (e *ECS) RouterTargets(ctx context.Context, service string, port int) ([]nginxstat.Target, []string, error) {
	return e.DiscoverTasks(ctx, service, port)
}

// Services reads services (≤10 per call; more are batched) with their tags. A service ECS reports missing or not
// ACTIVE is returned with Gone saying so, not as an error; on an error, the batches read before are returned.
func (e *ECS) Services(ctx context.Context, names []string, now time.Time) (map[string]Service, error) {
	out := make(map[string]Service, len(names))
	for start := 0; start < len(names); start += 10 {
		batch := names[start:min(start+10, len(names))]
		if err := e.wait(ctx); err != nil {
			return out, err
		}
		resp, err := e.api.DescribeServices(ctx, &ecs.DescribeServicesInput{
			Cluster:  aws.String(e.cluster),
			Services: batch,
			Include:  []types.ServiceField{types.ServiceFieldTags},
		})
		if err != nil {
			return out, fmt.Errorf("describing services %s in cluster %s: %w", strings.Join(batch, ", "), e.cluster, err)
		}
		for _, s := range resp.Services {
			svc := serviceFromECS(s, now)
			if st := aws.ToString(s.Status); st != "ACTIVE" {
				svc.Gone = GoneInactive
				if st != "INACTIVE" {
					svc.Gone = fmt.Sprintf("ECS reports the service %s", st)
				}
			}
			out[svc.Name] = svc
		}
		for _, f := range resp.Failures {
			name := taskID(aws.ToString(f.Arn))
			out[name] = Service{Name: name, Gone: GoneMissing, ReadAt: now}
			if r := aws.ToString(f.Reason); r != "MISSING" {
				out[name] = Service{Name: name, Gone: "ECS could not describe the service: " + r, ReadAt: now}
			}
		}
	}
	return out, nil
}

// DescribeServices reads services as Services does, for the CLI: services ECS does not know, or does not report
// ACTIVE, are returned in the error, wrapping ErrServiceNotFound, alongside the ones it knows.
func (e *ECS) DescribeServices(ctx context.Context, names []string, now time.Time) (map[string]Service, error) {
	got, err := e.Services(ctx, names, now)
	out := make(map[string]Service, len(got))
	var missing []string
	for _, name := range names {
		s, ok := got[name]
		switch {
		case !ok:
		case s.Gone == GoneMissing:
			missing = append(missing, name+" (MISSING)")
		case s.Gone != "":
			missing = append(missing, fmt.Sprintf("%s (%s)", name, s.Gone))
		default:
			out[name] = s
		}
	}
	if err != nil {
		return out, err
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("%w in cluster %s: %s", ErrServiceNotFound, e.cluster, strings.Join(missing, ", "))
	}
	return out, nil
}

func serviceFromECS(s types.Service, now time.Time) Service {
	tags := make(map[string]string, len(s.Tags))
	for _, t := range s.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	d, errs := durable.Decode(tags)
	svc := Service{
		Name:    aws.ToString(s.ServiceName),
		ARN:     aws.ToString(s.ServiceArn),
		Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount),
		Tags: tags, Durable: d, TagErrors: errs, ReadAt: now,
	}
	for _, dep := range s.Deployments {
		if aws.ToString(dep.Status) == "PRIMARY" {
			svc.Deployment = string(dep.RolloutState)
		}
	}
	return svc
}

// SetDesired sets a service's desired count and returns the service as ECS reports it afterwards (tags are not
// part of UpdateService's answer and are carried over from prev).
func (e *ECS) SetDesired(ctx context.Context, service string, desired int) (Service, error) {
	if err := e.waitWrite(ctx); err != nil {
		return Service{}, err
	}
	out, err := e.writes.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:      aws.String(e.cluster),
		Service:      aws.String(service),
		DesiredCount: aws.Int32(int32(desired)),
	})
	var notActive *types.ServiceNotActiveException
	var notFound *types.ServiceNotFoundException
	if errors.As(err, &notActive) || errors.As(err, &notFound) {
		return Service{}, fmt.Errorf("updating service %s to desired count %d: %w: %w", service, desired, ErrServiceGone, err)
	}
	if err != nil {
		return Service{}, fmt.Errorf("updating service %s to desired count %d: %w", service, desired, err)
	}
	if out.Service == nil {
		return Service{Name: service, Desired: desired}, nil
	}
	return serviceFromECS(*out.Service, time.Time{}), nil
}

// Tag sets tags on a resource (a service ARN).
func (e *ECS) Tag(ctx context.Context, arn string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	if err := e.waitWrite(ctx); err != nil {
		return err
	}
	in := &ecs.TagResourceInput{ResourceArn: aws.String(arn)}
	for _, k := range knob.SortedKeys(tags) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	if _, err := e.writes.TagResource(ctx, in); err != nil {
		return fmt.Errorf("tagging %s with %s: %w", arn, strings.Join(knob.SortedKeys(tags), ", "), err)
	}
	return nil
}

// Untag removes tag keys from a resource (a service ARN).
func (e *ECS) Untag(ctx context.Context, arn string, keys []string) error {
	if err := e.waitWrite(ctx); err != nil {
		return err
	}
	if _, err := e.writes.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys}); err != nil {
		return fmt.Errorf("removing tags %s from %s: %w", strings.Join(keys, ", "), arn, err)
	}
	return nil
}
