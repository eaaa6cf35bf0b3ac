package cli_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/daemontest"
)

// TestREADMESessions replays every console session of the README marked `<!-- session: NAME -->` through the CLI,
// against the ECS fake through the real SDK, with the README's example environment, and compares each command's
// output with the README's, timestamps and spacing aside. A session that drifts from the real output fails here.
func TestREADMESessions(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sessions := regexp.MustCompile("(?s)<!-- session: ([a-z-]+) -->\\s*```console\\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(sessions) < 2 {
		t.Fatalf("found %d README sessions marked <!-- session: NAME -->, want the SRE sessions", len(sessions))
	}
	environ := append(readmeEnv(t, readme), "USER=alice")
	for _, s := range sessions {
		t.Run(string(s[1]), func(t *testing.T) {
			u := daemontest.New(t, daemontest.Options{StartDelay: 40 * time.Second, Routers: 2})
			awsEnv(t, u)
			for _, step := range parseSession(string(s[2])) {
				args := splitCommand(t, step.command)
				var r result
				if strings.Contains(step.command, "--wait") {
					r = waitRunEnv(t, u, environ, args...)
				} else {
					r = runEnv(t, u, environ, args...)
				}
				got := r.stdout + r.stderr
				if r.code != 0 {
					got += "[exit " + strconv.Itoa(r.code) + "]\n"
				}
				if diff := cmp.Diff(normalize(step.output), normalize(got)); diff != "" {
					t.Errorf("$ %s: the README's output differs from the real one (-README +real):\n%s\nreal output:\n%s", step.command, diff, got)
				}
				u.Clock.Advance(4 * time.Second)
			}
		})
	}
}

type sessionStep struct{ command, output string }

func parseSession(block string) []sessionStep {
	var steps []sessionStep
	for _, line := range strings.SplitAfter(block, "\n") {
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, sessionStep{command: strings.TrimSpace(cmd)})
			continue
		}
		if len(steps) > 0 {
			steps[len(steps)-1].output += line
		}
	}
	return steps
}

// splitCommand splits `fastscaler prescale --reason "World Cup final"` into the CLI's arguments.
func splitCommand(t *testing.T, cmd string) []string {
	var args []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(cmd, -1) {
		if m[2] != "" {
			args = append(args, m[2])
		} else {
			args = append(args, m[1])
		}
	}
	if len(args) == 0 || args[0] != "fastscaler" {
		t.Fatalf("session command %q does not run fastscaler", cmd)
	}
	return args[1:]
}

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`\b\d\d:\d\d(:\d\d)?Z?\b`), "<clock>"},
	{regexp.MustCompile(`\b\d+h\d\dm\b|\b\d+m\d\ds\b|\b\d+m\b`), "<span>"},
	{regexp.MustCompile(`[ \t]+`), " "},
	{regexp.MustCompile(` *\n`), "\n"},
}

// normalize takes out what differs between two honest runs: the times, the spans that follow from them, and the
// spacing of table columns whose widths follow from them.
func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return strings.TrimSpace(s)
}

// readmeEnv is the README's example environment (the block after <!-- example-env -->).
func readmeEnv(t *testing.T, readme []byte) []string {
	m := regexp.MustCompile("(?s)<!-- example-env -->\\s*```sh\\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```sh block after <!-- example-env -->")
	}
	var env []string
	for _, line := range strings.Split(string(m[1]), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env = append(env, k+"="+strings.Trim(v, `'"`))
	}
	return env
}
