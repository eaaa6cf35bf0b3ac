package sim

import (
	"testing"
	"time"
)

// TestLaunchBucketByHand: Fargate's documented bucket, 100 tokens refilled at 20 a second. 250 launches at once:
// the first 100 go at once, launch 100+k waits k/20 s, the 250th 7.5 s. Twenty seconds later the bucket is full
// again (−150 + 20 × 20, capped at 100): 100 more launch at once, the 101st waits 50 ms.
func TestLaunchBucketByHand(t *testing.T) {
	b := newLaunchBucket(100, 20)
	waits := make([]time.Duration, 250)
	for i := range waits {
		waits[i] = b.take(10 * time.Second)
	}
	if waits[99] != 0 || waits[100] != 50*time.Millisecond || waits[199] != 5*time.Second || waits[249] != 7500*time.Millisecond {
		t.Errorf("waits of launches 100, 101, 200, 250 = %v %v %v %v; want 0, 50ms, 5s, 7.5s", waits[99], waits[100], waits[199], waits[249])
	}
	if b.delayed != 150 || b.maxDelay != 7500*time.Millisecond {
		t.Errorf("delayed %d by up to %v, want 150 by up to 7.5s", b.delayed, b.maxDelay)
	}
	for i := range 100 {
		if w := b.take(30 * time.Second); w != 0 {
			t.Fatalf("launch %d at 30 s waited %v, want a full bucket", i+1, w)
		}
	}
	if w := b.take(30 * time.Second); w != 50*time.Millisecond {
		t.Errorf("launch 101 at 30 s waited %v, want 50ms", w)
	}
	if newLaunchBucket(100, 0) != nil || (*launchBucket)(nil).take(0) != 0 {
		t.Error("a rate of 0 is not 'no limit'")
	}
}

// TestLaunchLimitDelaysAScaleOut: a fleet of 1 scales to 251 at 10 s: 100 tasks run at 70 s (the start delay), the
// others one every 50 ms after, the last at 77.5 s.
func TestLaunchLimitDelaysAScaleOut(t *testing.T) {
	cfg := handConfig(t, "router:100")
	f := &fleet{name: "router", capacity: 100, weight: 1, router: true, cfg: &cfg, launch: newLaunchBucket(100, 20)}
	f.tasks = []task{{}}
	f.set(251, 10*time.Second)
	for _, c := range []struct {
		at      time.Duration
		running int
	}{{69 * time.Second, 1}, {70 * time.Second, 101}, {70*time.Second + 50*time.Millisecond, 102}, {75 * time.Second, 201},
		{77499 * time.Millisecond, 250}, {77500 * time.Millisecond, 251}} {
		if r, _ := f.counts(c.at); r != c.running {
			t.Errorf("running at %v: %d, want %d", c.at, r, c.running)
		}
	}
}

// TestLaunchLimitIsSharedAndReported: a pre-scale floor raises two services from 1 task to 100 (their maximum) in
// the same second; they share one bucket, so 98 of the 198 launches wait, the last 98/20 = 4.9 s. Without the
// limit nothing waits.
func TestLaunchLimitIsSharedAndReported(t *testing.T) {
	cfg := handConfig(t, "router:100,api:100", PolicyTargetTracking)
	cfg.LaunchBurst, cfg.LaunchRate = 100, 20
	tr := steps(300, 0, 50, 50)
	tr.Floors = []Floor{{Service: "router", Count: 100, From: time.Minute, Until: 4 * time.Minute},
		{Service: "api", Count: 100, From: time.Minute, Until: 4 * time.Minute}}
	r := runHand(t, cfg, tr)[PolicyTargetTracking]
	for i, name := range r.Services {
		if r.Tasks[i][59] != 1 || r.Tasks[i][60] != 100 {
			t.Fatalf("%s: tasks at 59/60 s = %d/%d, want 1 then 100", name, r.Tasks[i][59], r.Tasks[i][60])
		}
	}
	if r.Launch.Delayed != 98 || r.Launch.MaxDelay != 4900*time.Millisecond {
		t.Errorf("launch stats %+v; want 98 delayed by up to 4.9s", r.Launch)
	}
	if r.Summary.LaunchesDelayed != 98 || r.Summary.MaxLaunchDelaySecs != 4.9 {
		t.Errorf("summary %+v does not report %+v", r.Summary, r.Launch)
	}
	cfg.LaunchRate = 0
	if r := runHand(t, cfg, tr)[PolicyTargetTracking]; r.Launch.Delayed != 0 {
		t.Errorf("no limit, yet %+v", r.Launch)
	}
}

// TestLaunchLimitDoesNotBindInTheScenarios: the embedded scenarios scale by tens of tasks, far from Fargate's
// 100-task burst, so the limit leaves their figures as they were before it was modelled.
func TestLaunchLimitDoesNotBindInTheScenarios(t *testing.T) {
	for _, name := range ScenarioNames() {
		tr, _ := Scenario(name, DefaultSeed)
		results, err := Run(exampleConfig(t), tr)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			// evening's second broadcast end asks fastscaler for a burst just over the bucket: a few launches wait
			// a fraction of a second.
			if r.Launch.Delayed != 0 && (name != "evening" || r.Launch.MaxDelay > time.Second) {
				t.Errorf("%s, %s: %d launches delayed by up to %v", name, r.Summary.Policy, r.Launch.Delayed, r.Launch.MaxDelay)
			}
		}
	}
}
