package sim

import (
	"math"
	"time"
)

// launchBucket is Fargate's task launch rate limit, shared by every service of one world (one AWS account in one
// Region).
//
// Source: "AWS Fargate throttling quotas", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html:
// Fargate limits Amazon ECS task (and EKS pod) launches "using a token bucket algorithm for each AWS account on a
// per-Region basis"; the bucket holds 100 tokens (the burst rate) and refills at 20 tokens a second (the sustained
// rate), for On-Demand and for Spot tasks alike; each task launched takes one token. (The RunTask API's own limit of
// 20 calls a second, up to 10 tasks each, does not apply: services launch through the service scheduler.)
//
// Modelled as a reservation: a launch that finds the bucket empty is not refused but waits for its token, in
// order, as the ECS service scheduler keeps retrying throttled launches until the desired count runs. A task
// stopped by a scale-in before its delayed launch keeps its token (ECS had already asked for it).
type launchBucket struct {
	burst, rate float64
	tokens      float64       // may go negative: launches waiting for tokens
	at          time.Duration // when tokens was last brought up to date
	delayed     int           // launches that waited
	maxDelay    time.Duration // the longest wait
}

// newLaunchBucket returns a full bucket, or nil (no limit) when rate is 0.
func newLaunchBucket(burst, rate float64) *launchBucket {
	if !(rate > 0) {
		return nil
	}
	return &launchBucket{burst: burst, rate: rate, tokens: burst}
}

// take reserves one launch at now and returns how long it waits for its token (0 when the bucket has one).
func (b *launchBucket) take(now time.Duration) time.Duration {
	if b == nil {
		return 0
	}
	if now > b.at {
		b.tokens = min(b.burst, b.tokens+b.rate*(now-b.at).Seconds())
		b.at = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	wait := time.Duration(math.Ceil(-b.tokens / b.rate * float64(time.Second)))
	b.delayed++
	b.maxDelay = max(b.maxDelay, wait)
	return wait
}

// LaunchStats says how much Fargate's launch rate limit delayed a policy's task launches.
type LaunchStats struct {
	Delayed  int           // task launches that waited for a token
	MaxDelay time.Duration // the longest wait
}
