package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/internal/daemontest"
	"github.com/fastscaler/fastscaler/internal/readmetest"
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
	environ := append(readmeEnv(t), "USER=alice")
	envFile := readmetest.Block(t, "../../README.md", "<!-- env-file: fastscaler.env -->", "sh") // the walk-through's
	for _, s := range sessions {
		t.Run(string(s[1]), func(t *testing.T) {
			environ := environ
			o := daemontest.Options{StartDelay: 40 * time.Second, Routers: 2}
			dir := t.TempDir() // what a session writes (a chart under docs/) goes here
			if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			if !strings.Contains(string(s[2]), "$ fastscaler ") {
				environ = nil // the simulator's session: every default, no AWS, nothing in the shell
			}
			if strings.Contains(string(s[2]), "--env-file") {
				// The walk-through: the shell holds nothing; the settings come from the file Terraform rendered.
				if err := os.WriteFile(filepath.Join(dir, "fastscaler.env"), envFile, 0o600); err != nil {
					t.Fatal(err)
				}
				environ = []string{"USER=alice"}
				vars, err := config.ParseEnvFile("fastscaler.env", envFile)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vars {
					if v.Key == "AWS_REGION" {
						o.Region = v.Value // the CLI signs for the file's region
					}
				}
			}
			u := daemontest.New(t, o)
			awsEnv(t, u)
			for _, step := range parseSession(string(s[2])) {
				args := splitCommand(t, step.command)
				var r result
				switch {
				case strings.Contains(step.command, "--watch"):
					r = watchSession(t, u, environ, step.output, args)
				case strings.Contains(step.command, "--wait"):
					r = waitRunEnv(t, u, environ, args...)
				default:
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

// watchSession runs a `status --watch` for as many snapshots as the README shows, advancing the fake clock by the
// interval between them, then interrupts it as Ctrl-C does (the README's last line, ^C, is the interrupt).
func watchSession(t *testing.T, u *daemontest.Unit, environ []string, readmeOutput string, args []string) result {
	t.Helper()
	interval := 2 * time.Second
	for i, a := range args {
		if a == "--interval" && i+1 < len(args) {
			d, err := time.ParseDuration(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			interval = d
		}
	}
	snapshots := strings.Count(readmeOutput, "cluster ")
	w := startWatchEnv(t, u, false, environ, args...)
	var out strings.Builder
	for i := range snapshots {
		if i > 0 {
			u.Clock.Advance(interval)
		}
		out.WriteString(w.next(t))
	}
	r := w.stop(t)
	r.stdout = out.String() + r.stdout + "^C\n"
	return r
}

// TestREADMEEnvFileIsTheModules: the env file the README shows is what the Terraform module renders for
// examples/complete (its recorded plan), for a cluster named prod instead of the test's fastscaler-test.
func TestREADMEEnvFileIsTheModules(t *testing.T) {
	envFile := readmetest.Block(t, "../../README.md", "<!-- env-file: fastscaler.env -->", "sh")
	b, err := os.ReadFile("../../terraform/testdata/complete.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Outputs struct {
			EnvFile struct {
				Values string `json:"values"`
			} `json:"fastscaler_env_file"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &plan); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(plan.Outputs.EnvFile.Values, "fastscaler-test", "prod")
	if want == "" {
		t.Fatal("the recorded plan has no fastscaler_env_file output")
	}
	if diff := cmp.Diff(want, string(envFile)); diff != "" {
		t.Errorf("the README's env file differs from the module's (-module +README):\n%s", diff)
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
	cmd = strings.Replace(cmd, "go run ./cmd/fastscaler", "fastscaler", 1)
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
	{regexp.MustCompile(`simulated in [0-9.]+[µmn]?s`), "simulated in <elapsed>"},
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
func readmeEnv(t *testing.T) []string {
	vars, err := config.ParseEnvFile("README.md example-env", readmetest.Block(t, "../../README.md", "<!-- example-env -->", "sh"))
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, v := range vars {
		env = append(env, v.Key+"="+v.Value)
	}
	return env
}
