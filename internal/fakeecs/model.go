package fakeecs

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// Task lastStatus values, as ECS reports them for Fargate tasks.
const (
	StatusProvisioning   = "PROVISIONING"
	StatusPending        = "PENDING"
	StatusActivating     = "ACTIVATING"
	StatusRunning        = "RUNNING"
	StatusDeactivating   = "DEACTIVATING"
	StatusStopping       = "STOPPING"
	StatusDeprovisioning = "DEPROVISIONING"
	StatusStopped        = "STOPPED"
)

const (
	// maxDesiredCount is the ECS quota of tasks per service; it also keeps a runaway caller from exhausting memory.
	maxDesiredCount = 5000
	// stoppedTaskRetention is how long ECS keeps answering for a stopped task ("at least one hour").
	stoppedTaskRetention = time.Hour
	taskCPU              = "256"
	taskMemory           = "512"
	fargatePlatform      = "1.4.0"
)

type cluster struct {
	name     string
	arn      string
	services map[string]*service
	tasks    map[string]*task // by task ID, including stopped tasks until they expire
}

type service struct {
	cluster      *cluster
	name         string
	arn          string
	desired      int
	tags         map[string]string
	createdAt    time.Time
	updatedAt    time.Time
	deploymentID string
	taskDef      string
	started      int     // tasks ever started for this service name: the n passed to Options.Address
	tasks        []*task // oldest first
	inactive     bool    // deleted by DeleteService; DescribeServices still reports it, as INACTIVE
	generation   int     // how many times a service of this name was re-created after a DeleteService
}

// status is the service's status as DescribeServices reports it.
func (svc *service) status() string {
	if svc.inactive {
		return "INACTIVE"
	}
	return "ACTIVE"
}

type task struct {
	svc          *service
	id           string
	arn          string
	seq          uint64 // order among all tasks of the Server; ListTasks pages by it
	ipv4, ipv6   string
	az, subnetID string
	eniID, mac   string
	attachmentID string
	containerID  string

	createdAt time.Time
	pendingAt time.Time // PROVISIONING ends: the ENI is attached and has its address
	runningAt time.Time

	pinned   string // lastStatus forced by SetTaskStatus, until the task is stopped
	pinnedAt time.Time

	stopping   bool // desiredStatus is STOPPED
	stoppingAt time.Time
	stoppedAt  time.Time
	stopCode   string
	stopReason string
	exitCode   *int
}

// lastStatus is the task's lifecycle state at now; it is a pure function of the task's timestamps so that a
// test stepping its clock sees tasks progress without the fake running any timers.
func (t *task) lastStatus(now time.Time) string {
	if t.stopping {
		switch {
		case !now.Before(t.stoppedAt):
			return StatusStopped
		case t.started(t.stoppingAt):
			return StatusDeactivating // draining from the load balancer, then SIGTERM
		default:
			return StatusDeprovisioning // never ran: only the ENI has to go
		}
	}
	if t.pinned != "" {
		return t.pinned
	}
	switch {
	case !now.Before(t.runningAt):
		return StatusRunning
	case !now.Before(t.pendingAt):
		return StatusPending
	default:
		return StatusProvisioning
	}
}

// started reports whether the task had reached RUNNING by limit, taking a stop or a pin into account.
func (t *task) started(limit time.Time) bool {
	if t.stopping && t.stoppingAt.Before(limit) {
		limit = t.stoppingAt
	}
	if t.pinned != "" && t.pinnedAt.Before(limit) {
		limit = t.pinnedAt
	}
	return !t.runningAt.After(limit)
}

// attached reports whether the task's ENI had been attached, and so had its address, by now: PROVISIONING
// must have ended before the task was told to stop.
func (t *task) attached(now time.Time) bool {
	limit := now
	if t.stopping && t.stoppingAt.Before(limit) {
		limit = t.stoppingAt
	}
	return !t.pendingAt.After(limit)
}

func (t *task) desiredStatus() string {
	if t.stopping {
		return StatusStopped
	}
	return StatusRunning
}

// expired reports whether ECS would have forgotten this stopped task by now.
func (t *task) expired(now time.Time) bool {
	return t.stopping && now.Sub(t.stoppedAt) > stoppedTaskRetention
}

func isPendingStatus(s string) bool {
	return s == StatusProvisioning || s == StatusPending || s == StatusActivating
}

// counts returns runningCount and pendingCount as ECS defines them: tasks whose lastStatus is RUNNING, and
// tasks still on their way there (PROVISIONING, PENDING, ACTIVATING).
func (svc *service) counts(now time.Time) (running, pending int) {
	for _, t := range svc.tasks {
		switch st := t.lastStatus(now); {
		case st == StatusRunning:
			running++
		case isPendingStatus(st):
			pending++
		}
	}
	return running, pending
}

// reconcile plays the ECS service scheduler: it starts or stops tasks until as many tasks want to run as the
// service's desiredCount. Scale-in stops the newest tasks first.
func (s *Server) reconcile(svc *service, now time.Time) error {
	var active []*task
	for _, t := range svc.tasks {
		if !t.stopping {
			active = append(active, t)
		}
	}
	if missing := svc.desired - len(active); missing > 0 {
		return s.startTasks(svc, missing, now)
	}
	for _, t := range slices.Backward(active[svc.desired:]) {
		t.stopping = true
		t.stoppingAt = now
		t.stoppedAt = now.Add(s.opts.StopDelay)
		t.stopCode = "ServiceSchedulerInitiated"
		t.stopReason = "Scaling activity initiated by (deployment " + svc.deploymentID + ")"
	}
	return nil
}

// startTasks adds count new tasks to svc. Every address is obtained and checked before any task is added, so a
// bad Options.Address leaves the service unchanged.
func (s *Server) startTasks(svc *service, count int, now time.Time) error {
	type addr struct{ v4, v6 string }
	addrs := make([]addr, count)
	for i := range addrs {
		n := svc.started + i
		raw := s.address(svc.name, n)
		v4, v6, err := parseTaskAddress(raw)
		if err != nil {
			return fmt.Errorf("fakeecs: Options.Address(%q, %d) returned %q: %w", svc.name, n, raw, err)
		}
		addrs[i] = addr{v4, v6}
	}
	c := svc.cluster
	for _, a := range addrs {
		n := svc.started
		svc.started++
		s.taskSeq++
		seed := fmt.Sprintf("%s/%s/%d", c.name, svc.name, n)
		id := awsfake.HexID("task", seed, 32)
		az := s.opts.Region + string(rune('a'+n%3))
		t := &task{
			svc:          svc,
			id:           id,
			arn:          s.arn("task/" + c.name + "/" + id),
			seq:          s.taskSeq,
			ipv4:         a.v4,
			ipv6:         a.v6,
			az:           az,
			subnetID:     "subnet-" + awsfake.HexID("subnet", az, 17),
			eniID:        "eni-" + awsfake.HexID("eni", seed, 17),
			mac:          macAddress(seed),
			attachmentID: awsfake.UUID("attachment", seed),
			containerID:  awsfake.UUID("container", seed),
			createdAt:    now,
			pendingAt:    now.Add(s.opts.StartDelay / 2),
			runningAt:    now.Add(s.opts.StartDelay),
		}
		svc.tasks = append(svc.tasks, t)
		c.tasks[id] = t
	}
	return nil
}

// crash stops a task at once, the way an essential container exiting does.
func crash(t *task, now time.Time) {
	t.stopping = true
	t.stoppingAt = now
	t.stoppedAt = now
	t.stopCode = "EssentialContainerExited"
	t.stopReason = "Essential container in task exited"
	exit := 1
	t.exitCode = &exit
}

// prune forgets tasks that stopped more than stoppedTaskRetention ago, as ECS does, so that long simulations
// do not grow without bound.
func (s *Server) prune(now time.Time) {
	for _, c := range s.clusters {
		for _, svc := range c.services {
			svc.tasks = slices.DeleteFunc(svc.tasks, func(t *task) bool {
				if t.expired(now) {
					delete(c.tasks, t.id)
					return true
				}
				return false
			})
		}
	}
}

// parseTaskAddress splits what Options.Address returned into the task's IPv4 and IPv6 addresses: an IPv4
// address, an IPv6 address (an IPv6-only task), or "IPv4,IPv6" (a dual-stack task).
func parseTaskAddress(raw string) (v4, v6 string, err error) {
	for part := range strings.SplitSeq(raw, ",") {
		ip, perr := netip.ParseAddr(strings.TrimSpace(part))
		switch {
		case perr != nil:
			return "", "", fmt.Errorf("not an IP address (want IPv4, IPv6 or \"IPv4,IPv6\"): %w", perr)
		case ip.Zone() != "":
			return "", "", fmt.Errorf("an ENI address has no zone")
		case ip.Is4() && v4 == "":
			v4 = ip.String()
		case ip.Is6() && !ip.Is4In6() && v6 == "":
			v6 = ip.String()
		default:
			return "", "", fmt.Errorf("want at most one IPv4 and one IPv6 address")
		}
	}
	return v4, v6, nil
}

// defaultAddress hands out 10.0.x.y addresses in start order across the whole Server, skipping the first four
// addresses of every /24 as AWS reserves them in a subnet.
func (s *Server) defaultAddress() string {
	k := s.defaultAddrs
	s.defaultAddrs++
	return fmt.Sprintf("10.0.%d.%d", (k/250)%256, k%250+4)
}

func (s *Server) address(service string, n int) string {
	if s.opts.Address != nil {
		return s.opts.Address(service, n)
	}
	return s.defaultAddress()
}

func macAddress(seed string) string {
	h := awsfake.HexID("mac", seed, 10)
	return "0a:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10]
}

// deploymentID looks like ECS's "ecs-svc/" followed by 19 digits.
func deploymentID(seed string) string {
	sum := sha256.Sum256([]byte("deployment\x00" + seed))
	return fmt.Sprintf("ecs-svc/%019d", binary.BigEndian.Uint64(sum[:8])%1e19)
}
