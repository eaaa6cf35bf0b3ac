package durable

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The tag keys, one per piece of durable state. They are a wire format: never rename one.
const (
	keyFloor        = "fastscaler:floor"          // pre-scale floor: a task count
	keyFloorUntil   = "fastscaler:floor-until"    // RFC 3339 end of the floor
	keyFloorReason  = "fastscaler:floor-reason"   // why (free text, sanitised)
	keyPaused       = "fastscaler:paused"         // "indefinite" or the RFC 3339 end of the pause
	keyPauseReason  = "fastscaler:pause-reason"   // why (free text, sanitised)
	keyLastScaleOut = "fastscaler:last-scale-out" // RFC 3339 time of the daemon's last scale-out
	keyLastScaleIn  = "fastscaler:last-scale-in"  // RFC 3339 time of its last scale-in step: paces a new leader
	keyLastAction   = "fastscaler:last-action"    // the daemon's last change, e.g. "up 4 to 16 at 2026-..."
	keyLastReason   = "fastscaler:last-reason"    // its reason (sanitised)
	// keyAASOwnerMin is the scalable target's MinCapacity as its owner configured it, before fastscaler raised it.
	keyAASOwnerMin = "fastscaler:aas-owner-min"
	// keyAASMinSet is the MinCapacity fastscaler last set ("N"), or the move it is making ("from:to"); a
	// different MinCapacity means the owner changed it.
	keyAASMinSet = "fastscaler:aas-min-set"

	// pauseIndefinite is the keyPaused value of a pause without an end.
	pauseIndefinite = "indefinite"
)

var (
	floorKeys = []string{keyFloor, keyFloorUntil, keyFloorReason}
	pauseKeys = []string{keyPaused, keyPauseReason}
	aasKeys   = []string{keyAASOwnerMin, keyAASMinSet}
)

// State is the durable state fastscaler keeps in one service's tags.
type State struct {
	FloorCount      int
	FloorUntil      time.Time // zero: no (readable) floor
	FloorReason     string
	FloorUnreadable bool      // floor tags are present but malformed (see Decode's errors)
	Paused          bool      // a pause tag is present
	PauseUntil      time.Time // zero for an indefinite pause
	PauseReason     string
	LastScaleOut    time.Time
	LastScaleIn     time.Time
	LastAction      string
	LastReason      string
	AAS             AASRecord
}

// PausedAt reports whether the pause holds at now.
func (d State) PausedAt(now time.Time) bool {
	return d.Paused && (d.PauseUntil.IsZero() || now.Before(d.PauseUntil))
}

// FloorAt returns the floor in force at now, if any: readable, and not ended.
func (d State) FloorAt(now time.Time) (Floor, bool) {
	if d.FloorUnreadable || d.FloorUntil.IsZero() || !now.Before(d.FloorUntil) {
		return Floor{}, false
	}
	return Floor{Count: d.FloorCount, Until: d.FloorUntil, Reason: d.FloorReason}, true
}

// Floor is a pre-scale floor: at least Count tasks until Until.
type Floor struct {
	Count  int
	Until  time.Time
	Reason string
}

// Covers reports whether f keeps at least what old keeps: a count as high and an end as late. A floor that does
// not cover the one in force would lower or shorten it.
func (f Floor) Covers(old Floor) bool {
	return f.Count >= old.Count && !stamp(f.Until).Before(stamp(old.Until))
}

// Decode reads fastscaler's tags. Malformed values are returned as errors naming the tag; the fields they would
// have set stay zero, and the caller decides how to stay safe. Unreadable AAS records are not errors: they match
// no MinCapacity, so MinCapacity is taken for the owner's.
func Decode(tags map[string]string) (State, []error) {
	var d State
	var errs []error
	if v, ok := tags[keyFloor]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("tag %s=%q: want a task count", keyFloor, v))
			d.FloorUnreadable = true
		} else if until, err := parseTime(tags, keyFloorUntil); err != nil {
			errs = append(errs, err)
			d.FloorUnreadable = true
		} else if until.IsZero() {
			errs = append(errs, fmt.Errorf("tag %s is set but %s is missing", keyFloor, keyFloorUntil))
			d.FloorUnreadable = true
		} else {
			d.FloorCount, d.FloorUntil = n, until
		}
		d.FloorReason = tags[keyFloorReason]
	}
	if v, ok := tags[keyPaused]; ok {
		d.Paused = true
		d.PauseReason = tags[keyPauseReason]
		if strings.TrimSpace(v) != pauseIndefinite {
			until, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
			if err != nil {
				// An unreadable pause is still a pause: the safe reading is "paused indefinitely".
				errs = append(errs, fmt.Errorf("tag %s=%q: want %q or an RFC 3339 time; treating as paused", keyPaused, v, pauseIndefinite))
			} else {
				d.PauseUntil = until
			}
		}
	}
	if t, err := parseTime(tags, keyLastScaleOut); err != nil {
		errs = append(errs, err)
	} else {
		d.LastScaleOut = t
	}
	if t, err := parseTime(tags, keyLastScaleIn); err != nil {
		errs = append(errs, err)
	} else {
		d.LastScaleIn = t
	}
	d.LastAction = tags[keyLastAction]
	d.LastReason = tags[keyLastReason]
	d.AAS = decodeAAS(tags)
	return d, errs
}

// Encode returns the tags that hold d, as the daemon and the CLI write them: Decode(Encode(d)) is d for any d
// Decode returns without errors, and Encode(Decode(tags)) is tags for any tags fastscaler wrote.
func Encode(d State) map[string]string {
	tags := map[string]string{}
	if !d.FloorUntil.IsZero() {
		SetFloor(d.FloorCount, d.FloorUntil, d.FloorReason).ApplyTo(tags)
	}
	if d.Paused {
		Pause(d.PauseUntil, d.PauseReason).ApplyTo(tags)
	}
	if !d.LastScaleOut.IsZero() {
		tags[keyLastScaleOut] = formatTime(d.LastScaleOut)
	}
	if !d.LastScaleIn.IsZero() {
		tags[keyLastScaleIn] = formatTime(d.LastScaleIn)
	}
	if d.LastAction != "" {
		tags[keyLastAction], tags[keyLastReason] = sanitize(d.LastAction), sanitize(d.LastReason)
	}
	d.AAS.edit().ApplyTo(tags)
	return tags
}

func parseTime(tags map[string]string, key string) (time.Time, error) {
	v, ok := tags[key]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("tag %s=%q: want an RFC 3339 time", key, v)
	}
	return t, nil
}
