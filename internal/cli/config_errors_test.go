package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/cli"
	"github.com/fastscaler/fastscaler/internal/daemontest"
)

// TestConfigErrorsExitTwoOneLineEach: every configuration problem is reported in one run, one line each, naming the
// command and the variable (no dangling first line), and the exit code is 2 before any AWS call.
func TestConfigErrorsExitTwoOneLineEach(t *testing.T) {
	base := []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router", "FASTSCALER_CAPACITY=router:1000,api:250"}
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"run", []string{"run"}, []string{"FASTSCALER_POLL_TIMEOUT=2s", "FASTSCALER_DRY_RUN=yes", "FASTSCALER_LISTEN=localhost"},
			`fastscaler run: FASTSCALER_DRY_RUN: "yes" is not true or false
fastscaler run: FASTSCALER_LISTEN: "localhost" must be :PORT, IP:PORT or localhost:PORT (e.g. :9090, 127.0.0.1:9090)
fastscaler run: FASTSCALER_POLL_TIMEOUT: 2s must be shorter than FASTSCALER_POLL_INTERVAL (2s), or poll cycles overlap
`},
		{"status", []string{"status"}, []string{"FASTSCALER_CAPACITY=router:-5,api:abc"},
			`fastscaler status: FASTSCALER_CAPACITY: api:abc: "abc" is not a number
fastscaler status: FASTSCALER_CAPACITY: router:-5 must be > 0
`},
		{"prescale", []string{"prescale", "--service", "api=10", "--for", "1h"}, []string{"FASTSCALER_WEIGHTS=api:90,api-canary:30", "FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250"},
			"fastscaler prescale: FASTSCALER_WEIGHTS: api:90 + api-canary:30 add up to 120%, not 100%: name every service of the split " +
				"(e.g. api:90,api-canary:10), or set FASTSCALER_ALLOW_ANY_WEIGHT_SUM=true if they really receive these shares " +
				"(two independent splits, or traffic to a service fastscaler does not scale)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			environ := append(append([]string{"AWS_ENDPOINT_URL_ECS=http://127.0.0.1:1"}, base...), tt.env...)
			code := cli.Main(context.Background(), cli.Env{Args: tt.args, Environ: environ, Stdout: &out, Stderr: &errb,
				Version: "test", Terminal: func() bool { return false }})
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", code, cli.ExitUsage)
			}
			if diff := cmp.Diff(tt.want, errb.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWarnings: a variable this version does not know is ignored with a warning (a rollback still runs), and an
// environment variable that overrides a different value of the env file is said aloud.
func TestWarnings(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	r := runEnv(t, u, append(append([]string(nil), sreEnv...), "FASTSCALER_SOMETHING_NEW=1"), "status")
	if r.code != 0 || r.stderr != "fastscaler: warning: FASTSCALER_SOMETHING_NEW is not a setting of this version (test); ignored\n" {
		t.Errorf("status with an unknown variable: exit %d, stderr %q", r.code, r.stderr)
	}
	var out, errb bytes.Buffer
	cli.Main(context.Background(), cli.Env{Args: []string{"simulate", "--policies", "fastscaler", "--chart", ""},
		Environ: []string{"FASTSCALER_SOMETHING_NEW=1"}, Stdout: &out, Stderr: &errb, Version: "test", Terminal: func() bool { return false }})
	if !strings.Contains(errb.String(), "FASTSCALER_SOMETHING_NEW is not a setting of this version") {
		t.Errorf("simulate with an unknown variable: stderr %q, want the warning", errb.String())
	}
	file := filepath.Join(t.TempDir(), "fastscaler.env")
	if err := os.WriteFile(file, []byte("FASTSCALER_MAX_TASKS=api:120\nFASTSCALER_CLUSTER="+daemontest.Cluster+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runEnv(t, u, append(append([]string(nil), sreEnv...), "FASTSCALER_MAX_TASKS=api:200"), "status", "--env-file", file)
	want := "fastscaler: warning: FASTSCALER_MAX_TASKS=api:200 from the environment overrides FASTSCALER_MAX_TASKS=api:120 of " + file + "\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("status with the environment overriding the env file: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
}

// TestSimulateFlagErrorsNameTheFlag: a bad --lead-time is reported as the flag the SRE typed.
func TestSimulateFlagErrorsNameTheFlag(t *testing.T) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{Args: []string{"simulate", "--lead-time", "abc"}, Stdout: &out, Stderr: &errb,
		Version: "test", Terminal: func() bool { return false }})
	want := `fastscaler simulate: --lead-time (FASTSCALER_LEAD_TIME): "abc" is not a duration (e.g. 1.5s, 90s, 10m)` + "\n"
	if code != cli.ExitUsage || errb.String() != want {
		t.Errorf("exit %d, stderr %q; want %d, %q", code, errb.String(), cli.ExitUsage, want)
	}
}

// TestEmptyEnvironmentKeepsTheFile: an empty variable in the shell is unset, so the env file's value applies.
func TestEmptyEnvironmentKeepsTheFile(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	file := filepath.Join(t.TempDir(), "fastscaler.env")
	if err := os.WriteFile(file, []byte("FASTSCALER_MAX_TASKS=api:120\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, u, append(append([]string(nil), sreEnv...), "FASTSCALER_MAX_TASKS="), "prescale", "--env-file", file,
		"--service", "api=110", "--for", "1h")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("prescale api=110 under the file's max of 120, with MAX_TASKS= in the shell: exit %d, stderr %q", r.code, r.stderr)
	}
}
