// Package lease is a leader lease in DynamoDB, so that two fastscaler tasks
// can run as leader and hot standby for one lease key (a router group such
// as "prod/router").
//
// It follows the DynamoDB lock client (awslabs dynamodb-lock-client,
// cirello.io/dynamolock): one item per key with the attributes AttrKey
// (partition key, S), AttrOwner, AttrRVN (a random record version number, new
// on every write), AttrDuration (ms) and AttrTTL (epoch seconds, only for
// DynamoDB TTL cleanup; set TTLGrace in the future on every write). The
// table is created by the operator: partition key "id" (S), on-demand
// billing, TTL enabled on AttrTTL; the task role needs dynamodb:GetItem,
// PutItem and UpdateItem on it.
//
// No absolute time is ever compared across tasks, so clock skew does not
// matter. A contender that finds the item held remembers its rvn and the
// local time it first saw it; only once that rvn has stayed unchanged for
// the item's full lease duration by the contender's own clock does it take
// over, conditional on rvn = observed. A released (owner "") or missing
// item is taken at once, conditional on attribute_not_exists(key) OR (owner
// = "" AND rvn = observed). The holder renews conditional on owner = me AND
// rvn = mine, and releases the same way. The holder's validity runs from
// its local time just before its last successful write for one lease
// duration: a takeover needs a full duration after a contender read that
// write, so the two never overlap as long as the clocks tick at the same
// rate (their offsets are irrelevant). A renewal that fails its condition
// ends leadership at once; one that fails otherwise leaves it until the
// local validity runs out (a write whose response was lost is read back and
// adopted on the next Tick). A paused process (SIGSTOP, a long GC) finds its
// validity over on resume, so Held is false before any write. Clocks must
// be monotonic: pass time.Now (or a test clock), and pass Held times from
// the same clock, not ones stripped by Round(0), UTC or In.
//
// Why not cirello.io/dynamolock/v5: the Go module proxy reachable here does
// not serve it (nor v1-v4: "403 This module version is not available"), so
// it cannot be taken; and its v2 API, read from the source, would not fit
// anyway: it reads time.Now and time.Since directly (no injectable clock,
// so the skew and pause cases cannot be tested without sleeping), acquires
// in a blocking sleep loop and heartbeats from its own goroutine instead of
// one step the daemon schedules, and offers a logger but no metrics hooks.
// The conditional PutItem/UpdateItem logic it wraps is about 200 lines here,
// with the same item layout idea and the same rvn rule.
//
// The daemon calls Tick on its own schedule (at least every renewEvery; it
// writes only when a renewal is due), acts only while Held(now, margin)
// holds for a margin that covers its longest action plus clock-rate drift,
// shows Status on /status, feeds Observe events to logs and metrics, and
// calls Release on shutdown.
package lease
