package autoscaler

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The one tag-key scheme for fastscaler's durable state on ECS services, shared by the daemon and the CLI.
const (
	TagFloor        = "fastscaler:floor"          // pre-scale floor: a task count
	TagFloorUntil   = "fastscaler:floor-until"    // RFC 3339 end of the floor
	TagFloorReason  = "fastscaler:floor-reason"   // why (free text, sanitised)
	TagPaused       = "fastscaler:paused"         // "indefinite" or the RFC 3339 end of the pause
	TagPauseReason  = "fastscaler:pause-reason"   // why (free text, sanitised)
	TagLastScaleOut = "fastscaler:last-scale-out" // RFC 3339 time of the daemon's last scale-out
	TagLastScaleIn  = "fastscaler:last-scale-in"  // RFC 3339 time of its last scale-in step: paces a new leader
	TagLastAction   = "fastscaler:last-action"    // the daemon's last change, e.g. "up 4 to 16"
	TagLastReason   = "fastscaler:last-reason"    // its reason (sanitised)

	// PauseIndefinite is the TagPaused value of a pause without an end.
	PauseIndefinite = "indefinite"
)

// FloorTagKeys are the keys a floor is made of, for UntagResource.
var FloorTagKeys = []string{TagFloor, TagFloorUntil, TagFloorReason}

// PauseTagKeys are the keys a pause is made of, for UntagResource.
var PauseTagKeys = []string{TagPaused, TagPauseReason}

// Durable is the state fastscaler keeps in one service's tags.
type Durable struct {
	FloorCount   int
	FloorUntil   time.Time
	FloorReason  string
	Paused       bool      // a pause tag is present
	PauseUntil   time.Time // zero for an indefinite pause
	PauseReason  string
	LastScaleOut time.Time
	LastScaleIn  time.Time
	LastAction   string
	LastReason   string
}

// PausedAt reports whether the pause holds at now.
func (d Durable) PausedAt(now time.Time) bool {
	return d.Paused && (d.PauseUntil.IsZero() || now.Before(d.PauseUntil))
}

// ParseDurable reads fastscaler's tags. Malformed values are returned as errors naming the tag; the fields they
// would have set stay zero, and the caller decides how to stay safe.
func ParseDurable(tags map[string]string) (Durable, []error) {
	var d Durable
	var errs []error
	if v, ok := tags[TagFloor]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("tag %s=%q: want a task count", TagFloor, v))
		} else if until, err := parseTagTime(tags, TagFloorUntil); err != nil {
			errs = append(errs, err)
		} else if until.IsZero() {
			errs = append(errs, fmt.Errorf("tag %s is set but %s is missing", TagFloor, TagFloorUntil))
		} else {
			d.FloorCount, d.FloorUntil = n, until
		}
		d.FloorReason = tags[TagFloorReason]
	}
	if v, ok := tags[TagPaused]; ok {
		d.Paused = true
		d.PauseReason = tags[TagPauseReason]
		if strings.TrimSpace(v) != PauseIndefinite {
			until, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
			if err != nil {
				// An unreadable pause is still a pause: the safe reading is "paused indefinitely".
				errs = append(errs, fmt.Errorf("tag %s=%q: want %q or an RFC 3339 time; treating as paused", TagPaused, v, PauseIndefinite))
			} else {
				d.PauseUntil = until
			}
		}
	}
	if t, err := parseTagTime(tags, TagLastScaleOut); err != nil {
		errs = append(errs, err)
	} else {
		d.LastScaleOut = t
	}
	if t, err := parseTagTime(tags, TagLastScaleIn); err != nil {
		errs = append(errs, err)
	} else {
		d.LastScaleIn = t
	}
	d.LastAction = tags[TagLastAction]
	d.LastReason = tags[TagLastReason]
	return d, errs
}

func parseTagTime(tags map[string]string, key string) (time.Time, error) {
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

// FormatTagTime formats a time for a tag value: RFC 3339 in UTC, whole seconds.
func FormatTagTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// SanitizeTagValue makes free text a valid ECS tag value: characters ECS refuses become spaces, and the result is
// cut to 256 characters.
func SanitizeTagValue(s string) string {
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
