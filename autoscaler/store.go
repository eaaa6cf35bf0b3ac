package autoscaler

import (
	"maps"
	"sync"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

// serviceStore holds the latest read of every service. The refresh loop and the per-service lanes write it; the
// tick reads it. What a lane changed (a desired count, tags) is kept as an edit for a while and replayed over any
// read that started before it, so a slow DescribeServices answer never undoes what fastscaler itself just did,
// and is not thrown away for it either.
type serviceStore struct {
	mu       sync.Mutex
	services map[string]Service
	edits    map[string][]edit
}

// edit is one change a lane made to a service, at a time.
type edit struct {
	at time.Time
	fn func(*Service)
}

// editMemory is how long edits are replayed over reads: longer than any read can take.
const editMemory = 2 * time.Minute

func newServiceStore() *serviceStore {
	return &serviceStore{services: map[string]Service{}, edits: map[string][]edit{}}
}

// put stores a read, with the edits made since it started replayed over it, unless it is older than the stored one.
func (s *serviceStore) put(svc Service) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.services[svc.Name]; ok && svc.ReadAt.Before(old.ReadAt) {
		return false
	}
	svc.Tags = maps.Clone(svc.Tags) // the caller keeps its own copy
	replayed := false
	for _, e := range s.edits[svc.Name] {
		if !e.at.Before(svc.ReadAt) {
			if svc.Tags == nil {
				svc.Tags = map[string]string{}
			}
			e.fn(&svc)
			replayed = true
		}
	}
	if replayed {
		svc.Durable, svc.TagErrors = durable.Decode(svc.Tags)
	}
	s.services[svc.Name] = svc
	return true
}

// get returns a copy of one service's latest state.
func (s *serviceStore) get(name string) (Service, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[name]
	svc.Tags = maps.Clone(svc.Tags)
	return svc, ok
}

// all returns a copy of every service's latest state.
func (s *serviceStore) all() map[string]Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Service, len(s.services))
	for k, v := range s.services {
		v.Tags = maps.Clone(v.Tags)
		out[k] = v
	}
	return out
}

// write records a change fastscaler made to a service, which took effect at `at` (the time its call returned),
// applying fn to the stored state and to every read that started before then and arrives later. fn must change
// only what the write changed, and never move ReadAt backwards.
func (s *serviceStore) write(name string, at time.Time, fn func(*Service)) {
	now := at
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[name]
	if !ok {
		return
	}
	svc.Tags = maps.Clone(svc.Tags)
	if svc.Tags == nil {
		svc.Tags = map[string]string{}
	}
	fn(&svc)
	svc.Durable, svc.TagErrors = durable.Decode(svc.Tags)
	s.services[name] = svc
	kept := s.edits[name][:0]
	for _, e := range s.edits[name] {
		if now.Sub(e.at) < editMemory {
			kept = append(kept, e)
		}
	}
	s.edits[name] = append(kept, edit{at: now, fn: fn})
}

// targetStore holds the scalable targets as last looked up, with what lanes learnt since.
type targetStore struct {
	mu       sync.Mutex
	targets  map[string]ScalableTarget
	lookedAt time.Time // start of the last successful lookup of every service's target; zero: none yet
	wrote    map[string]time.Time
}

func newTargetStore() *targetStore {
	return &targetStore{targets: map[string]ScalableTarget{}, wrote: map[string]time.Time{}}
}

// lookedUp replaces the targets with a lookup's result (started at at), keeping what lanes learnt since.
func (s *targetStore) lookedUp(got map[string]ScalableTarget, at time.Time) (added []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]ScalableTarget, len(got))
	for name, t := range got {
		if _, was := s.targets[name]; !was {
			added = append(added, name)
		}
		next[name] = t
	}
	for name, w := range s.wrote {
		if !at.After(w) {
			if t, ok := s.targets[name]; ok {
				next[name] = t
			} else {
				delete(next, name)
			}
		}
	}
	s.targets, s.lookedAt = next, at
	return added
}

// set records a service's target as a lane read or moved it at now (ok false: it has none).
func (s *targetStore) set(name string, t ScalableTarget, ok bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.targets[name] = t
	} else {
		delete(s.targets, name)
	}
	s.wrote[name] = maxTime(s.wrote[name], now)
}

// get returns a service's target, whether it has one, and when every target was last looked up.
func (s *targetStore) get(name string) (ScalableTarget, bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.targets[name]
	return t, ok, s.lookedAt
}

// all returns a copy of the targets.
func (s *targetStore) all() map[string]ScalableTarget {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.targets)
}
