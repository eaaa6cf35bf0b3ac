package durable

import (
	"strconv"
	"strings"
)

// AASRecord is fastscaler's record of the MinCapacity it set on a service's Application Auto Scaling target.
type AASRecord struct {
	Present  bool // either tag is there, readable or not: a stale record is to be removed
	HasOwner bool // Owner was recorded and is readable
	Owner    int  // the owner's MinCapacity, before fastscaler raised it
	HasSet   bool // From and To were recorded and are readable
	From, To int  // the MinCapacity fastscaler set (From == To), or is moving from From to To
}

func decodeAAS(tags map[string]string) AASRecord {
	var a AASRecord
	owner, hasOwner := tags[keyAASOwnerMin]
	set, hasSet := tags[keyAASMinSet]
	a.Present = hasOwner || hasSet
	if n, err := strconv.Atoi(owner); hasOwner && err == nil && n >= 0 {
		a.Owner, a.HasOwner = n, true
	}
	if hasSet {
		a.From, a.To, a.HasSet = parseMinSet(set)
	}
	return a
}

// parseMinSet reads a keyAASMinSet value: "N" when fastscaler set MinCapacity to N, "P:N" while it moves it from
// P to N (a failure part-way leaves P in place).
func parseMinSet(v string) (from, to int, ok bool) {
	f, t, moving := strings.Cut(v, ":")
	from, err := strconv.Atoi(f)
	if err != nil {
		return 0, 0, false
	}
	if !moving {
		return from, from, true
	}
	to, err = strconv.Atoi(t)
	if err != nil {
		return 0, 0, false
	}
	return from, to, true
}

// edit is the Edit that writes a (readable) record as it is.
func (a AASRecord) edit() Edit {
	switch {
	case !a.HasSet && !a.HasOwner:
		return Edit{}
	case !a.HasSet:
		return setting(keyAASOwnerMin, strconv.Itoa(a.Owner))
	case a.From == a.To && a.HasOwner:
		return RecordAASRaise(a.Owner, a.To)
	case a.From == a.To:
		return RecordAASMin(a.To)
	case a.HasOwner:
		return RecordAASMove(a.Owner, a.From, a.To)
	}
	return setting(keyAASMinSet, strconv.Itoa(a.From)+":"+strconv.Itoa(a.To))
}

// OwnerMin returns the owner's MinCapacity as recorded, while minCapacity is one fastscaler set or was moving
// from; ok is false otherwise (nothing raised, or the owner changed MinCapacity since).
func (a AASRecord) OwnerMin(minCapacity int) (owner int, ok bool) {
	if a.HasOwner && a.HasSet && (minCapacity == a.To || minCapacity == a.From) {
		return a.Owner, true
	}
	return 0, false
}

// Unfinished returns the MinCapacity of a recorded raise that did not take effect (minCapacity is still at the
// move's start); 0 if there is none.
func (a AASRecord) Unfinished(minCapacity int) int {
	if !a.HasSet || minCapacity != a.From || a.To <= a.From {
		return 0
	}
	return a.To
}

// Stale reports whether the record no longer describes a target whose MinCapacity is minCapacity: the owner
// changed it, or it is back at the owner's minimum. Left in place, it would let a later MinCapacity be taken for
// fastscaler's.
func (a AASRecord) Stale(minCapacity int) bool {
	if !a.Present || a.Unfinished(minCapacity) > 0 {
		return false
	}
	owner, ok := a.OwnerMin(minCapacity)
	return !ok || owner == minCapacity
}
