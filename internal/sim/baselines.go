package sim

import (
	"math"
	"time"

	"github.com/fastscaler/fastscaler/internal/tracking"
)

// The AWS baselines read CloudWatch's ECS CPUUtilization: one datapoint per minute per service (the average over
// the minute), usable MetricDelay after the minute ends.
//
// Sources:
//   - Target tracking: https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
//     and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html:
//     Application Auto Scaling creates a high alarm (3 of 3 one-minute datapoints above the target) and a low
//     alarm (15 of 15 datapoints below 90% of the target); ECS's default cooldowns are 300 s for both directions;
//     "while the scale-out cooldown is in effect, the capacity added by the initiating scale-out activity is
//     calculated as part of the desired capacity for the next scale-out".
//   - Step scaling: https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html,
//     with the documented example's steps (+10%, +20%, +30% for 0–10, 10–20 and 20+ points above the threshold)
//     on a 1-of-1 one-minute alarm at the CPU target, a 60 s cooldown, and a scale-in alarm of 15 datapoints below
//     40% removing 10% (at least one task) with a 300 s cooldown.
//   - Target tracking on high-resolution CPU (target-tracking-hr), available since June 2026:
//     https://docs.aws.amazon.com/AmazonECS/latest/developerguide/target-tracking-faster-auto-scaling.html
//     ("By default, Amazon ECS publishes CPUUtilization and MemoryUtilization metrics at 60-second resolution. You
//     can configure 20-second resolution"; predefined metric ECSServiceAverageCPUUtilizationHighResolution, "Average
//     CPU utilization at 20-second resolution"), https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
//     ("uses 20-second CloudWatch metrics. Use this metric for target tracking scaling policies that evaluate
//     metrics every 20 seconds"), and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_MetricConfiguration.html
//     (resolutionSeconds 20 or 60). The service publishes one CPU datapoint per 20 s, the average over those 20 s,
//     and the alarms evaluate every 20 s. AWS's benchmark (https://aws.amazon.com/blogs/aws/amazon-ecs-introduces-new-high-resolution-metrics-for-faster-service-auto-scaling/,
//     June 2026): the scale-out is triggered after 86 s instead of 363 s.
//     The documentation is silent on the alarms' datapoint counts and on the metric's delay; assumed here: the same
//     alarm shapes as the one-minute policy, 3 of 3 datapoints above the target and 15 of 15 below 90% of it, now
//     20 s each (so 60 s of breach to scale out, 5 minutes to scale in), the same 300 s cooldowns and cooldown rule,
//     and a datapoint usable one period (HRMetricDelay, 20 s) after it ends: a step of load then triggers the
//     scale-out 80 to 100 s after it starts, which brackets AWS's 86 s.
const (
	aasCooldown      = tracking.DefaultCooldown
	ttOutDatapoints  = 3
	ttInDatapoints   = 15
	stepCooldown     = 60 * time.Second
	stepInThreshold  = 40.0
	stepInDatapoints = 15
	stepInAdjustment = 0.10
	minuteSeconds    = 60
	hrPeriod         = 20 * time.Second // the high-resolution metric's period
	hrOutDatapoints  = 3                // assumed: as the one-minute alarm (see above)
	hrInDatapoints   = 15               // assumed: likewise
	neverDuration    = time.Duration(math.MinInt64 / 2)
)

// aasState is one service's Application Auto Scaling state.
type aasState struct {
	lastOut, lastIn time.Duration
	outBase         int // desired count when the current scale-out cooldown began
}

func newAAS() *aasState { return &aasState{lastOut: neverDuration, lastIn: neverDuration} }

// datapoints returns the latest n usable one-minute CPU datapoints of a service at now, oldest first, or nil if
// fewer exist.
func (w *world) datapoints(name string, now time.Duration, n int) []float64 {
	return w.datapointsOf(name, now, n, time.Minute, w.cfg.MetricDelay)
}

// datapointsOf returns the latest n usable CPU datapoints of a service at now, each the average over one period
// (a whole number of seconds) and usable delay after its period ends, oldest first, or nil if fewer exist.
func (w *world) datapointsOf(name string, now time.Duration, n int, period, delay time.Duration) []float64 {
	secs := int(period / time.Second)
	usable := int((now-delay)/time.Second) / secs // complete periods whose datapoint is out
	if usable < n {
		return nil
	}
	cpu := w.cpu[name]
	out := make([]float64, 0, n)
	for m := usable - n; m < usable; m++ {
		sum := 0.0
		for _, v := range cpu[m*secs : (m+1)*secs] {
			sum += v
		}
		out = append(out, sum/float64(secs))
	}
	return out
}

func allAbove(ds []float64, v float64) bool {
	for _, d := range ds {
		if !(d > v) {
			return false
		}
	}
	return len(ds) > 0
}

func allBelow(ds []float64, v float64) bool {
	for _, d := range ds {
		if !(d < v) {
			return false
		}
	}
	return len(ds) > 0
}

// targetTracking models an Application Auto Scaling target tracking policy on ECS average CPU, at one-minute or
// (hr) 20-second resolution: the alarms here, their response in internal/tracking, which the AAS fake runs too.
type targetTracking struct {
	svc     map[string]*tracking.State
	period  time.Duration // of the metric; the alarms evaluate once a period
	outN    int           // datapoints of the high alarm
	inN     int           // datapoints of the low alarm
	hr      bool          // high resolution: the datapoints are usable HRMetricDelay after their period
	periodS int
}

func newTargetTracking(hr bool) *targetTracking {
	if hr {
		return &targetTracking{svc: map[string]*tracking.State{}, period: hrPeriod, outN: hrOutDatapoints, inN: hrInDatapoints, hr: true,
			periodS: int(hrPeriod / time.Second)}
	}
	return &targetTracking{svc: map[string]*tracking.State{}, period: time.Minute, outN: ttOutDatapoints, inN: ttInDatapoints,
		periodS: minuteSeconds}
}

func (p *targetTracking) init(*world) {}

// simEpoch is the wall-clock time of the simulation's start, for the model's cooldowns.
var simEpoch = time.Unix(0, 0).UTC()

func (p *targetTracking) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	if (sec+1)%p.periodS != 0 {
		return // alarms evaluate once a period
	}
	delay := w.cfg.MetricDelay
	if p.hr {
		delay = w.cfg.HRMetricDelay
	}
	pol := tracking.Policy{Target: w.cfg.TargetCPU, ScaleOutCooldown: aasCooldown, ScaleInCooldown: aasCooldown}
	for _, name := range w.names {
		st := p.svc[name]
		if st == nil {
			st = &tracking.State{}
			p.svc[name] = st
		}
		ds := w.datapointsOf(name, now, p.outN, p.period, delay)
		if !allAbove(ds, pol.Target) {
			if ds = w.datapointsOf(name, now, p.inN, p.period, delay); !allBelow(ds, tracking.ScaleInFraction*pol.Target) {
				continue // neither alarm fires
			}
		}
		lo, hi := w.bounds(name, now)
		cur := w.fleets[name].desired()
		if next, state := tracking.Evaluate(pol, tracking.Target{Min: lo, Max: hi}, *st, cur, ds[len(ds)-1], simEpoch.Add(now)); next != cur {
			*st = state
			w.setClamped(name, next, now)
		}
	}
}

// bounds is the range setClamped keeps a service's desired count in at now: its minimum (raised by an active
// floor) and maximum, as AAS's MinCapacity and MaxCapacity.
func (w *world) bounds(name string, now time.Duration) (lo, hi int) {
	lo, hi = w.cfg.Scaler.MinMax(name)
	if fl, _ := w.floorAt(name, now); fl > lo {
		lo = min(fl, hi)
	}
	return lo, hi
}

// stepScaling models an Application Auto Scaling step scaling policy on a one-minute CPU alarm.
type stepScaling struct{ svc map[string]*aasState }

// stepOutAdjustments are the step scaling policy's steps, as its StepAdjustments: the first whose lower bound (CPU
// points above the threshold) the breach reaches adds its fraction of the desired count, at least one task.
var stepOutAdjustments = []struct{ above, pct float64 }{{20, 0.30}, {10, 0.20}, {0, 0.10}}

func (p *stepScaling) init(*world) {}

func (p *stepScaling) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	if (sec+1)%minuteSeconds != 0 {
		return
	}
	threshold := w.cfg.TargetCPU
	for _, name := range w.names {
		st := p.svc[name]
		if st == nil {
			st = newAAS()
			p.svc[name] = st
		}
		f := w.fleets[name]
		cur := f.desired()
		if ds := w.datapoints(name, now, 1); allAbove(ds, threshold) {
			if now-st.lastOut < stepCooldown {
				continue
			}
			over, pct := ds[0]-threshold, 0.0
			for _, a := range stepOutAdjustments {
				if over >= a.above {
					pct = a.pct
					break
				}
			}
			st.lastOut = now
			w.setClamped(name, cur+max(1, int(math.Ceil(float64(cur)*pct))), now)
			continue
		}
		if ds := w.datapoints(name, now, stepInDatapoints); allBelow(ds, stepInThreshold) &&
			now-st.lastIn >= aasCooldown && now-st.lastOut >= aasCooldown {
			st.lastIn = now
			w.setClamped(name, cur-max(1, int(math.Floor(float64(cur)*stepInAdjustment))), now)
		}
	}
}

// pahud models aws-samples/aws-fargate-fast-autoscaler (src/autoscaler.ts, sam/fargateWatcherFunc/func.d/main.sh):
// a Step Functions loop every 3 s lists the tasks, reads "Active connections" (idle keep-alives included) from the
// first 3 tasks' /nginx_status, averages them, and maps the average to hard-coded absolute desired counts
// (≥500 → 20, ≥300 → 15, ≥100 → 10, ≥50 → 2); after any of those it waits 60 s. With its default
// disable_scalein=yes a desired count at or below the current one is ignored, so it only scales out. It scales one
// service; here one instance runs per scaled service, all reading the routers' connections, which is the most
// favourable reading for it in this architecture.
type pahud struct{ next time.Duration }

// pahudSteps is pahud's mapping, highest first: an average of at least conns active connections sets desired.
var pahudSteps = []struct{ conns, desired int }{{500, 20}, {300, 15}, {100, 10}, {50, 2}}

func (p *pahud) init(*world) {}

func (p *pahud) step(w *world, sec int) {
	now := time.Duration(sec+1) * time.Second
	if now < p.next {
		return
	}
	p.next = now + 3*time.Second
	total, sampled := 0, 0
	for _, t := range w.router.tasks {
		if sampled == 3 {
			break
		}
		if t.runningAt > now {
			continue
		}
		rps := 0.0
		if t.readyAt <= now {
			rps = w.routerRPS
		}
		total += int(rps*inFlightSecsPerRequest) + int(rps*idleConnsPerRPS) + 1
		sampled++
	}
	if sampled == 0 {
		return
	}
	avg, desired := total/sampled, 0
	for _, s := range pahudSteps {
		if avg >= s.conns {
			desired = s.desired
			break
		}
	}
	if desired == 0 {
		return
	}
	for _, name := range w.names {
		if desired > w.fleets[name].desired() {
			w.setClamped(name, desired, now)
		}
	}
	p.next = now + 60*time.Second
}
