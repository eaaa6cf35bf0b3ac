package fake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/nginxstat"
)

// Operations of Cloud and Scaling, for Fail, FailWith, Gate and Calls.
const (
	OpServices      = "Services"
	OpSetDesired    = "SetDesired"
	OpTag           = "Tag"
	OpUntag         = "Untag"
	OpRouterTargets = "RouterTargets"
	OpTargets       = "Targets"
	OpSetMin        = "SetMin"
)

// ErrThrottled is what a throttled call returns.
var ErrThrottled = errors.New("ThrottlingException: Rate exceeded")

// Call is one recorded call.
type Call struct {
	Op       string
	Services []string          // Services, Targets
	Service  string            // SetDesired, Tag, Untag (the service the ARN names), SetMin
	Count    int               // SetDesired's desired count, SetMin's MinCapacity
	Tags     map[string]string // Tag
	Keys     []string          // Untag
	Err      error
}

// faults holds the injected errors and gates shared by Cloud and Scaling.
type faults struct {
	mu      sync.Mutex
	queued  map[string][]error
	always  map[string]func(n int) error // n counts the op's calls from 1
	counts  map[string]int
	gates   map[string]chan struct{}
	delays  map[string]time.Duration
	waiting map[string]int
	calls   []Call
}

func newFaults() faults {
	return faults{queued: map[string][]error{}, always: map[string]func(int) error{}, counts: map[string]int{}, gates: map[string]chan struct{}{}, delays: map[string]time.Duration{}, waiting: map[string]int{}}
}

// enter counts a call of op, waits at its gate (if any) and returns the error to answer, if any.
func (f *faults) enter(ctx context.Context, op string) error {
	f.mu.Lock()
	gate, delay := f.gates[op], f.delays[op]
	if gate != nil {
		f.waiting[op]++
		defer func() { f.mu.Lock(); f.waiting[op]--; f.mu.Unlock() }()
	}
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[op]++
	if q := f.queued[op]; len(q) > 0 {
		f.queued[op] = q[1:]
		return q[0]
	}
	if fn := f.always[op]; fn != nil {
		return fn(f.counts[op])
	}
	return nil
}

func (f *faults) record(c Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Fail makes the next times calls of op return err.
func (f *faults) Fail(op string, err error, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range times {
		f.queued[op] = append(f.queued[op], err)
	}
}

// FailWith makes every call of op return fn(n), n counting the op's calls from 1 (nil fn: no standing fault).
func (f *faults) FailWith(op string, fn func(n int) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.always[op] = fn
}

// Delay makes every call of op take d of wall-clock time (or until its context ends), for benchmarks and load
// programs; unit tests use Gate.
func (f *faults) Delay(op string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays[op] = d
}

// Gate holds every call of op until the returned release function runs (or the call's context ends): ECS
// answering slowly, without a wall-clock sleep.
func (f *faults) Gate(op string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.gates[op] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			if f.gates[op] == ch {
				delete(f.gates, op)
			}
			f.mu.Unlock()
			close(ch)
		})
	}
}

// Waiting returns how many calls of op are held at its gate now.
func (f *faults) Waiting(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting[op]
}

// Calls returns the recorded calls of the given ops (none given: every call).
func (f *faults) Calls(ops ...string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if len(ops) == 0 || slices.Contains(ops, c.Op) {
			out = append(out, c)
		}
	}
	return out
}

// Throttle returns a FailWith function that throttles one call in every n.
func Throttle(n int) func(int) error {
	return func(k int) error {
		if k%n == 0 {
			return ErrThrottled
		}
		return nil
	}
}

// service is one ECS service in the fake.
type service struct {
	name     string
	desired  int
	running  int
	tags     map[string]string
	inactive bool
}

// Cloud is an in-memory ECS cluster: services with desired counts and tags, and the router's task targets. Running
// counts follow desired counts at once. It is safe for concurrent use.
type Cloud struct {
	faults
	mu       sync.Mutex
	cluster  string
	services map[string]*service
	routers  []nginxstat.Target
}

var _ autoscaler.Cloud = (*Cloud)(nil)

// NewCloud returns an empty Cloud.
func NewCloud() *Cloud {
	return &Cloud{faults: newFaults(), cluster: "prod", services: map[string]*service{}}
}

// ARN is the ARN of a service.
func (c *Cloud) ARN(name string) string {
	return "arn:aws:ecs:us-east-1:123456789012:service/" + c.cluster + "/" + name
}

// AddService adds (or re-creates, ACTIVE) a service.
func (c *Cloud) AddService(name string, desired int, tags map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.services[name] = &service{name: name, desired: desired, running: desired, tags: maps.Clone(tags)}
	if c.services[name].tags == nil {
		c.services[name].tags = map[string]string{}
	}
}

// Delete makes a service INACTIVE, as ECS's DeleteService does.
func (c *Cloud) Delete(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.services[name]; ok {
		s.inactive, s.desired, s.running, s.tags = true, 0, 0, map[string]string{}
	}
}

// SetCount sets a service's desired count as someone else (an SRE, AAS) would.
func (c *Cloud) SetCount(name string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.services[name].desired, c.services[name].running = n, n
}

// SetTags sets tags on a service as someone else (the CLI) would.
func (c *Cloud) SetTags(name string, tags map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.Copy(c.services[name].tags, tags)
}

// Desired returns a service's desired count.
func (c *Cloud) Desired(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.services[name].desired
}

// TagsOf returns a copy of a service's tags.
func (c *Cloud) TagsOf(name string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.services[name].tags)
}

// SetRouters sets the router's task targets that RouterTargets returns.
func (c *Cloud) SetRouters(targets []nginxstat.Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routers = slices.Clone(targets)
}

// Services implements autoscaler.Cloud. The answer is what ECS holds when the call arrives; a gate or a delay holds
// it back, as a slow ECS does.
func (c *Cloud) Services(ctx context.Context, names []string, now time.Time) (map[string]autoscaler.Service, error) {
	out := c.describe(names, now)
	err := c.enter(ctx, OpServices)
	c.record(Call{Op: OpServices, Services: slices.Clone(names), Err: err})
	if err != nil {
		return map[string]autoscaler.Service{}, fmt.Errorf("describing services: %w", err)
	}
	return out, nil
}

func (c *Cloud) describe(names []string, now time.Time) map[string]autoscaler.Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]autoscaler.Service{}
	for _, n := range names {
		s, ok := c.services[n]
		switch {
		case !ok:
			out[n] = autoscaler.Service{Name: n, Gone: autoscaler.GoneMissing, ReadAt: now}
		case s.inactive:
			out[n] = autoscaler.Service{Name: n, ARN: c.ARN(n), Gone: autoscaler.GoneInactive, ReadAt: now, Tags: map[string]string{}}
		default:
			tags := maps.Clone(s.tags)
			d, errs := durable.Decode(tags)
			out[n] = autoscaler.Service{Name: n, ARN: c.ARN(n), Desired: s.desired, Running: s.running, Tags: tags,
				Durable: d, TagErrors: errs, ReadAt: now}
		}
	}
	return out
}

// SetDesired implements autoscaler.Cloud.
func (c *Cloud) SetDesired(ctx context.Context, name string, desired int) (autoscaler.Service, error) {
	err := c.enter(ctx, OpSetDesired)
	c.mu.Lock()
	s, ok := c.services[name]
	switch {
	case err != nil:
	case !ok:
		err = fmt.Errorf("ServiceNotFoundException: %s: %w", name, autoscaler.ErrServiceGone)
	case s.inactive:
		err = fmt.Errorf("ServiceNotActiveException: %s: %w", name, autoscaler.ErrServiceGone)
	default:
		s.desired, s.running = desired, desired
	}
	var out autoscaler.Service
	if err == nil {
		out = autoscaler.Service{Name: name, ARN: c.ARN(name), Desired: s.desired, Running: s.running}
	}
	c.mu.Unlock()
	c.record(Call{Op: OpSetDesired, Service: name, Count: desired, Err: err})
	if err != nil {
		return autoscaler.Service{}, fmt.Errorf("updating service %s: %w", name, err)
	}
	return out, nil
}

func (c *Cloud) byARN(arn string) (*service, error) {
	for _, s := range c.services {
		if c.ARN(s.name) == arn {
			if s.inactive {
				return nil, fmt.Errorf("InvalidParameterException: the service %s is inactive", s.name)
			}
			return s, nil
		}
	}
	return nil, fmt.Errorf("InvalidParameterException: no service %s", arn)
}

// Tag implements autoscaler.Tagger.
func (c *Cloud) Tag(ctx context.Context, arn string, tags map[string]string) error {
	err := c.editTags(ctx, arn, Call{Op: OpTag, Tags: maps.Clone(tags)}, func(t map[string]string) { maps.Copy(t, tags) })
	if err != nil {
		return fmt.Errorf("tagging %s: %w", arn, err)
	}
	return nil
}

// Untag implements autoscaler.Tagger.
func (c *Cloud) Untag(ctx context.Context, arn string, keys []string) error {
	err := c.editTags(ctx, arn, Call{Op: OpUntag, Keys: slices.Clone(keys)}, func(t map[string]string) {
		for _, k := range keys {
			delete(t, k)
		}
	})
	if err != nil {
		return fmt.Errorf("untagging %s: %w", arn, err)
	}
	return nil
}

// editTags is Tag and Untag: it enters call's op, applies edit to the tags of the service arn names unless the call
// fails, and records call with the service's name and the error.
func (c *Cloud) editTags(ctx context.Context, arn string, call Call, edit func(tags map[string]string)) error {
	err := c.enter(ctx, call.Op)
	if err == nil {
		c.mu.Lock()
		var s *service
		if s, err = c.byARN(arn); err == nil {
			edit(s.tags)
		}
		c.mu.Unlock()
	}
	call.Service, call.Err = arn[strings.LastIndexByte(arn, '/')+1:], err
	c.record(call)
	return err
}

// RouterTargets implements autoscaler.Cloud.
func (c *Cloud) RouterTargets(ctx context.Context, service string, port int) ([]nginxstat.Target, []string, error) {
	err := c.enter(ctx, OpRouterTargets)
	c.record(Call{Op: OpRouterTargets, Service: service, Err: err})
	if err != nil {
		return nil, nil, fmt.Errorf("listing router tasks: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.routers), nil, nil
}

// Scaling is an in-memory Application Auto Scaling: scalable targets of services. It is safe for concurrent use.
type Scaling struct {
	faults
	mu      sync.Mutex
	targets map[string]autoscaler.ScalableTarget
}

var _ autoscaler.Scaling = (*Scaling)(nil)

// NewScaling returns a Scaling without targets.
func NewScaling() *Scaling {
	return &Scaling{faults: newFaults(), targets: map[string]autoscaler.ScalableTarget{}}
}

// Register sets a service's scalable target, as its owner would.
func (s *Scaling) Register(service string, minCapacity, maxCapacity int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets[service] = autoscaler.ScalableTarget{Min: minCapacity, Max: maxCapacity}
}

// Target returns a service's target.
func (s *Scaling) Target(service string) (autoscaler.ScalableTarget, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.targets[service]
	return t, ok
}

// Targets implements autoscaler.Scaling.
func (s *Scaling) Targets(ctx context.Context, services []string) (map[string]autoscaler.ScalableTarget, error) {
	err := s.enter(ctx, OpTargets)
	s.record(Call{Op: OpTargets, Services: slices.Clone(services), Err: err})
	if err != nil {
		return nil, fmt.Errorf("describing scalable targets: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]autoscaler.ScalableTarget{}
	for _, n := range services {
		if t, ok := s.targets[n]; ok {
			out[n] = t
		}
	}
	return out, nil
}

// SetMin implements autoscaler.Scaling.
func (s *Scaling) SetMin(ctx context.Context, service string, minCapacity int) error {
	err := s.enter(ctx, OpSetMin)
	s.mu.Lock()
	t, ok := s.targets[service]
	if err == nil && !ok {
		err = fmt.Errorf("ValidationException: no scalable target for %s", service)
	}
	if err == nil {
		t.Min = minCapacity
		s.targets[service] = t
	}
	s.mu.Unlock()
	s.record(Call{Op: OpSetMin, Service: service, Count: minCapacity, Err: err})
	if err != nil {
		return fmt.Errorf("setting MinCapacity of %s: %w", service, err)
	}
	return nil
}
