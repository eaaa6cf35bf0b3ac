package lease

import (
	"context"
	"errors"
	"time"
)

// Attribute names of a lease item; AttrKey is the table's partition key (type S).
const (
	AttrKey      = "id"
	AttrOwner    = "owner"
	AttrRVN      = "rvn"
	AttrDuration = "duration_ms"
	// AttrTTL holds epoch seconds for DynamoDB TTL cleanup; enable TTL on it.
	AttrTTL = "expires_at"
)

// TTLGrace is how far past a write's wall-clock time its item's TTL lies.
const TTLGrace = 24 * time.Hour

// ErrConflict reports that a write's condition did not hold.
var ErrConflict = errors.New("lease: condition failed")

// Item is one lease record.
type Item struct {
	Key      string        // lease key, e.g. "prod/router"
	Owner    string        // holder; "" when released
	RVN      string        // record version number, new on every write
	Duration time.Duration // lease duration the writer promised to renew within
	TTL      time.Time     // wall-clock time after which DynamoDB may delete the item
}

// CondKind selects the condition a write requires.
type CondKind int

// Write conditions.
const (
	// CondFree: the item is missing, or it is released (owner "") with rvn RVN.
	CondFree CondKind = iota + 1
	// CondRVN: the item exists with rvn RVN (takeover of a stale lease).
	CondRVN
	// CondOwner: the item exists with owner Owner and rvn RVN (renew, release).
	CondOwner
)

// Condition is the precondition of a conditional write.
type Condition struct {
	Kind  CondKind
	Owner string // for CondOwner
	RVN   string // the rvn the writer observed or wrote last
}

// Table stores lease items; writes return ErrConflict when their condition fails.
type Table interface {
	// Get reads an item with a strongly consistent read; ok is false if it is missing.
	Get(ctx context.Context, key string) (item Item, ok bool, err error)
	// Put replaces (or creates) the whole item if cond holds.
	Put(ctx context.Context, item Item, cond Condition) error
	// Update sets owner, rvn, duration and TTL of item.Key if cond holds.
	Update(ctx context.Context, item Item, cond Condition) error
}

// holds reports whether cond holds for the stored item (ok false: missing).
func (c Condition) holds(cur Item, ok bool) bool {
	switch c.Kind {
	case CondFree:
		return !ok || (cur.Owner == "" && cur.RVN == c.RVN)
	case CondRVN:
		return ok && cur.RVN == c.RVN
	case CondOwner:
		return ok && cur.Owner == c.Owner && cur.RVN == c.RVN
	}
	return false
}
