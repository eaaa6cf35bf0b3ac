package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// The storm tests drive TestE2ESurge's 10x surge (100 → 1000 requests/s) through the real binary, real nginx and
// the ECS fake while ECS misbehaves: slow reads, throttled reads, a service deleted at the surge, a router whose
// counters are absurd, and all of these at once. Each checks that api is raised within a bound derived from the
// daemon's timings, that nothing scales in, that no service is driven toward its maximum beyond what the real load
// needs, and that the daemon is alive and healthy at the end.
//
// Timeline of each test, from the moment the daemon is healthy:
//
//	 0 s  steady 100 rps (started before the daemon); the absurd router's counter starts jumping at 2 s
//	10 s  ECS starts misbehaving (slow and throttled reads), so the daemon's reads are in trouble well before
//	22 s  surge to 1000 rps (the surge detector needs ≥ 15 s of baseline); api-canary is deleted at this moment
//	+20 s end of the checks; the misbehaviour lasts until the end
const (
	stormBaseRPS  = 100
	stormSurgeRPS = 1000
	// stormAbsurdAt, stormMisbehaveAt and stormSurgeAt count from the daemon's first healthy answer.
	stormAbsurdAt    = 2 * time.Second
	stormMisbehaveAt = 10 * time.Second
	stormSurgeAt     = 22 * time.Second
	// stormObserve is how long the surge is held and observed after it starts.
	stormObserve = 20 * time.Second
	// stormAbsurdRouter is the router task whose stub_status counters jump by ~10⁹ between polls.
	stormAbsurdRouter = 1
	// stormAbsurdJump is added to its request counter every stormAbsurdEvery: ~10⁹ per 1 s poll interval.
	stormAbsurdJump  = 250_000_000
	stormAbsurdEvery = 250 * time.Millisecond
)

// stormPolicy mirrors fastPolicy's capacities, weights and maxima: what the checks of "what the load needs" use.
var (
	stormCapacity = map[string]float64{"router": 100, "api": 25, "api-canary": 25}
	stormWeight   = map[string]float64{"router": 100, "api": 90, "api-canary": 10}
	stormMax      = map[string]int{"router": 16, "api": 100, "api-canary": 20}
	stormInitial  = map[string]int{"router": 2, "api": 4, "api-canary": 1}
)

// storm is one misbehaviour scenario.
type storm struct {
	prefix       string        // loopback prefix of the router tasks, distinct per test
	slowReads    bool          // DescribeServices 5 s, ListTasks and DescribeTasks 2.5 s
	throttle     bool          // half of those calls get ThrottlingException
	deleteCanary bool          // api-canary is deleted (INACTIVE) at the surge
	absurd       bool          // router task stormAbsurdRouter reports a counter jumping by ~10⁹ per poll
	apiBound     time.Duration // api's first UpdateService must come within this of the surge's start
	goneBound    time.Duration // with deleteCanary: /status must report api-canary gone within this of its deletion
}

// Latencies of the slow reads. Discovery (ListTasks then DescribeTasks) takes ~5 s, under the daemon's 20 s
// discovery timeout; a refresh (one DescribeServices) 5 s, under its 15 s timeout but over the 2 s timeout of the
// re-read before UpdateService, so that every scale-out goes ahead from the cached read (≤ 30 s old).
const (
	slowDescribeServices = 5 * time.Second
	slowDiscovery        = 2500 * time.Millisecond
)

var stormReadOps = []string{"DescribeServices", "ListTasks", "DescribeTasks"}

// Bounds on api's first UpdateService after the surge starts. The surge is crossed at the first poll (1 s interval)
// after the load has risen: the 1.5 s short window then averages ≥ 1.5 × the baseline. TestE2ESurge allows 10 s for
// that crossing plus a fast re-read and UpdateService on a loaded machine. A failing re-read adds its 2 s timeout
// before the scale-out goes ahead from the cached read (≤ 30 s old). Throttled reads add the SDK's client-side rate
// limit (adaptive retry mode: after a throttle, every ECS call of the client, UpdateService included, waits for a
// token refilled at ≥ 0.5 per second), a few seconds at the daemon's call rate. 5 s of slack on top: 15 s.
const (
	stormBoundFast = 10 * time.Second
	stormBoundSlow = 15 * time.Second
)

// Bounds on /status reporting api-canary gone after its deletion. With ECS answering at once, the next refresh
// (every 5 s) sees it: 10 s. With slow and throttled reads, a refresh in flight at the deletion started before it and
// may take its whole 15 s timeout; the next one needs a 5 s DescribeServices and a throttled retry of it, ~11 s plus
// the client-side rate limit, within its own 15 s timeout; a tick and slack on top: 35 s.
const (
	stormGoneFast = 10 * time.Second
	stormGoneSlow = 35 * time.Second
)

func TestE2EStormSlowReads(t *testing.T) {
	t.Parallel()
	runStorm(t, storm{prefix: "127.0.4.", slowReads: true, apiBound: stormBoundSlow})
}

func TestE2EStormThrottled(t *testing.T) {
	t.Parallel()
	runStorm(t, storm{prefix: "127.0.5.", throttle: true, apiBound: stormBoundSlow})
}

func TestE2EStormServiceGoesInactive(t *testing.T) {
	t.Parallel()
	runStorm(t, storm{prefix: "127.0.6.", deleteCanary: true, apiBound: stormBoundFast, goneBound: stormGoneFast})
}

func TestE2EStormAbsurdRouter(t *testing.T) {
	t.Parallel()
	runStorm(t, storm{prefix: "127.0.7.", absurd: true, apiBound: stormBoundFast})
}

func TestE2EStormAllAtOnce(t *testing.T) {
	t.Parallel()
	runStorm(t, storm{prefix: "127.0.8.", slowReads: true, throttle: true, deleteCanary: true, absurd: true,
		apiBound: stormBoundSlow, goneBound: stormGoneSlow})
}

func runStorm(t *testing.T, sc storm) {
	began := time.Now()
	opts := Options{HostPrefix: sc.prefix, Routers: 16, StartDelay: 3 * time.Second, Desired: stormInitial}
	if sc.absurd {
		opts.Stubs = []int{stormAbsurdRouter}
	}
	s := Start(t, opts)
	s.Load.SetRate(stormBaseRPS)
	d := startDaemon(t, s)
	waitFor(t, "the daemon to be healthy", 15*time.Second, func() bool { return healthy(t, d) })
	healthyAt := time.Now()

	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	t.Cleanup(func() { cancel(); bg.Wait() })
	mon := &statusMonitor{d: d, implausible: map[string]string{}}
	bg.Add(1)
	go func() { defer bg.Done(); mon.run(ctx) }()

	absurdAddr := s.RouterAddr(stormAbsurdRouter)
	if sc.absurd {
		time.Sleep(time.Until(healthyAt.Add(stormAbsurdAt)))
		stub := s.Stub(stormAbsurdRouter)
		bg.Add(1)
		go func() {
			defer bg.Done()
			every(ctx, stormAbsurdEvery, func() { stub.Add(stormAbsurdJump) })
		}()
	}

	time.Sleep(time.Until(healthyAt.Add(stormMisbehaveAt)))
	if sc.slowReads {
		s.ECS.SetOpLatency("DescribeServices", slowDescribeServices)
		s.ECS.SetOpLatency("ListTasks", slowDiscovery)
		s.ECS.SetOpLatency("DescribeTasks", slowDiscovery)
	}
	if sc.throttle {
		for _, op := range stormReadOps {
			s.ECS.SetThrottle(op, 0.5)
		}
	}

	time.Sleep(time.Until(healthyAt.Add(stormSurgeAt)))
	if ups := s.Updates(); len(ups) != 0 {
		t.Errorf("steady load caused updates before the surge:%s", fleettest.DescribeUpdates(ups))
	}
	steadyMax := mon.maxLoad()
	if steadyMax > 3*stormBaseRPS {
		t.Errorf("steady load of %d rps read as up to %.0f rps", stormBaseRPS, steadyMax)
	}

	var deletedAt time.Time
	if sc.deleteCanary {
		deletedAt = time.Now()
		if err := s.ECS.DeleteService(Cluster, "api-canary"); err != nil {
			t.Fatal(err)
		}
	}
	surgeStart := time.Now()
	s.Load.SetRate(stormSurgeRPS)

	waitFor(t, "router and api to be raised", 30*time.Second, func() bool {
		ups := s.Updates()
		_, r := firstUpdate(ups, "router")
		_, a := firstUpdate(ups, "api")
		return r && a
	})
	ups := s.Updates()
	api, _ := firstUpdate(ups, "api")
	router, _ := firstUpdate(ups, "router")
	apiLat := api.Time.Sub(surgeStart)
	t.Logf("surge → first api UpdateService %v (bound %v), router %v", apiLat.Round(time.Millisecond), sc.apiBound,
		router.Time.Sub(surgeStart).Round(time.Millisecond))
	if apiLat > sc.apiBound {
		t.Errorf("api first raised %v after the surge began, want ≤ %v", apiLat.Round(time.Millisecond), sc.apiBound)
	}

	if sc.deleteCanary {
		gone := waitUntil(sc.goneBound-time.Since(deletedAt), func() bool {
			st, _, err := getStatus(d)
			return err == nil && st.Services["api-canary"].Gone != ""
		})
		if gone {
			t.Logf("api-canary reported gone %v after its deletion (bound %v)", time.Since(deletedAt).Round(time.Millisecond), sc.goneBound)
		} else {
			_, raw, _ := getStatus(d)
			t.Errorf("/status did not report api-canary gone within %v of its deletion:\n%s", sc.goneBound, raw)
		}
	} else {
		waitFor(t, "api-canary to be raised", 20*time.Second, func() bool {
			_, ok := firstUpdate(s.Updates(), "api-canary")
			return ok
		})
		c, _ := firstUpdate(s.Updates(), "api-canary")
		t.Logf("surge → first api-canary UpdateService %v", c.Time.Sub(surgeStart).Round(time.Millisecond))
	}
	if sc.absurd {
		waitFor(t, "/status to list the absurd router implausible", 10*time.Second, func() bool {
			return mon.implausibleSeen(absurdAddr) != ""
		})
	}

	time.Sleep(time.Until(surgeStart.Add(stormObserve)))
	end, raw, err := getStatus(d)
	if err != nil {
		t.Fatalf("/status: %v", err)
	}

	all := s.Updates()
	checkNoScaleIn(t, all)
	checkWithinNeed(t, all, mon)
	if sc.deleteCanary {
		checkCanaryLeftAlone(t, s.ECS.Calls(), deletedAt, sc.slowReads || sc.throttle)
		if end.Services["api-canary"].Gone == "" {
			t.Errorf("/status does not report api-canary gone at the end:\n%s", raw)
		}
		if _, ok := firstUpdate(all, "router"); !ok {
			t.Error("router was not raised with api-canary gone")
		}
	}
	if sc.absurd {
		why := mon.implausibleSeen(absurdAddr)
		t.Logf("the absurd router %s was listed implausible: %s", absurdAddr, why)
		if !strings.Contains(why, "implausible") {
			t.Errorf("the implausible target's error does not say why: %q", why)
		}
	}
	if !sc.absurd {
		mon.mu.Lock()
		for addr, why := range mon.implausible {
			t.Errorf("router %s listed implausible though every router reported real counters: %s", addr, why)
		}
		mon.mu.Unlock()
	}
	logStorm(t, s, d, end, mon)

	// The daemon lived through it and is healthy.
	select {
	case err := <-d.done:
		d.done <- err
		t.Fatalf("the daemon exited during the storm: %v", err)
	default:
	}
	if code, body := getHealthz(d); code != http.StatusOK {
		t.Errorf("/healthz answered %d %q at the end, want 200; /status:\n%s", code, body, raw)
	}
	t.Logf("wall time %v", time.Since(began).Round(time.Millisecond))
}

// waitUntil polls cond every 50 ms for at most timeout and says whether it came true.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// checkNoScaleIn fails on any successful UpdateService that lowered a count.
func checkNoScaleIn(t *testing.T, ups []fakeecs.Call) {
	t.Helper()
	prev := map[string]int{}
	for name, n := range stormInitial {
		prev[name] = n
	}
	for _, c := range ups {
		if *c.DesiredCount < prev[c.Service] {
			t.Errorf("scale-in during the surge: %s %d → %d at %s:%s", c.Service, prev[c.Service], *c.DesiredCount,
				c.Time.Format(fleettest.Millis), fleettest.DescribeUpdates(ups))
		}
		prev[c.Service] = *c.DesiredCount
	}
}

// checkWithinNeed fails when a service was set beyond what the surge's real load needs at the most the policy may
// size for, or the daemon read a load far beyond the one offered: what an absurd router counted as load would do (it
// reports ~10⁹ requests/s, which would put every service at its maximum). The policy may size for twice what
// saturated routers serve (censored demand, policy.CensoredGrowth), and the served rate reads a few percent over
// the offered one when the load generator's queue drains: 2.2 × covers both.
func checkWithinNeed(t *testing.T, ups []fakeecs.Call, mon *statusMonitor) {
	t.Helper()
	for _, c := range ups {
		need := int(math.Ceil(2.2 * stormSurgeRPS * stormWeight[c.Service] / 100 / stormCapacity[c.Service]))
		if lim := min(need, stormMax[c.Service]); *c.DesiredCount > lim {
			t.Errorf("%s set to %d at %s, beyond the %d that 2.2 × the real load needs (max %d):%s", c.Service,
				*c.DesiredCount, c.Time.Format(fleettest.Millis), lim, stormMax[c.Service], fleettest.DescribeUpdates(ups))
		}
	}
	if load, proj := mon.maxLoad(), mon.maxProjected(); load > 3*stormSurgeRPS || proj > 3*stormSurgeRPS {
		t.Errorf("the daemon read up to %.0f rps (projected %.0f) of a %d rps surge", load, proj, stormSurgeRPS)
	}
}

// checkCanaryLeftAlone checks that no UpdateService for api-canary succeeded after its deletion; with ECS reads
// failing or slow (mayTry), the re-read before the update cannot see the deletion and a few attempts that ECS
// rejects are expected, otherwise none.
func checkCanaryLeftAlone(t *testing.T, calls []fakeecs.Call, deletedAt time.Time, mayTry bool) {
	t.Helper()
	tries := 0
	for _, c := range calls {
		if c.Op != "UpdateService" || c.Service != "api-canary" || c.Time.Before(deletedAt) {
			continue
		}
		tries++
		if c.Err == "" {
			t.Errorf("UpdateService of the deleted api-canary to %d succeeded at %s", *c.DesiredCount, c.Time.Format(fleettest.Millis))
		} else {
			t.Logf("UpdateService of the deleted api-canary to %d at %s: %s", *c.DesiredCount, c.Time.Format(fleettest.Millis), c.Err)
		}
	}
	if tries > 0 && !mayTry {
		t.Errorf("%d UpdateService call(s) for the deleted api-canary, though its re-read could see it INACTIVE", tries)
	}
}

// logStorm logs what the daemon saw of the storm: the fake's read calls and errors, the daemon's warnings about
// reads, and the final /status of the reads and services.
func logStorm(t *testing.T, s *Stack, d *daemon, st stormStatus, mon *statusMonitor) {
	t.Helper()
	type tally struct{ ok, throttled, other int }
	byOp := map[string]*tally{}
	for _, c := range s.ECS.Calls() {
		tl := byOp[c.Op]
		if tl == nil {
			tl = &tally{}
			byOp[c.Op] = tl
		}
		switch c.Err {
		case "":
			tl.ok++
		case "ThrottlingException":
			tl.throttled++
		default:
			tl.other++
		}
	}
	var b strings.Builder
	for _, op := range append(stormReadOps, "UpdateService") {
		if tl := byOp[op]; tl != nil {
			fmt.Fprintf(&b, " %s %d ok/%d throttled/%d other;", op, tl.ok, tl.throttled, tl.other)
		}
	}
	t.Logf("ECS calls:%s", b.String())
	t.Logf("UpdateService calls that succeeded:%s", fleettest.DescribeUpdates(s.Updates()))
	counts := map[string]int{}
	for _, l := range d.snapshotLines() {
		if lvl := fmt.Sprint(l["level"]); lvl == "warn" || lvl == "error" {
			counts[fmt.Sprint(l["msg"])]++
		}
		if strings.HasPrefix(fmt.Sprint(l["msg"]), "re-reading the service before a scale-out failed") {
			t.Logf("daemon: scale-out of %v from the cached read (read_age %v)", l["service"], l["read_age"])
		}
	}
	for msg, n := range counts {
		t.Logf("daemon warned %d× %q", n, msg)
	}
	// FASTSCALER_E2E_DAEMON_LOG=1 logs the daemon's whole log (but debug), not only when the test fails.
	if os.Getenv("FASTSCALER_E2E_DAEMON_LOG") != "" {
		for _, l := range d.snapshotLines() {
			if l["level"] != "debug" {
				b, _ := json.Marshal(l)
				t.Logf("daemon: %s", b)
			}
		}
	}
	for _, name := range []string{"services", "discovery", "aas_targets"} {
		r, ok := st.Reads[name]
		if !ok {
			continue
		}
		age := "never"
		if r.LastSuccess != nil {
			age = st.Time.Sub(*r.LastSuccess).Round(time.Millisecond).String()
		}
		t.Logf("/status reads.%s: last success %s ago, %d consecutive failures, error %q", name, age, r.Failures, r.Error)
	}
	for _, name := range []string{"router", "api", "api-canary"} {
		sv := st.Services[name]
		age := "never"
		if sv.ReadAt != nil {
			age = st.Time.Sub(*sv.ReadAt).Round(time.Millisecond).String()
		}
		t.Logf("/status services.%s: desired %d, gone %q, busy %q, read %s ago, %s", name, sv.Desired, sv.Gone, sv.Busy, age, sv.Reason)
	}
	t.Logf("/status: mode %s, targets %d known/%d reporting, %d missing, blind %q; max load %.0f rps, projected %.0f",
		st.Mode, st.Targets.Known, st.Targets.Reporting, len(st.Targets.Missing), st.Blind, mon.maxLoad(), mon.maxProjected())
}

func (d *daemon) snapshotLines() []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]map[string]any(nil), d.lines...)
}

// stormStatus is the part of /status the storm tests read.
type stormStatus struct {
	Time      time.Time `json:"time"`
	Mode      string    `json:"mode"`
	LoadRPS   float64   `json:"load_rps"`
	Projected float64   `json:"projected_rps"`
	Blind     string    `json:"blind"`
	Targets   struct {
		Known     int `json:"known"`
		Reporting int `json:"reporting"`
		Missing   []struct {
			TaskID  string `json:"task_id"`
			Address string `json:"address"`
			Status  string `json:"status"`
			Error   string `json:"error"`
		} `json:"missing"`
	} `json:"targets"`
	Services map[string]struct {
		Desired   int        `json:"desired"`
		Direction string     `json:"direction"`
		Reason    string     `json:"reason"`
		Gone      string     `json:"gone"`
		Busy      string     `json:"busy"`
		ReadAt    *time.Time `json:"read_at"`
	} `json:"services"`
	Reads map[string]struct {
		LastSuccess *time.Time `json:"last_success"`
		Error       string     `json:"error"`
		Failures    int        `json:"consecutive_failures"`
	} `json:"reads"`
}

var statusClient = &http.Client{Timeout: 2 * time.Second}

func getStatus(d *daemon) (stormStatus, []byte, error) {
	var st stormStatus
	resp, err := statusClient.Get("http://" + d.listen + "/status")
	if err != nil {
		return st, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, raw, fmt.Errorf("/status answered %d", resp.StatusCode)
	}
	return st, raw, json.Unmarshal(raw, &st)
}

func getHealthz(d *daemon) (int, string) {
	resp, err := statusClient.Get("http://" + d.listen + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// statusMonitor polls /status every 250 ms and keeps the highest load and projection the daemon published and the
// targets it listed implausible (address → error).
type statusMonitor struct {
	d *daemon

	mu          sync.Mutex
	load, proj  float64
	implausible map[string]string
}

func (m *statusMonitor) run(ctx context.Context) { every(ctx, 250*time.Millisecond, m.poll) }

// poll reads /status once and keeps what it adds.
func (m *statusMonitor) poll() {
	st, _, err := getStatus(m.d)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.load, m.proj = max(m.load, st.LoadRPS), max(m.proj, st.Projected)
	for _, tg := range st.Targets.Missing {
		if tg.Status == "implausible" {
			m.implausible[tg.Address] = tg.Error
		}
	}
}

func (m *statusMonitor) maxLoad() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load
}

func (m *statusMonitor) maxProjected() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proj
}

func (m *statusMonitor) implausibleSeen(addr string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.implausible[addr]
}
