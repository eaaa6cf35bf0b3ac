package sim

import (
	"testing"
	"time"
)

// TestTargetTrackingHRByHand: the trace of TestTargetTrackingByHand (70 rps on one task, then 200 rps from 60 s:
// CPU pins at 100%) on 20-second datapoints usable 20 s after their period. The periods 60–80, 80–100 and 100–120 s
// are above the target; the last is usable at 140 s, when the alarm, evaluated every 20 s, asks for
// ceil(1 × 100/70) = 2 tasks: 80 s after the step (the one-minute policy: 240 s). The task serves at 200 s; until
// then 200 − 142.86 rps go unserved for 140 s.
func TestTargetTrackingHRByHand(t *testing.T) {
	cfg := handConfig(t, "router:100", PolicyTargetTrackHR)
	cfg.HRMetricDelay = 20 * time.Second
	r := runHand(t, cfg, steps(600, 60, 70, 200))[PolicyTargetTrackHR]
	s := r.Summary
	if r.Tasks[0][139] != 1 || r.Tasks[0][140] != 2 || r.Ready[0][199] != 1 || r.Ready[0][200] != 2 {
		t.Errorf("tasks at 139/140 s: %d/%d, ready at 199/200 s: %d/%d; want the scale-out at 140 s serving at 200 s",
			r.Tasks[0][139], r.Tasks[0][140], r.Ready[0][199], r.Ready[0][200])
	}
	if s.SecondsWith503 != 140 || !near(s.Unserved, 140*(200-100/0.7)) {
		t.Errorf("summary %+v; want 140 s of 503s, %.1f unserved", s, 140*(200-100/0.7))
	}
	if s.FirstScaleOutSecs == nil || *s.FirstScaleOutSecs != 80 {
		t.Errorf("first scale-out %v s after the overload at 60 s, want 80", s.FirstScaleOutSecs)
	}
	// The cooldown rule is the one-minute policy's: while it lasts (300 s), the alarm still above the target at
	// 160 and 180 s sizes from the count the cooldown began with (1), so it adds nothing more.
	if s.ScalingActions != 1 {
		t.Errorf("%d actions, want 1", s.ScalingActions)
	}
}

// TestTargetTrackingHRScalesInAfter15Datapoints: 200 rps on 2 tasks (70% CPU) for a minute, then 50 rps (17.5%).
// The 15 periods from 60 s to 360 s are below 90% of the target; the last is usable at 380 s, when the low alarm
// asks for ceil(2 × 17.5/70) = 1 task. The one-minute policy waits for 15 minutes of datapoints: 17:00.
func TestTargetTrackingHRScalesInAfter15Datapoints(t *testing.T) {
	cfg := handConfig(t, "router:100", PolicyTargetTrackHR, PolicyTargetTracking)
	cfg.HRMetricDelay = 20 * time.Second
	res := runHand(t, cfg, steps(1200, 60, 200, 50))
	hr, tt := res[PolicyTargetTrackHR], res[PolicyTargetTracking]
	if hr.Tasks[0][0] != 2 || hr.Tasks[0][379] != 2 || hr.Tasks[0][380] != 1 {
		t.Errorf("hr tasks at 0/379/380 s: %d/%d/%d, want 2, 2, then 1 at 380 s", hr.Tasks[0][0], hr.Tasks[0][379], hr.Tasks[0][380])
	}
	if tt.Tasks[0][1019] != 2 || tt.Tasks[0][1020] != 1 {
		t.Errorf("one-minute tasks at 1019/1020 s: %d/%d, want the scale-in at 17:00", tt.Tasks[0][1019], tt.Tasks[0][1020])
	}
}

// TestHRDatapointsAverageTwentySeconds checks the datapoints themselves: each averages its own 20 seconds.
func TestHRDatapointsAverageTwentySeconds(t *testing.T) {
	cfg := handConfig(t, "router:100")
	tr := steps(120, 0, 0, 0)
	w := newWorld(&cfg, &tr, 1)
	for s := range 120 {
		w.cpu["router"] = append(w.cpu["router"], float64(s/20*10)) // 0 for 0–19 s, 10 for 20–39 s, ...
	}
	if ds := w.datapointsOf("router", 80*time.Second, 3, hrPeriod, 20*time.Second); len(ds) != 3 || ds[0] != 0 || ds[1] != 10 || ds[2] != 20 {
		t.Errorf("datapoints at 80 s = %v, want [0 10 20] (periods 0–60 s; 60–80 s is not usable until 100 s)", ds)
	}
	if ds := w.datapointsOf("router", 79*time.Second, 3, hrPeriod, 20*time.Second); ds != nil {
		t.Errorf("datapoints at 79 s = %v, want none (only two periods usable)", ds)
	}
}
