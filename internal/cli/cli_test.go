package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/cli"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// sreEnv is an SRE's shell: the same FASTSCALER_* as the daemon of daemontest, without daemon-only variables.
var sreEnv = []string{
	"FASTSCALER_CLUSTER=" + daemontest.Cluster,
	"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
	"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1",
	"USER=alice",
}

// awsEnv points the real SDK (default chain) at the unit's ECS fake.
func awsEnv(t *testing.T, u *daemontest.Unit) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCLI")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_ECS", u.ECSURL)
	aasURL := u.AASURL
	if u.AAS == nil { // no scalable targets: an empty Application Auto Scaling
		s := fakeaas.New(fakeaas.Options{Now: u.Clock.Now, Region: u.Region})
		var err error
		if aasURL, err = s.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
	}
	t.Setenv("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", aasURL)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, u *daemontest.Unit, args ...string) result {
	t.Helper()
	return runEnv(t, u, sreEnv, args...)
}

// mustRun runs a set-up command, which must exit 0.
func mustRun(t *testing.T, u *daemontest.Unit, args ...string) {
	t.Helper()
	if r := run(t, u, args...); r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
}

func runEnv(t *testing.T, u *daemontest.Unit, environ []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{Args: args, Environ: environ, Stdout: &out, Stderr: &errb,
		Version: "test", Clock: u.Clock, Terminal: func() bool { return false }})
	return result{code, out.String(), errb.String()}
}

// emptyWorkDir makes a new empty directory the test's working directory, and returns it.
func emptyWorkDir(t *testing.T) string {
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// wroteNothing fails the test if what, run in dir, wrote any file there.
func wroteNothing(t *testing.T, dir, what string) {
	t.Helper()
	if files, err := os.ReadDir(dir); err != nil || len(files) != 0 {
		t.Errorf("%s wrote into the working directory: %v %v", what, files, err)
	}
}

// mutations returns the calls that change ECS state.
func mutations(u *daemontest.Unit) []fakeecs.Call {
	var out []fakeecs.Call
	for _, c := range u.ECS.Calls() {
		if c.Op == "UpdateService" || c.Op == "TagResource" || c.Op == "UntagResource" {
			out = append(out, c)
		}
	}
	return out
}

func tags(u *daemontest.Unit, service string) map[string]string {
	s, _ := u.ECS.Service(daemontest.Cluster, service)
	return s.Tags
}

// state is the durable state in a service's tags, malformed values left zero.
func state(u *daemontest.Unit, service string) durable.State {
	d, _ := durable.Decode(tags(u, service))
	return d
}

func TestPrescaleRaisesAtOnceAndWritesTags(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	r := run(t, u, "prescale", "--service", "api=40", "--service", "router=10", "--for", "2h", "--reason", "World Cup final (Dec 18)")
	if r.code != 0 {
		t.Fatalf("prescale exit %d: %s", r.code, r.stderr)
	}
	if got := u.Desired("api"); got != 40 {
		t.Errorf("api desired %d, want 40 at once", got)
	}
	if got := u.Desired("router"); got != 10 {
		t.Errorf("router desired %d, want 10 at once", got)
	}
	want := durable.Floor{Count: 40, Until: daemontest.T0.Add(2 * time.Hour), Reason: "World Cup final Dec 18"}
	if got, _ := state(u, "api").FloorAt(daemontest.T0); got != want {
		t.Errorf("floor %+v, want %+v", got, want)
	}
	if !strings.Contains(r.stdout, "api") || !strings.Contains(r.stdout, "2026-11-22T22:00:00Z (in 2h00m)") {
		t.Errorf("output does not show what was done:\n%s", r.stdout)
	}
	// A new prescale replaces the old floor on purpose; a count already above it is kept (never lowered).
	if r := run(t, u, "prescale", "--service", "api=20", "--until", "2026-11-22T23:00:00Z", "--replace"); r.code != 0 {
		t.Fatalf("second prescale exit %d: %s", r.code, r.stderr)
	}
	if got := state(u, "api").FloorCount; got != 20 || u.Desired("api") != 40 {
		t.Errorf("after re-prescale floor %d desired %d, want floor 20 and desired kept at 40", got, u.Desired("api"))
	}
	if reason := state(u, "api").FloorReason; reason != "prescale by alice" {
		t.Errorf("default reason %q, want %q", reason, "prescale by alice")
	}
}

// The World Cup evening: a floor api=80 until 23:00 is in force. A prescale that would lower it or end it earlier
// is refused with the floor in force and how to replace it; one at least as high and as long goes ahead; with
// --replace anything goes. The output always shows the floor replaced.
func TestPrescaleNeverLowersOrShortensAFloorSilently(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	if r := run(t, u, "prescale", "--service", "api=80", "--until", "2026-11-22T23:00:00Z", "--reason", "World Cup final"); r.code != 0 {
		t.Fatalf("prescale exit %d: %s", r.code, r.stderr)
	}
	active := "api has a floor of 80 in force until 2026-11-22T23:00:00Z (3h00m left, reason \"World Cup final\")"
	hint := "nothing was changed; to replace a floor in force on purpose, run the same command with --replace"
	refused := []struct {
		name string
		args []string
		why  string
	}{
		{"lower and shorter", []string{"--service", "api=10", "--for", "1h", "--reason", "lower test"},
			"api=10 until 2026-11-22T21:00:00Z would lower it by 70 and end it 2h00m earlier"},
		{"higher but shorter", []string{"--service", "api=90", "--for", "1h"}, "api=90 until 2026-11-22T21:00:00Z would end it 2h00m earlier"},
		{"longer but lower", []string{"--service", "api=79", "--until", "2026-11-23T01:00:00Z"}, "api=79 until 2026-11-23T01:00:00Z would lower it by 1"},
		{"one of two", []string{"--service", "router=8", "--service", "api=10", "--for", "4h"}, "api=10 until 2026-11-23T00:00:00Z would lower it by 70"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := len(mutations(u))
			r := run(t, u, append([]string{"prescale"}, tt.args...)...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (usage: nothing changed)", r.code)
			}
			for _, want := range []string{active, tt.why, hint} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if n := len(mutations(u)) - before; n != 0 {
				t.Errorf("a refused prescale made %d changes", n)
			}
		})
	}
	if f, _ := state(u, "api").FloorAt(u.Clock.Now()); f.Count != 80 || f.Reason != "World Cup final" {
		t.Fatalf("floor after the refusals %+v, want the World Cup's 80", f)
	}

	// Equal, then higher and longer: no --replace needed, and the output names the floor replaced.
	r := run(t, u, "prescale", "--service", "api=80", "--until", "2026-11-22T23:00:00Z", "--reason", "World Cup final")
	if r.code != 0 || !strings.Contains(r.stdout, "api: replaced the floor of 80 until 2026-11-22T23:00:00Z (World Cup final)") {
		t.Errorf("an equal floor = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, u, "prescale", "--service", "api=90", "--until", "2026-11-22T23:30:00Z", "--reason", "extra time")
	if r.code != 0 || !strings.Contains(r.stdout, "api: replaced the floor of 80 until 2026-11-22T23:00:00Z (World Cup final)") {
		t.Errorf("a higher, longer floor = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := u.Desired("api"); got != 90 {
		t.Errorf("api desired %d, want 90", got)
	}

	// --replace: lowered on purpose; the count already above it is kept.
	r = run(t, u, "prescale", "--service", "api=10", "--for", "1h", "--reason", "lower test", "--replace")
	if r.code != 0 || !strings.Contains(r.stdout, "api: replaced the floor of 90 until 2026-11-22T23:30:00Z (extra time)") {
		t.Errorf("--replace = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := durable.Floor{Count: 10, Until: daemontest.T0.Add(time.Hour), Reason: "lower test"}
	if f, _ := state(u, "api").FloorAt(u.Clock.Now()); f != want || u.Desired("api") != 90 {
		t.Errorf("after --replace floor %+v desired %d; want %+v and desired kept at 90", f, u.Desired("api"), want)
	}

	// A floor that has ended is not in force: nothing to refuse or to report.
	u.Clock.Advance(61 * time.Minute)
	r = run(t, u, "prescale", "--service", "api=5", "--for", "30m")
	if r.code != 0 || strings.Contains(r.stdout, "replaced") {
		t.Errorf("over an ended floor = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, u, "prescale", "--cancel", "--replace", "--service", "api"); r.code != 2 || !strings.Contains(r.stderr, "--cancel takes only --service") {
		t.Errorf("--cancel --replace = %d %q, want a usage error", r.code, r.stderr)
	}
	if r := run(t, u, "help", "prescale"); !strings.Contains(r.stdout, "--replace") {
		t.Errorf("help does not document --replace:\n%s", r.stdout)
	}
}

// TestFloorSurvivesRestartAndEndsWithoutACliff runs the whole story: a prescale while no daemon runs, a daemon
// that starts after it and honours the floor, a daemon killed mid-window and replaced by one with no memory, the
// floor's end, the cooldown counted from that end, and a stepwise scale-in. A daemon that kept the floor or the
// cooldown only in memory would drop below the floor, or scale in at the floor's end.
func TestFloorSurvivesRestartAndEndsWithoutACliff(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{StartDelay: time.Minute})
	awsEnv(t, u)
	if r := run(t, u, "prescale", "--service", "api=40", "--service", "router=8", "--for", "20m", "--reason", "final"); r.code != 0 {
		t.Fatalf("prescale exit %d: %s", r.code, r.stderr)
	}
	floors, floorEnd := map[string]int{"api": 40, "router": 8}, daemontest.T0.Add(20*time.Minute)
	u.Run(1000, 8*time.Minute) // the daemon starts after the prescale, at low load
	u.Restart()                // SIGKILL: every bit of memory is gone
	u.Run(1000, floorEnd.Sub(u.Clock.Now()))
	if breaches, _ := fleettest.FloorEnd(u.Updates(), floors, floorEnd); len(breaches) > 0 {
		t.Fatalf("while the floor lasted:\n%s", strings.Join(breaches, "\n"))
	}
	if u.Desired("api") != 40 || u.Desired("router") != 8 {
		t.Fatalf("at the floor's end api %d router %d, want 40 and 8", u.Desired("api"), u.Desired("router"))
	}
	u.Restart() // and once more just after the floor's end
	u.Run(1000, 30*time.Minute)
	// Each service comes down from its floor in steps of at most a fifth, after the cooldown.
	breaches, firstDown := fleettest.FloorEnd(u.Updates(), floors, floorEnd)
	for _, b := range breaches {
		t.Error(b)
	}
	if firstDown.Service == "" {
		t.Fatal("never scaled in after the floor ended")
	}
	if gap := firstDown.Time.Sub(floorEnd); gap < 10*time.Minute {
		t.Errorf("first scale-in %v after the floor ended, want ≥ the 10m cooldown", gap)
	}
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d 30 min after the floor, want back at 4", got)
	}
}

func TestCancelEndsTheFloorGently(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	mustRun(t, u, "prescale", "--service", "api=40", "--for", "3h")
	u.Run(1000, 6*time.Minute)
	cancelAt := u.Clock.Now()
	r := run(t, u, "prescale", "--cancel", "--service", "api")
	if r.code != 0 || !strings.Contains(r.stdout, "floor of 40 ended now") {
		t.Fatalf("cancel exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if until := state(u, "api").FloorUntil; !until.Equal(cancelAt.Truncate(time.Second)) {
		t.Errorf("floor end after cancel = %s, want now %s", until, cancelAt)
	}
	u.Run(1000, 9*time.Minute)
	if got := u.Desired("api"); got != 40 {
		t.Errorf("api desired %d within the cooldown after cancel, want 40", got)
	}
	u.Run(1000, 20*time.Minute)
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d long after cancel, want 4", got)
	}
	if r := run(t, u, "prescale", "--cancel", "--service", "api"); r.code != 1 || !strings.Contains(r.stderr, "api has no active pre-scale floor") {
		t.Errorf("second cancel = %d %q, want exit 1 naming the service", r.code, r.stderr)
	}
	// A floor whose tags someone mangled can still be cancelled: its tags are removed.
	snap, _ := u.ECS.Service(daemontest.Cluster, "router")
	client := daemontest.ECSClient(u.ECSURL)
	if _, err := client.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: aws.String(snap.ARN),
		Tags: []types.Tag{{Key: aws.String("fastscaler:floor"), Value: aws.String("lots")}}}); err != nil { // by hand, malformed
		t.Fatal(err)
	}
	if r := run(t, u, "prescale", "--cancel", "--service", "router"); r.code != 0 || !strings.Contains(r.stdout, "malformed floor tags removed") {
		t.Errorf("cancel of a malformed floor = %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, errs := durable.Decode(tags(u, "router")); len(errs) > 0 {
		t.Errorf("the malformed floor tag is still there: %v", errs)
	}
}

func TestPauseAndResume(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	u.Run(1000, 6*time.Minute)
	r := run(t, u, "pause", "--service", "api", "--for", "30m", "--reason", "load test INC-1234")
	if r.code != 0 {
		t.Fatalf("pause exit %d: %s", r.code, r.stderr)
	}
	u.Run(10000, time.Minute)
	if got := u.Desired("api"); got != 4 {
		t.Errorf("paused api desired %d under a surge, want 4 (left alone)", got)
	}
	if got := u.Desired("router"); got < 10 {
		t.Errorf("router desired %d, want it scaled: only api is paused", got)
	}
	st := run(t, u, "status")
	if !strings.Contains(st.stdout, "until 20:36Z") || !strings.Contains(st.stdout, "paused: load test INC-1234") {
		t.Errorf("status does not show the pause:\n%s", st.stdout)
	}
	if r := run(t, u, "resume", "--service", "api"); r.code != 0 || !strings.Contains(r.stdout, "api: resumed") {
		t.Fatalf("resume = %d %s%s", r.code, r.stdout, r.stderr)
	}
	if got := state(u, "api"); got.Paused || !got.LastScaleOut.Equal(u.Clock.Now().Truncate(time.Second)) {
		t.Errorf("after resume paused %v, last scale-out %s; want not paused and now: counts set by hand during the pause get a fresh cooldown", got.Paused, got.LastScaleOut)
	}
	u.Run(10000, 2*time.Second)
	if got := u.Desired("api"); got < 36 {
		t.Errorf("api desired %d after resume under a surge, want ≥ 36", got)
	}

	// A pause with --for ends by itself.
	if r := run(t, u, "pause", "--for", "5m", "--reason", "maintenance"); r.code != 0 { // every service
		t.Fatalf("pause exit %d: %s", r.code, r.stderr)
	}
	u.Run(10000, 6*time.Second) // the daemon reads tags every 5 s
	u.Run(30000, time.Minute)
	if got := u.Desired("api"); got >= 100 {
		t.Fatalf("api scaled to %d while everything was paused", got)
	}
	u.Run(30000, 5*time.Minute)
	if got := u.Desired("api"); got < 100 {
		t.Errorf("api desired %d after the pause expired, want it scaled to the load (≥ 100)", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	withMax := append(append([]string(nil), sreEnv...), "FASTSCALER_MAX_TASKS=api:100")
	tests := []struct {
		name    string
		env     []string
		args    []string
		code    int
		message string
	}{
		{"unknown flag", sreEnv, []string{"prescale", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"unknown command", sreEnv, []string{"prescal"}, 2, `unknown command "prescal"`},
		{"stray argument", sreEnv, []string{"status", "api"}, 2, `unexpected argument "api"`},
		{"no service", sreEnv, []string{"prescale", "--for", "1h"}, 2, "give at least one --service"},
		{"bad count", sreEnv, []string{"prescale", "--service", "api=lots", "--for", "1h"}, 2, "api=lots: COUNT must be a whole number"},
		{"zero count", sreEnv, []string{"prescale", "--service", "api=0", "--for", "1h"}, 2, "COUNT must be a whole number ≥ 1"},
		{"no count", sreEnv, []string{"prescale", "--service", "api", "--for", "1h"}, 2, `--service "api": want NAME=COUNT`},
		{"twice", sreEnv, []string{"prescale", "--service", "api=5", "--service", "api=6", "--for", "1h"}, 2, "--service api given twice"},
		{"not scaled", sreEnv, []string{"prescale", "--service", "web=5", "--for", "1h"}, 2, `service "web" is not scaled by fastscaler`},
		{"above max", withMax, []string{"prescale", "--service", "api=400", "--for", "1h"}, 2, "api=400 is above its max of 100: raise FASTSCALER_MAX_TASKS"},
		{"below min", sreEnv, []string{"prescale", "--service", "api=2", "--for", "1h"}, 2, "below its min of 4 (FASTSCALER_MIN_TASKS)"},
		{"no window", sreEnv, []string{"prescale", "--service", "api=5"}, 2, "give --for DURATION or --until RFC3339"},
		{"both windows", sreEnv, []string{"prescale", "--service", "api=5", "--for", "1h", "--until", "2026-11-22T23:00:00Z"}, 2, "not both"},
		{"past", sreEnv, []string{"prescale", "--service", "api=5", "--until", "2026-11-22T19:00:00Z"}, 2, "is in the past"},
		{"bad time", sreEnv, []string{"prescale", "--service", "api=5", "--until", "tonight"}, 2, "want an RFC 3339 time"},
		{"too long", sreEnv, []string{"prescale", "--service", "api=5", "--for", "8d"}, 2, "the limit is 7 days"},
		{"bad duration", sreEnv, []string{"prescale", "--service", "api=5", "--for", "soon"}, 2, "want a duration like 90m, 2h or 1d"},
		{"negative duration", sreEnv, []string{"prescale", "--service", "api=5", "--for", "-1h"}, 2, "must be positive"},
		{"cancel with window", sreEnv, []string{"prescale", "--cancel", "--service", "api", "--for", "1h"}, 2, "--cancel takes only --service"},
		{"no cluster", []string{"FASTSCALER_CAPACITY=api:250"}, []string{"status"}, 2, "FASTSCALER_CLUSTER: required"},
		{"pause without reason", sreEnv, []string{"pause", "--service", "api"}, 2, "--reason is required"},
		{"pause unknown service", sreEnv, []string{"pause", "--service", "web", "--reason", "x"}, 2, `service "web" is not scaled`},
		{"resume with count", sreEnv, []string{"resume", "--service", "api=3"}, 2, "want a service name only"},
		{"missing in ECS", append(append([]string(nil), sreEnv...), "FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250,ghost:100"),
			[]string{"prescale", "--service", "api=10", "--service", "ghost=5", "--for", "1h"}, 1, "service not found in cluster prod: ghost (MISSING)"},
		{"unknown cluster", sreEnv, []string{"prescale", "--service", "api=10", "--for", "1h", "--cluster", "nope"}, 1, "check FASTSCALER_CLUSTER or --cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(mutations(u))
			r := runEnv(t, u, tt.env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.message) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", r.code, r.stderr, tt.code, tt.message)
			}
			if n := len(mutations(u)) - before; n != 0 {
				t.Errorf("bad input made %d changes in ECS", n)
			}
		})
	}
}

func TestAWSErrors(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	u.ECS.FailNext("DescribeServices", "AccessDeniedException", 400, 1)
	if r := run(t, u, "status"); r.code != 1 || !strings.Contains(r.stderr, "AccessDeniedException") || !strings.Contains(r.stderr, "IAM policy") {
		t.Errorf("access denied: exit %d %q, want 1 with the IAM hint", r.code, r.stderr)
	}
	u.ECS.FailNext("UpdateService", "AccessDeniedException", 400, 1)
	r := run(t, u, "prescale", "--service", "api=10", "--service", "router=5", "--for", "1h")
	if r.code != 1 || !strings.Contains(r.stdout, "api") || !strings.Contains(r.stdout, "not raised yet") {
		t.Errorf("a failing prescale must show what it did: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	u.ECS.FailNext("UpdateService", "ThrottlingException", 400, 2)
	if r := run(t, u, "prescale", "--service", "api=12", "--for", "1h"); r.code != 0 || u.Desired("api") != 12 {
		t.Errorf("throttled twice: exit %d %q, desired %d; want the SDK to retry and succeed", r.code, r.stderr, u.Desired("api"))
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if r := run(t, u, "status"); r.code != 1 || !strings.Contains(r.stderr, "no AWS credentials") {
		t.Errorf("no credentials: exit %d %q, want 1 with a hint", r.code, r.stderr)
	}
	t.Setenv("AWS_REGION", "")
	if r := run(t, u, "status"); r.code != 2 || !strings.Contains(r.stderr, "set AWS_REGION") {
		t.Errorf("no region: exit %d %q, want 2 naming AWS_REGION", r.code, r.stderr)
	}
}

func TestStatus(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	u.Run(1000, 6*time.Minute)
	u.Run(10000, 30*time.Second)
	mustRun(t, u, "prescale", "--service", "api=60", "--for", "90m", "--reason", "final")
	mustRun(t, u, "pause", "--service", "router", "--reason", "canary rollout")
	u.Run(10000, 11*time.Second) // the daemon reads the new tags and flushes its own

	daemon := httptest.NewServer(u.D.Handler())
	defer daemon.Close()
	r := run(t, u, "status", "--status-url", daemon.URL+"/status")
	if r.code != 0 {
		t.Fatalf("status exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"SERVICE", "DESIRED", "RUNNING", "api-canary", "60 until 21:36Z (1h30m left)", "floor: final",
		"paused: canary rollout", "daemon: surge:", "up ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status output lacks %q:\n%s", want, r.stdout)
		}
	}
	byName := statusJSON(t, run(t, u, "status", "--json"))
	if api := byName["api"]; api.Floor != 60 || !api.FloorActive || api.Desired < 60 || api.LastAction == "" || api.LastScaleOut == nil {
		t.Errorf("api in --json = %+v", api)
	}
	if rt := byName["router"]; !rt.Paused || rt.PauseUntil != nil || rt.PauseReason != "canary rollout" {
		t.Errorf("router in --json = %+v", rt)
	}
	if r := run(t, u, "status", "--status-url", "http://127.0.0.1:1/status"); r.code != 0 || !strings.Contains(r.stdout, "daemon: unreachable") {
		t.Errorf("status with an unreachable daemon = %d:\n%s", r.code, r.stdout)
	}

	// An ended floor and an expired pause stay in the tags: status shows them as such, and notes neither.
	mustRun(t, u, "pause", "--service", "api-canary", "--for", "30m", "--reason", "INC-2041")
	u.Clock.Advance(95 * time.Minute)
	r = run(t, u, "status")
	for _, want := range []string{"60 ended 5m ago", "paused: canary rollout"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, gone := range []string{"floor: final", "INC-2041", "until"} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("status output still shows %q:\n%s", gone, r.stdout)
		}
	}
	byName = statusJSON(t, run(t, u, "status", "--json"))
	if api := byName["api"]; api.Floor != 60 || api.FloorActive || api.FloorUntil == nil || api.FloorReason != "final" {
		t.Errorf("api in --json after its floor ended = %+v", api)
	}
	if c := byName["api-canary"]; c.Paused || c.PauseUntil == nil || c.PauseReason != "INC-2041" {
		t.Errorf("api-canary in --json after its pause expired = %+v", c)
	}
}

func TestPrescaleWait(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{StartDelay: 40 * time.Second})
	awsEnv(t, u)
	r := waitRun(t, u, "prescale", "--service", "api=10", "--for", "1h", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "api running 4/10 (pending 6)") || !strings.Contains(r.stdout, "every service runs at least its floor") {
		t.Errorf("--wait = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	u2 := daemontest.New(t, daemontest.Options{StartDelay: 10 * time.Minute})
	awsEnv(t, u2)
	r = waitRun(t, u2, "prescale", "--service", "api=10", "--for", "1h", "--wait", "--wait-timeout", "30s")
	if r.code != 1 || !strings.Contains(r.stderr, "timed out after 30s") {
		t.Errorf("--wait past its timeout = %d: %s", r.code, r.stderr)
	}
}

// waitRun runs a command that waits on the fake clock, stepping the clock each time the command has read ECS.
func waitRun(t *testing.T, u *daemontest.Unit, args ...string) result {
	t.Helper()
	return waitRunEnv(t, u, sreEnv, args...)
}

// waitRunEnv is waitRun with the given environment.
func waitRunEnv(t *testing.T, u *daemontest.Unit, environ []string, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runEnv(t, u, environ, args...) }()
	reads := func() int {
		n := 0
		for _, c := range u.ECS.Calls() {
			if c.Op == "DescribeServices" {
				n++
			}
		}
		return n
	}
	seen := reads()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case r := <-done:
			return r
		default:
		}
		if n := reads(); n > seen {
			seen = n
			u.Clock.Advance(5 * time.Second)
		}
		time.Sleep(time.Millisecond) // yield to the command's goroutine; the fake clock decides what it sees
	}
	t.Fatal("command did not finish")
	return result{}
}

func TestHelp(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	r := run(t, u, "--help")
	for _, c := range []string{"run", "prescale", "status", "pause", "resume", "healthcheck", "version", "Exit codes"} {
		if !strings.Contains(r.stdout, c) {
			t.Errorf("--help lacks %q", c)
		}
	}
	for _, c := range []string{"run", "prescale", "status", "pause", "resume", "healthcheck", "version"} {
		r := run(t, u, "help", c)
		if r.code != 0 || !strings.Contains(r.stdout, "Example") || !strings.Contains(r.stdout, "Usage: fastscaler "+c) {
			t.Errorf("help %s = %d:\n%s", c, r.code, r.stdout)
		}
	}
	if r := run(t, u, "prescale", "-h"); r.code != 0 || !strings.Contains(r.stdout, "--wait-timeout") {
		t.Errorf("prescale -h = %d:\n%s", r.code, r.stdout)
	}
}

// TestPrescaleRaisesAASMinCapacity: where Application Auto Scaling owns a service's count, prescale raises its
// MinCapacity with the count, so AAS cannot scale below the floor while no daemon runs; the daemon then brings
// MinCapacity back to the owner's after the floor, step by step.
func TestPrescaleRaisesAASMinCapacity(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Scalable: map[string]daemontest.Scalable{"api": {Min: 4, Max: 60, TargetCPU: 70}}})
	awsEnv(t, u)
	if r := run(t, u, "prescale", "--service", "api=70", "--for", "1h"); r.code != 2 || !strings.Contains(r.stderr, "MaxCapacity 60") {
		t.Errorf("prescale above MaxCapacity: exit %d, stderr %q; want 2 naming MaxCapacity 60", r.code, r.stderr)
	}
	if len(mutations(u)) != 0 || u.MinCapacity("api") != 4 {
		t.Fatalf("a refused prescale changed something: %v, MinCapacity %d", mutations(u), u.MinCapacity("api"))
	}
	r := run(t, u, "prescale", "--service", "api=20", "--service", "router=4", "--for", "30m")
	if r.code != 0 {
		t.Fatalf("prescale exit %d: %s", r.code, r.stderr)
	}
	if got, m := u.Desired("api"), u.MinCapacity("api"); got != 20 || m != 20 {
		t.Errorf("api desired %d, MinCapacity %d; want 20 and 20", got, m)
	}
	if !strings.Contains(r.stdout, "MinCapacity 4 → 20") {
		t.Errorf("output does not say MinCapacity was raised:\n%s", r.stdout)
	}
	if got := state(u, "api").AAS; !got.HasOwner || got.Owner != 4 {
		t.Errorf("owner's MinCapacity recorded %+v, want 4", got)
	}
	// AAS sees idle tasks and tries to scale in: MinCapacity holds the floor.
	if _, n, err := u.AAS.Evaluate(daemontest.ResourceID("api"), 10); err != nil || n != 20 {
		t.Errorf("AAS evaluation under the floor: %d, %v; want 20 kept", n, err)
	}
	// A daemon runs through the floor's end and the cooldown; MinCapacity goes back to the owner's 4.
	u.Run(1000, 60*time.Minute)
	if m := u.MinCapacity("api"); m != 4 {
		t.Errorf("MinCapacity %d an hour later, want the owner's 4", m)
	}
	if got := u.Desired("api"); got != 4 {
		t.Errorf("api desired %d an hour later, want 4", got)
	}
}

// TestStatusShowsAASTargets: status shows a scalable target's range and who holds MinCapacity up.
func TestStatusShowsAASTargets(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Scalable: map[string]daemontest.Scalable{"api": {Min: 4, Max: 60, TargetCPU: 70}}})
	awsEnv(t, u)
	if r := run(t, u, "prescale", "--service", "api=20", "--for", "1h"); r.code != 0 {
		t.Fatalf("prescale exit %d: %s", r.code, r.stderr)
	}
	r := run(t, u, "status")
	if r.code != 0 || !strings.Contains(r.stdout, "api: ") ||
		!strings.Contains(r.stdout, "Application Auto Scaling MinCapacity 20, MaxCapacity 60 (held up by fastscaler; the owner's minimum is 4)") {
		t.Errorf("status exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, u, "status", "--json")
	var rep cli.StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Services {
		want := (*cli.AASReport)(nil)
		if s.Service == "api" {
			want = &cli.AASReport{MinCapacity: 20, MaxCapacity: 60, OwnerMin: 4}
		}
		if diff := cmp.Diff(want, s.AAS); diff != "" {
			t.Errorf("%s aas (-want +got):\n%s", s.Service, diff)
		}
	}
}
