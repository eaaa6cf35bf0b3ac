package autoscaler

import (
	"maps"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

// Durable state lives in ECS service tags; package durable is its codec (the keys, their formats, the intents).

// Retagged returns s with the tag edit e made and its durable state decoded again: s as a read that came after e
// would show it. s itself is left alone.
func (s Service) Retagged(e durable.Edit) Service {
	s.Tags = maps.Clone(s.Tags)
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	e.ApplyTo(s.Tags)
	s.Durable, s.TagErrors = durable.Decode(s.Tags)
	return s
}
