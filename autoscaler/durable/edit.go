package durable

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/policy"
)

// Tagger writes and removes tags on a service, by ARN; autoscaler.Cloud and *autoscaler.ECS satisfy it.
type Tagger interface {
	Tag(ctx context.Context, arn string, tags map[string]string) error
	Untag(ctx context.Context, arn string, keys []string) error
}

// Edit is a change to a service's tags: keys to set, then keys to remove. The zero Edit changes nothing. Edits are
// values: their methods never change the receiver.
type Edit struct {
	set    map[string]string
	remove []string
}

// Empty reports whether e changes nothing.
func (e Edit) Empty() bool { return len(e.set) == 0 && len(e.remove) == 0 }

// Len is the number of keys e sets or removes.
func (e Edit) Len() int { return len(e.set) + len(e.remove) }

// String lists the keys e sets and removes, for logs and errors.
func (e Edit) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(e.set)) {
		parts = append(parts, k+"="+e.set[k])
	}
	for _, k := range e.remove {
		parts = append(parts, "-"+k)
	}
	return strings.Join(parts, " ")
}

// Then returns e followed by next: where both touch a key, next wins.
func (e Edit) Then(next Edit) Edit {
	out := Edit{set: maps.Clone(e.set)}
	for _, k := range e.remove {
		if _, ok := next.set[k]; !ok {
			out.remove = append(out.remove, k)
		}
	}
	for _, k := range next.remove {
		delete(out.set, k)
		if !slices.Contains(out.remove, k) {
			out.remove = append(out.remove, k)
		}
	}
	for k, v := range next.set {
		if out.set == nil {
			out.set = map[string]string{}
		}
		out.set[k] = v
	}
	return out
}

// Done returns what is left of e once sent was written: what sent set or removed the same way is dropped; what
// changed in e since sent was taken from it stays.
func (e Edit) Done(sent Edit) Edit {
	out := Edit{}
	for k, v := range e.set {
		if w, ok := sent.set[k]; !ok || w != v {
			if out.set == nil {
				out.set = map[string]string{}
			}
			out.set[k] = v
		}
	}
	for _, k := range e.remove {
		if !slices.Contains(sent.remove, k) {
			out.remove = append(out.remove, k)
		}
	}
	return out
}

// WithoutAAS returns e without its part about the AAS record (a newer record supersedes it).
func (e Edit) WithoutAAS() Edit {
	out := Edit{set: maps.Clone(e.set)}
	for _, k := range aasKeys {
		delete(out.set, k)
	}
	for _, k := range e.remove {
		if !slices.Contains(aasKeys, k) {
			out.remove = append(out.remove, k)
		}
	}
	return out
}

// ApplyTo makes e on an in-memory copy of a service's tags (a non-nil map).
func (e Edit) ApplyTo(tags map[string]string) {
	maps.Copy(tags, e.set)
	for _, k := range e.remove {
		delete(tags, k)
	}
}

// Apply makes e on the service arn: TagResource for the keys it sets, then UntagResource for those it removes.
func (e Edit) Apply(ctx context.Context, tg Tagger, arn string) error {
	if len(e.set) > 0 {
		if err := tg.Tag(ctx, arn, maps.Clone(e.set)); err != nil {
			return err
		}
	}
	if len(e.remove) > 0 {
		if err := tg.Untag(ctx, arn, slices.Clone(e.remove)); err != nil {
			return err
		}
	}
	return nil
}

func setting(kv ...string) Edit {
	e := Edit{set: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.set[kv[i]] = kv[i+1]
	}
	return e
}

func removing(keys []string) Edit { return Edit{remove: slices.Clone(keys)} }

// SetFloor records a pre-scale floor of count tasks until until, replacing any floor.
func SetFloor(count int, until time.Time, reason string) Edit {
	return setting(keyFloor, strconv.Itoa(count), keyFloorUntil, formatTime(until), keyFloorReason, sanitize(reason))
}

// EndFloor ends a floor at now rather than removing it: the daemon counts its scale-in cooldown from the end.
func EndFloor(now time.Time, reason string) Edit {
	return setting(keyFloorUntil, formatTime(now), keyFloorReason, sanitize("cancelled: "+reason))
}

// RemoveFloor removes a floor's tags altogether: for floor tags too malformed to be ended by a date.
func RemoveFloor() Edit { return removing(floorKeys) }

// Pause stops the daemon's changes until until (zero: until Resume).
func Pause(until time.Time, reason string) Edit {
	value := pauseIndefinite
	if !until.IsZero() {
		value = formatTime(until)
	}
	return setting(keyPaused, value, keyPauseReason, sanitize(reason))
}

// Resume ends a pause at now and restarts the scale-in cooldown from now, so that counts set by hand during the
// pause are not cut at once (the cooldown counts from the last scale-out).
func Resume(now time.Time) Edit {
	return setting(keyLastScaleOut, formatTime(now)).Then(removing(pauseKeys))
}

// RecordChange records a change the daemon made at now: its last action and reason, and for a scale-out or a
// scale-in step its time (the cooldown and the scale-in pace count from them).
func RecordChange(dir policy.Direction, from, to int, reason string, now time.Time) Edit {
	e := setting(keyLastAction, sanitize(fmt.Sprintf("%s %d to %d at %s", dir, from, to, formatTime(now))),
		keyLastReason, sanitize(reason))
	switch dir {
	case policy.Up:
		e.set[keyLastScaleOut] = formatTime(now)
	case policy.Down:
		e.set[keyLastScaleIn] = formatTime(now)
	}
	return e
}

// RecordAASMove records, before fastscaler moves a scalable target's MinCapacity from from to to, the owner's
// MinCapacity and the move, so that a restart finds them even if the move then fails.
func RecordAASMove(owner, from, to int) Edit {
	return setting(keyAASOwnerMin, strconv.Itoa(owner), keyAASMinSet, fmt.Sprintf("%d:%d", from, to))
}

// RecordAASMin records the MinCapacity fastscaler set, once its move is done: an owner who later sets the old one
// is not taken for fastscaler.
func RecordAASMin(set int) Edit { return setting(keyAASMinSet, strconv.Itoa(set)) }

// RecordAASRaise records a MinCapacity raise already made (set), with the owner's MinCapacity: for a raise whose
// recording tags could not be written in time.
func RecordAASRaise(owner, set int) Edit {
	return setting(keyAASOwnerMin, strconv.Itoa(owner), keyAASMinSet, strconv.Itoa(set))
}

// ForgetAAS removes the AAS record: MinCapacity is back in its owner's hands.
func ForgetAAS() Edit { return removing(aasKeys) }

// formatTime formats a time for a tag value: RFC 3339 in UTC, whole seconds.
func formatTime(t time.Time) string { return stamp(t).Format(time.RFC3339) }

// stamp is t as a tag holds it: UTC, whole seconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// sanitize makes free text a valid ECS tag value: characters ECS refuses become spaces, and the result is cut to
// 256 characters.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(" _.:/=+-@", c) >= 0
		if !ok {
			b[i] = ' '
		}
	}
	out := strings.Join(strings.Fields(string(b)), " ")
	if len(out) > 256 {
		out = strings.TrimSpace(out[:256])
	}
	return out
}
