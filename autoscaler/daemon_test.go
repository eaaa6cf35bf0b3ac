package autoscaler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

func TestSurgeScalesRouterAndAPIInTheSameTick(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Warm: true})
	if n := len(u.Updates()); n != 0 {
		t.Fatalf("steady load caused %d updates:%s", n, fleettest.DescribeUpdates(u.Updates()))
	}
	surgeStart := u.Clock.Now()
	for i := 1; i <= 180; i++ {
		u.Step(rampAt(1000, i))
	}
	ups := u.Updates()
	if len(ups) < 3 {
		t.Fatalf("want updates of router, api and api-canary, got:%s", fleettest.DescribeUpdates(ups))
	}
	first := map[string]fakeecs.Call{}
	for _, c := range ups {
		if _, ok := first[c.Service]; !ok {
			first[c.Service] = c
		}
	}
	for _, name := range []string{"router", "api", "api-canary"} {
		if _, ok := first[name]; !ok {
			t.Fatalf("%s never updated:%s", name, fleettest.DescribeUpdates(ups))
		}
	}
	if !first["router"].Time.Equal(first["api"].Time) || !first["api"].Time.Equal(first["api-canary"].Time) {
		t.Errorf("first updates in different ticks:%s", fleettest.DescribeUpdates(ups))
	}
	// The load crosses 1.5× the baseline 6.7 s into the ramp; detection within two 1 s polls of that.
	if lat := first["api"].Time.Sub(surgeStart); lat > 10*time.Second {
		t.Errorf("first scale-out %v after the surge began, want ≤ 10s (crossing at 6.7s + 2 polls)", lat)
	}
	for _, c := range ups {
		if prev := previousDesired(ups, c); prev > *c.DesiredCount {
			t.Errorf("scale-in during a surge: %s %d → %d", c.Service, prev, *c.DesiredCount)
		}
	}
	if got := u.Desired("api"); got < 36 {
		t.Errorf("api desired %d after the surge, want ≥ 36 (9000 rps / 250)", got)
	}
	if got := u.Desired("router"); got < 10 {
		t.Errorf("router desired %d after the surge, want ≥ 10", got)
	}
	if got := u.Desired("api-canary"); got < 4 {
		t.Errorf("api-canary desired %d after the surge, want ≥ 4 (1000 rps / 250)", got)
	}
	// The decision was logged once, at Info, with its reason and inputs.
	found := false
	for _, e := range u.Logs.FilterMessage("decision").All() {
		if e.ContextMap()["mode"] == "surge" && e.Level.String() == "info" {
			found = true
			if !strings.Contains(e.ContextMap()["reason"].(string), "baseline") {
				t.Errorf("surge decision reason %q does not explain itself", e.ContextMap()["reason"])
			}
			break
		}
	}
	if !found {
		t.Error("no Info decision line in surge mode")
	}
}

func previousDesired(ups []fakeecs.Call, c fakeecs.Call) int {
	prev := -1
	for _, u := range ups {
		if u.Service == c.Service && u.Time.Before(c.Time) {
			prev = *u.DesiredCount
		}
	}
	return prev
}

func TestCooldownThenGradualScaleIn(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	lastOut := surgeTo10000(t, u, 2*time.Minute)
	peak := u.Desired("api")
	u.Run(1000, 30*time.Minute)
	downs := scaleInsAfterCooldown(t, u, lastOut)
	prev := map[string]int{"api": peak}
	for _, c := range downs {
		if p, ok := prev[c.Service]; ok && p-*c.DesiredCount > max(1, p/5) {
			t.Errorf("%s scale-in step %d → %d exceeds 20%%", c.Service, p, *c.DesiredCount)
		}
		prev[c.Service] = *c.DesiredCount
	}
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d after 30 min of baseline load, want 4", got)
	}
}

func TestMissingOrGarbageDataNeverScalesIn(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Desired: map[string]int{"router": 4, "api": 40, "api-canary": 4}})
	// Router tasks 2 and 3: one answers garbage, one is down. Tasks 0 and 1 report low load.
	u.Stubs[2].SetGarbage(true)
	u.Stubs[3].SetDown(true)
	u.Dead[3] = true
	u.Run(1000, 20*time.Minute)
	if ups := u.Updates(); len(ups) != 0 {
		t.Fatalf("scaled with half the routers missing and low load:%s", fleettest.DescribeUpdates(ups))
	}
	if w := u.Logs.FilterMessage("stub_status poll failed; target counts as missing, never as zero load").Len(); w == 0 || w > 2*(20*60/30)+2 {
		t.Errorf("%d poll-failure warnings in 20 min for 2 bad targets; want some, rate-limited to one per 30 s each", w)
	}
	// Once every router reports again, and a full window passes, scale-in resumes: the gate was the data.
	u.Stubs[2].SetGarbage(false)
	u.Stubs[3].SetDown(false)
	delete(u.Dead, 3)
	u.Run(1000, 8*time.Minute)
	if u.Desired("api") >= 40 {
		t.Errorf("api desired %d after data recovered, want a scale-in", u.Desired("api"))
	}
}

// TestRestartHonoursDurableCooldown kills the daemon (all memory lost) a minute after its last scale-out: the new
// one must still wait out the cooldown recorded in the service tags. A daemon with memory-only state would scale
// in as soon as its windows filled, five minutes after the restart and six after the scale-out.
func TestRestartHonoursDurableCooldown(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	lastOut := surgeTo10000(t, u, 30*time.Second)
	u.Run(1000, 30*time.Second)
	if s, _ := u.ECS.Service(daemontest.Cluster, "api"); decode(s.Tags).LastScaleOut.IsZero() {
		t.Fatal("no last-scale-out tag written")
	}
	u.Restart()
	u.Run(1000, 20*time.Minute)
	scaleInsAfterCooldown(t, u, lastOut)
}

// surgeTo10000 fills a Unit's windows at 1000 rps, then runs d at 10,000 rps, and returns when the last scale-out
// was made.
func surgeTo10000(t *testing.T, u *daemontest.Unit, d time.Duration) time.Time {
	t.Helper()
	u.Run(1000, fleettest.WarmUp)
	u.Run(10000, d)
	ups := u.Updates()
	if len(ups) == 0 {
		t.Fatal("no scale-out at 10,000 rps")
	}
	return ups[len(ups)-1].Time
}

// scaleInsAfterCooldown returns the UpdateService calls made after the last scale-out at lastOut: the scale-in,
// which must come, and not before the 10-minute cooldown has passed.
func scaleInsAfterCooldown(t *testing.T, u *daemontest.Unit, lastOut time.Time) []fakeecs.Call {
	t.Helper()
	var downs []fakeecs.Call
	for _, c := range u.Updates() {
		if c.Time.After(lastOut) {
			downs = append(downs, c)
		}
	}
	if len(downs) == 0 {
		t.Fatal("never scaled in after the scale-out")
	}
	if since := downs[0].Time.Sub(lastOut); since < 10*time.Minute {
		t.Errorf("first scale-in %v after the last scale-out, want ≥ the 10m cooldown", since)
	}
	return downs
}

// decode reads durable state from tags, malformed values left zero.
func decode(tags map[string]string) durable.State {
	d, _ := durable.Decode(tags)
	return d
}

func TestFloorAndPauseFromTags(t *testing.T) {
	floorEnd := daemontest.T0.Add(20 * time.Minute)
	u := daemontest.New(t, daemontest.Options{Tags: map[string]map[string]string{
		"api":    durable.Encode(durable.State{FloorCount: 30, FloorUntil: floorEnd, FloorReason: "final"}),
		"router": durable.Encode(durable.State{Paused: true, PauseReason: "maintenance"}),
	}})
	u.Step(1000) // the first tick starts the reads from ECS; the second decides from them
	u.Step(1000)
	if got := u.Desired("api"); got != 30 {
		t.Fatalf("api desired %d on the second tick, want the floor 30", got)
	}
	u.Run(1000, 5*time.Minute)
	u.Run(20000, time.Minute)
	if got := u.Desired("router"); got != 2 {
		t.Errorf("paused router desired %d, want it left at 2", got)
	}
	if got := u.Desired("api"); got < 72 {
		t.Errorf("api desired %d at 20000 rps, want ≥ 72", got)
	}
	// The floor holds while it lasts and scale-in after it follows the normal rules: cooldown from its end, steps.
	u.Run(1000, floorEnd.Sub(u.Clock.Now()))
	if got := u.Desired("api"); got < 30 {
		t.Errorf("api desired %d before the floor ended, want ≥ 30", got)
	}
	atEnd := u.Desired("api")
	u.Run(1000, 10*time.Minute-2*time.Second)
	if got := u.Desired("api"); got != atEnd {
		t.Errorf("api desired %d within the cooldown after the floor ended, want %d", got, atEnd)
	}
	u.Run(1000, 20*time.Minute)
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d 30 minutes after the floor ended, want back at 4", got)
	}
}

func TestDryRunNeverUpdates(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Env: []string{"FASTSCALER_DRY_RUN=true"}, Warm: true})
	u.Run(10000, time.Minute)
	if ups := u.Updates(); len(ups) != 0 {
		t.Fatalf("dry run called UpdateService:%s", fleettest.DescribeUpdates(ups))
	}
	if n := u.Logs.FilterMessage("dry run: would update service").Len(); n == 0 {
		t.Error("dry run logged no would-be updates")
	}
	if st := u.D.Status(); st.Services["api"].Desired < 36 || !st.DryRun {
		t.Errorf("status in dry run: api desired %d dry_run %v; want the would-be count ≥ 36", st.Services["api"].Desired, st.DryRun)
	}
}

func TestFailedScaleOutIsRetriedNextTick(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Warm: true})
	u.ECS.FailNext("UpdateService", "AccessDeniedException", 400, 3)
	u.Step(10000)
	u.Step(10000)
	if got := u.Desired("api"); got < 36 {
		t.Fatalf("api desired %d after the failed tick and one retry, want ≥ 36", got)
	}
	if n := u.Logs.FilterMessage("scaling failed; deciding again next tick").Len(); n == 0 {
		t.Error("no error logged for the failed update")
	}
}

func TestHealthzAndStatus(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	srv := httptest.NewServer(u.D.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 64<<10)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz before the first cycle = %d, want 503", code)
	}
	u.Run(1000, 5*time.Second)
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after cycles = %d %q, want 200", code, body)
	}
	code, body := get("/status")
	var st autoscaler.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("/status = %d, %v: %s", code, err, body)
	}
	if st.Targets.Known != 2 || st.Targets.Reporting != 2 || st.Services["api"].Desired != 4 || st.LoadRPS < 900 {
		t.Errorf("/status = %+v", st)
	}
	u.Clock.Advance(time.Minute) // cycles stop completing
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "last poll cycle") {
		t.Errorf("/healthz with stuck cycles = %d %q, want 503 naming the last cycle", code, body)
	}
}

func TestMetricsPublishedInBatches(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	u.Run(1000, 35*time.Second)
	var puts int
	for _, c := range u.CW.Calls() {
		if c.Op == "PutMetricData" {
			puts++
		}
	}
	if puts < 3 || puts > 5 {
		t.Errorf("%d PutMetricData calls in 35 s, want one per ~10 s", puts)
	}
	names := map[string]bool{}
	for _, d := range u.CW.Datums() {
		names[d.MetricName] = true
		if d.StorageResolution != 1 || d.Namespace != "Fastscaler" || d.Dimensions["Cluster"] != daemontest.Cluster {
			t.Fatalf("datum %+v: want 1-second resolution, namespace Fastscaler, dimension Cluster=%s", d, daemontest.Cluster)
		}
	}
	for _, n := range []string{"RequestRate", "InFlight", "ActiveConnections", "TargetsReporting", "TargetsKnown", "SurgeMode", "DesiredCount"} {
		if !names[n] {
			t.Errorf("metric %s never published", n)
		}
	}
}

func TestRunStopsOnCancelAndFlushes(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.D.Run(ctx) }()
	waitStatus := func(at time.Time) {
		deadline := time.Now().Add(10 * time.Second)
		for !u.D.Status().Time.Equal(at) {
			if time.Now().After(deadline) {
				t.Fatalf("no cycle at %s", at)
			}
			time.Sleep(time.Millisecond) // Run ticks on its own goroutine; the fake clock decides what it sees
		}
	}
	waitStatus(u.Clock.Now()) // the first cycle, which flushes at once
	u.D.Quiesce()
	flushed := len(u.CW.Datums())
	for range 3 { // three more cycles, within the 10 s between flushes
		u.Clock.Advance(time.Second)
		waitStatus(u.Clock.Now())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() = %v, want nil on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := len(u.CW.Datums()); got <= flushed {
		t.Errorf("%d datums after shutdown, %d before: the last cycles' metrics were not flushed at shutdown", got, flushed)
	}
}

// TestWarmStartSeedsTheBaselineFromCloudWatch: a daemon restarted after minutes of steady load reads back the
// RequestRate its predecessor published (through the real SDK, from the CloudWatch fake) and has its surge baseline
// on its first valid tick, instead of MinBaseline later.
func TestWarmStartSeedsTheBaselineFromCloudWatch(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Warm: true})
	u.Restart()
	for range 4 {
		u.Step(1000)
	}
	if n := u.Logs.FilterMessageSnippet("warm start: surge baseline seeded").Len(); n != 1 {
		t.Fatalf("%d warm-start log lines, want 1", n)
	}
	if b := u.D.Status().BaseRPS; b < 900 || b > 1100 {
		t.Errorf("baseline %v rps 4 s after the restart, want the recorded ~1000", b)
	}
}
