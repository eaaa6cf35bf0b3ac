package fakeecs

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// ServiceSnapshot is the state of one service at the time of the Service call.
type ServiceSnapshot struct {
	Cluster      string
	Name         string
	ARN          string
	Status       string // ACTIVE, or INACTIVE after DeleteService
	DesiredCount int
	RunningCount int // tasks whose lastStatus is RUNNING
	PendingCount int // tasks in PROVISIONING, PENDING or ACTIVATING
	Tags         map[string]string
	Tasks        []TaskSnapshot // every task ECS still reports, stopped ones included, oldest first
}

// TaskSnapshot is the state of one task at the time of the Service call.
type TaskSnapshot struct {
	ID            string
	ARN           string
	LastStatus    string
	DesiredStatus string
	IPv4          string // empty for an IPv6-only task
	IPv6          string // empty for an IPv4-only task
	CreatedAt     time.Time
	StartedAt     time.Time // zero until the task reaches RUNNING
	StoppingAt    time.Time // zero until the task is told to stop
	StoppedAt     time.Time // zero until the task reaches STOPPED
	StopCode      string
}

// AddCluster creates an empty cluster; adding an existing one does nothing. It panics on a name ECS would
// reject (1 to 255 letters, digits, hyphens and underscores).
func (s *Server) AddCluster(name string) {
	if !nameRE.MatchString(name) {
		panic(fmt.Sprintf("fakeecs.AddCluster: %q is not a valid cluster name (1-255 letters, digits, - and _)", name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCluster(name)
}

func (s *Server) addCluster(name string) *cluster {
	if c, ok := s.clusters[name]; ok {
		return c
	}
	c := &cluster{
		name:     name,
		arn:      s.arn("cluster/" + name),
		services: make(map[string]*service),
		tasks:    make(map[string]*task),
	}
	s.clusters[name] = c
	return c
}

// AddService creates a Fargate service with desired tasks that are RUNNING at once, creating the cluster
// if needed, and returns the service ARN; like ECS, it may reuse the name of an INACTIVE (deleted) service.
// It panics on set-up mistakes: an invalid name or that of an ACTIVE service, a desired count outside
// 0..5000, tags ECS would reject, or an Options.Address result that is not an address.
func (s *Server) AddService(cluster, name string, desired int, tags map[string]string) (arn string) {
	if !nameRE.MatchString(cluster) || !nameRE.MatchString(name) {
		panic(fmt.Sprintf("fakeecs.AddService: cluster %q or service %q is not a valid name (1-255 letters, digits, - and _)",
			cluster, name))
	}
	if desired < 0 || desired > maxDesiredCount {
		panic(fmt.Sprintf("fakeecs.AddService(%q): desired count %d is outside 0..%d", name, desired, maxDesiredCount))
	}
	if len(tags) > maxTags {
		panic(fmt.Sprintf("fakeecs.AddService(%q): %d tags, at most %d allowed", name, len(tags), maxTags))
	}
	for k, v := range tags {
		if err := validateTag(k, v); err != nil {
			panic(fmt.Sprintf("fakeecs.AddService(%q): %v", name, err))
		}
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.addCluster(cluster)
	old, exists := c.services[name]
	if exists && !old.inactive {
		panic(fmt.Sprintf("fakeecs.AddService: service %q already exists in cluster %q", name, cluster))
	}
	svc := &service{
		cluster:      c,
		name:         name,
		arn:          s.arn("service/" + cluster + "/" + name),
		desired:      desired,
		tags:         maps.Clone(tags),
		createdAt:    now,
		updatedAt:    now,
		deploymentID: deploymentID(cluster + "/" + name),
		taskDef:      s.arn("task-definition/" + name + ":1"),
	}
	if svc.tags == nil {
		svc.tags = make(map[string]string)
	}
	if exists {
		// A re-created service is a new one (new deployment) under the same ARN. Task numbering goes on, so that
		// new tasks get new IDs, and the deleted service's stopped tasks stay with the name until they expire.
		svc.generation = old.generation + 1
		svc.deploymentID = deploymentID(fmt.Sprintf("%s/%s#%d", cluster, name, svc.generation))
		svc.started = old.started
		svc.tasks = slices.Clone(old.tasks)
	}
	inherited := len(svc.tasks)
	if err := s.startTasks(svc, desired, now); err != nil {
		panic("fakeecs.AddService: " + err.Error())
	}
	for _, t := range svc.tasks[inherited:] {
		t.pendingAt, t.runningAt = now, now // seeded tasks were running before the test began
	}
	c.services[name] = svc
	return svc.arn
}

// Service returns a snapshot of the named service, evaluated at Options.Now; false if it does not exist.
func (s *Server) Service(cluster, name string) (snap ServiceSnapshot, ok bool) {
	err := s.withService(cluster, name, func(svc *service, now time.Time) error {
		snap = svc.snapshot(now)
		return nil
	})
	return snap, err == nil
}

// snapshot is the service as Service reports it at now.
func (svc *service) snapshot(now time.Time) ServiceSnapshot {
	running, pending := svc.counts(now)
	snap := ServiceSnapshot{
		Cluster:      svc.cluster.name,
		Name:         svc.name,
		ARN:          svc.arn,
		Status:       svc.status(),
		DesiredCount: svc.desired,
		RunningCount: running,
		PendingCount: pending,
		Tags:         maps.Clone(svc.tags),
		Tasks:        make([]TaskSnapshot, 0, len(svc.tasks)),
	}
	for _, t := range svc.tasks {
		ts := TaskSnapshot{
			ID:            t.id,
			ARN:           t.arn,
			LastStatus:    t.lastStatus(now),
			DesiredStatus: t.desiredStatus(),
			IPv4:          t.ipv4,
			IPv6:          t.ipv6,
			CreatedAt:     t.createdAt,
			StopCode:      t.stopCode,
		}
		if t.started(now) {
			ts.StartedAt = t.runningAt
		}
		if t.stopping {
			ts.StoppingAt = t.stoppingAt
			if !now.Before(t.stoppedAt) {
				ts.StoppedAt = t.stoppedAt
			}
		}
		snap.Tasks = append(snap.Tasks, ts)
	}
	return snap
}

// StopTask simulates a crash: the task (an ID or ARN) is STOPPED at once with stop code
// EssentialContainerExited, and the service scheduler starts a replacement, as ECS does.
func (s *Server) StopTask(cluster, task string) error {
	return s.SetTaskStatus(cluster, task, StatusStopped)
}

// SetTaskStatus forces the lastStatus of a task (an ID or ARN). STOPPED crashes it (see StopTask); any other lifecycle status
// (e.g. PENDING for a task stuck starting, RUNNING to skip StartDelay) holds until the task is stopped.
// The desiredStatus is left alone, so the service counts follow lastStatus.
func (s *Server) SetTaskStatus(cluster, ref, status string) error {
	switch status {
	case StatusProvisioning, StatusPending, StatusActivating, StatusRunning,
		StatusDeactivating, StatusStopping, StatusDeprovisioning, StatusStopped:
	default:
		return fmt.Errorf("fakeecs: %q is not a task lastStatus", status)
	}
	return s.withTask(cluster, ref, func(t *task, now time.Time) error {
		if t.stopping {
			return fmt.Errorf("fakeecs: task %s of service %s is already stopping (%s)", t.id, t.svc.name, t.lastStatus(now))
		}
		if status == StatusStopped {
			crash(t, now)
			return s.reconcile(t.svc, now)
		}
		// Forcing a status moves the lifecycle's milestones forward, so that, e.g., a task forced to PENDING
		// has its address and one forced to RUNNING has a startedAt.
		if status != StatusProvisioning && now.Before(t.pendingAt) {
			t.pendingAt = now
		}
		if status == StatusRunning && now.Before(t.runningAt) {
			t.runningAt = now
		}
		t.pinned, t.pinnedAt = status, now
		return nil
	})
}

// SetDesiredCount sets a service's desired count as another actor would (Application Auto Scaling, the
// console), without recording a Call, and lets the scheduler start or stop tasks to match.
func (s *Server) SetDesiredCount(cluster, name string, desired int) error {
	if desired < 0 || desired > maxDesiredCount {
		return fmt.Errorf("fakeecs: desired count %d is outside 0..%d", desired, maxDesiredCount)
	}
	return s.withService(cluster, name, func(svc *service, now time.Time) error {
		if svc.inactive {
			return fmt.Errorf("fakeecs: service %q in cluster %q is INACTIVE (deleted)", name, cluster)
		}
		prev := svc.desired
		svc.desired = desired
		if err := s.reconcile(svc, now); err != nil {
			svc.desired = prev
			return err
		}
		svc.updatedAt = now
		return nil
	})
}

// DeleteService deletes a service as ECS's DeleteService with force does: its tasks stop (over StopDelay),
// its desired count becomes 0, its tags go, and it turns INACTIVE, which DescribeServices still reports
// (ECS passes through DRAINING while the tasks stop; the fake goes straight to INACTIVE). Deleting an
// INACTIVE service again does nothing, as in ECS. No Call is recorded.
func (s *Server) DeleteService(cluster, name string) error {
	return s.withService(cluster, name, func(svc *service, now time.Time) error {
		if svc.inactive {
			return nil
		}
		svc.desired = 0
		if err := s.reconcile(svc, now); err != nil { // scaling in starts nothing, so it cannot fail
			return err
		}
		svc.inactive = true
		svc.tags = make(map[string]string) // "When a resource is deleted, the tags ... are deleted as well" (TagResource)
		svc.updatedAt = now
		return nil
	})
}

// withCluster runs f on the named cluster for a helper, with the Server locked and pruned to Options.Now.
func (s *Server) withCluster(name string, f func(c *cluster, now time.Time) error) error {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	c, ok := s.clusters[name]
	if !ok {
		return fmt.Errorf("fakeecs: no cluster %q", name)
	}
	return f(c, now)
}

// withService is withCluster for one service of the cluster.
func (s *Server) withService(clusterName, name string, f func(svc *service, now time.Time) error) error {
	return s.withCluster(clusterName, func(c *cluster, now time.Time) error {
		svc, ok := c.services[name]
		if !ok {
			return fmt.Errorf("fakeecs: no service %q in cluster %q", name, clusterName)
		}
		return f(svc, now)
	})
}

// withTask is withCluster for one task (an ID or ARN) of the cluster.
func (s *Server) withTask(clusterName, ref string, f func(t *task, now time.Time) error) error {
	return s.withCluster(clusterName, func(c *cluster, now time.Time) error {
		t, ok := c.lookupTask(ref)
		if !ok {
			return fmt.Errorf("fakeecs: no task %q in cluster %q", ref, clusterName)
		}
		return f(t, now)
	})
}
