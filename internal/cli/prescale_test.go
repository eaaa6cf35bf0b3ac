package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/daemontest"
)

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
