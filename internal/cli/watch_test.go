package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/internal/cli"
	"github.com/fastscaler/fastscaler/internal/daemontest"
)

// frames is a Stdout that hands each Write (status --watch writes one per snapshot) to the test.
type frames chan string

func (f frames) Write(p []byte) (int, error) { f <- string(p); return len(p), nil }

// watch is a running `fastscaler status --watch`, stepped by the unit's fake clock.
type watch struct {
	frames frames
	cancel context.CancelFunc
	done   chan result
}

func startWatch(t *testing.T, u *daemontest.Unit, terminal bool, args ...string) *watch {
	t.Helper()
	return startWatchEnv(t, u, terminal, sreEnv, append([]string{"status", "--watch"}, args...)...)
}

// startWatchEnv runs the command args (a status --watch) with environ until stopped.
func startWatchEnv(t *testing.T, u *daemontest.Unit, terminal bool, environ []string, args ...string) *watch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{frames: make(frames, 8), cancel: cancel, done: make(chan result, 1)}
	go func() {
		var errb bytes.Buffer
		code := cli.Main(ctx, cli.Env{Args: args, Environ: environ,
			Stdout: w.frames, Stderr: &errb, Version: "test", Clock: u.Clock, Terminal: func() bool { return terminal }})
		w.done <- result{code: code, stderr: errb.String()}
	}()
	t.Cleanup(cancel)
	return w
}

// next returns the next snapshot; the deadline only guards against a hung command.
func (w *watch) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-w.frames:
		return s
	case r := <-w.done:
		t.Fatalf("status --watch ended by itself: exit %d: %s", r.code, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("no snapshot within 30s")
	}
	return ""
}

// stop interrupts the watch as Ctrl-C does (main cancels the context on SIGINT and SIGTERM) and returns its result.
func (w *watch) stop(t *testing.T) result {
	t.Helper()
	w.cancel()
	select {
	case r := <-w.done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("status --watch did not stop when interrupted")
		return result{}
	}
}

// stopCleanly stops the watch as stop does, and fails the test unless it exits 0 with nothing on stderr.
func (w *watch) stopCleanly(t *testing.T) {
	t.Helper()
	if r := w.stop(t); r.code != 0 || r.stderr != "" {
		t.Errorf("interrupted watch: exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
}

var apiRow = regexp.MustCompile(`(?m)^api +(\d+) +(\d+) +(\d+) `)

// apiDesired reads api's DESIRED column from a snapshot.
func apiDesired(t *testing.T, snapshot string) string {
	t.Helper()
	m := apiRow.FindStringSubmatch(snapshot)
	if m == nil {
		t.Fatalf("no api row in the snapshot:\n%s", snapshot)
	}
	return m[1]
}

// TestStatusWatchAppendsSnapshots: off a terminal, every interval appends a timestamped snapshot that shows what
// changed in ECS; an AWS error is shown in its snapshot and the watch goes on; Ctrl-C exits 0.
func TestStatusWatchAppendsSnapshots(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	w := startWatch(t, u, false, "--interval", "3s")
	first := w.next(t)
	if got := apiDesired(t, first); got != "4" {
		t.Errorf("first snapshot: api desired %s, want 4:\n%s", got, first)
	}
	if !strings.HasPrefix(first, "cluster "+daemontest.Cluster+" at "+daemontest.T0.Format(time.RFC3339)+"\n") {
		t.Errorf("first snapshot is not headed by the cluster and its time:\n%s", first)
	}

	if err := u.ECS.SetDesiredCount(daemontest.Cluster, "api", 9); err != nil {
		t.Fatal(err)
	}
	u.Clock.Advance(3 * time.Second)
	second := w.next(t)
	if got := apiDesired(t, second); got != "9" {
		t.Errorf("after desiredCount 9: api desired %s:\n%s", got, second)
	}
	if !strings.HasPrefix(second, "\ncluster "+daemontest.Cluster+" at "+daemontest.T0.Add(3*time.Second).Format(time.RFC3339)+"\n") {
		t.Errorf("second snapshot is not a new timestamped block after a blank line:\n%q", second)
	}

	u.ECS.FailNext("DescribeServices", "AccessDeniedException", 400, 1)
	u.Clock.Advance(3 * time.Second)
	failed := w.next(t)
	if !strings.Contains(failed, "ECS: not read: ") || !strings.Contains(failed, "AccessDeniedException") ||
		!strings.Contains(failed, "IAM policy") || strings.Contains(failed, "SERVICE") {
		t.Errorf("a failed read's snapshot should say why, with the hint, and no table:\n%s", failed)
	}
	u.Clock.Advance(3 * time.Second)
	if got := apiDesired(t, w.next(t)); got != "9" {
		t.Errorf("after the error: api desired %s, want 9 again", got)
	}

	w.stopCleanly(t)
	for _, s := range []string{first, second, failed} {
		if strings.Contains(s, "\x1b") {
			t.Errorf("escape sequence off a terminal: %q", s)
		}
	}
}

// TestStatusWatchRedrawsOnTerminal: on a terminal each snapshot is drawn over the last one.
func TestStatusWatchRedrawsOnTerminal(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	w := startWatch(t, u, true)
	first := w.next(t)
	if !strings.HasPrefix(first, "\x1b[2J\x1b[H") || !strings.HasSuffix(first, "\x1b[K\n\x1b[J") {
		t.Errorf("first frame should clear the screen, draw from the top, and clear below:\n%q", first)
	}
	if !strings.Contains(first, "refreshing every 2s; Ctrl-C to stop") {
		t.Errorf("first frame lacks the footer:\n%q", first)
	}
	if err := u.ECS.SetDesiredCount(daemontest.Cluster, "api", 7); err != nil {
		t.Fatal(err)
	}
	u.Clock.Advance(2 * time.Second)
	second := w.next(t)
	if !strings.HasPrefix(second, "\x1b[H") || strings.Contains(second, "\x1b[2J") {
		t.Errorf("later frames redraw from the top without clearing the screen first (no flicker):\n%q", second)
	}
	for _, line := range strings.Split(strings.TrimSuffix(second, "\n\x1b[J"), "\n") {
		if !strings.HasSuffix(line, "\x1b[K") {
			t.Errorf("line %q is not erased to its end: a longer line of the previous frame would show through", line)
		}
	}
	if got := apiDesired(t, strings.ReplaceAll(strings.TrimPrefix(second, "\x1b[H"), "\x1b[K", "")); got != "7" {
		t.Errorf("redrawn frame: api desired %s, want 7", got)
	}
	w.stopCleanly(t)
}

// TestStatusWatchShowsTheDaemon: with --status-url, each snapshot has the daemon's mode, role and reason; a
// daemon that fails once is shown as unreachable in that snapshot only.
func TestStatusWatchShowsTheDaemon(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	u.Run(1000, 2*time.Minute)
	var failing atomic.Bool
	daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Swap(false) {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		u.D.Handler().ServeHTTP(w, r)
	}))
	defer daemon.Close()
	w := startWatch(t, u, false, "--status-url", daemon.URL+"/status")
	daemonLine := regexp.MustCompile(`(?m)^daemon: [a-z-]+: .+ \(role: single\)$`)
	if s := w.next(t); !daemonLine.MatchString(s) {
		t.Errorf("snapshot lacks the daemon's mode, reason and role:\n%s", s)
	}
	failing.Store(true)
	u.Clock.Advance(2 * time.Second)
	if s := w.next(t); !strings.Contains(s, "daemon: unreachable: "+daemon.URL+"/status answered 503") || apiRow.FindString(s) == "" {
		t.Errorf("snapshot while the daemon fails should say so and still show ECS:\n%s", s)
	}
	u.Clock.Advance(2 * time.Second)
	if s := w.next(t); !daemonLine.MatchString(s) {
		t.Errorf("the watch did not recover the daemon:\n%s", s)
	}
	w.stopCleanly(t)
}

// TestStatusWatchJSONLines: --watch --json appends one JSON report per line, with the daemon's role.
func TestStatusWatchJSONLines(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{})
	awsEnv(t, u)
	u.Run(1000, time.Minute)
	daemon := httptest.NewServer(u.D.Handler())
	defer daemon.Close()
	w := startWatch(t, u, true, "--json", "--status-url", daemon.URL+"/status") // a terminal, but JSON is for scripts
	for i := range 2 {
		s := w.next(t)
		if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
			t.Fatalf("snapshot %d is not one line:\n%q", i, s)
		}
		var rep cli.StatusReport
		if err := json.Unmarshal([]byte(s), &rep); err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
		if want := daemontest.T0.Add(time.Minute + time.Duration(i)*2*time.Second); !rep.Time.Equal(want) || len(rep.Services) != 3 ||
			rep.Daemon == nil || rep.Daemon.Role != "single" || rep.Daemon.Mode == "" {
			t.Errorf("snapshot %d = %+v (daemon %+v), want time %s, 3 services, the daemon's mode and role", i, rep, rep.Daemon, want)
		}
		u.Clock.Advance(2 * time.Second)
	}
	w.stopCleanly(t)
}

func TestStatusWatchFlags(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--watch", "--interval", "100ms"}, "fastscaler status: --interval 100ms is too short: at least 500ms\n"},
		{[]string{"status", "--watch", "--interval", "-2s"}, "fastscaler status: --interval -2s is too short: at least 500ms\n"},
		{[]string{"status", "--interval", "2s"}, "fastscaler status: --interval needs --watch\n"},
		{[]string{"status", "--watch", "--interval", "soon"}, `fastscaler status: invalid value "soon" for flag -interval: parse error` + "\n"},
	} {
		calls := len(u.ECS.Calls())
		// Interrupted already: a watch that wrongly started ends at once instead of hanging the test.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb bytes.Buffer
		code := cli.Main(ctx, cli.Env{Args: tc.args, Environ: sreEnv, Stdout: &out, Stderr: &errb, Clock: u.Clock})
		if r := (result{code, out.String(), errb.String()}); r.code != 2 || r.stderr != tc.want || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
		if len(u.ECS.Calls()) != calls {
			t.Errorf("%v called ECS", tc.args)
		}
	}
}
