package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastscaler/fastscaler/internal/cli"
	"github.com/fastscaler/fastscaler/internal/daemontest"
)

// writeEnvFile writes a fastscaler.env in a new directory and returns its path.
func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fastscaler.env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sreEnvFile is sreEnv's FASTSCALER_* as Terraform's fastscaler_env_file would render them, in the dotenv forms.
const sreEnvFile = `# fastscaler settings of cluster ` + daemontest.Cluster + `
export FASTSCALER_CLUSTER="` + daemontest.Cluster + `"
FASTSCALER_CAPACITY='router:1000,api:250,api-canary:250'

FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1   # the daemon's bounds
FASTSCALER_MAX_TASKS="router:40,api:200,api-canary:40" # quoted, then a comment
FASTSCALER_LOG_LEVEL=info
`

func statusJSON(t *testing.T, r result) map[string]cli.ServiceReport {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("status exit %d: %s", r.code, r.stderr)
	}
	var rep cli.StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v:\n%s", err, r.stdout)
	}
	out := map[string]cli.ServiceReport{}
	for _, s := range rep.Services {
		out[s.Service] = s
	}
	return out
}

// TestEnvFileSuppliesTheConfiguration: a shell with no FASTSCALER_* runs the commands from --env-file, placed
// before or after the command, or from FASTSCALER_ENV_FILE; the environment wins over the file.
func TestEnvFileSuppliesTheConfiguration(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	path := writeEnvFile(t, sreEnvFile)
	bare := []string{"USER=alice"}
	if r := runEnv(t, u, bare, "status"); r.code != 2 || !strings.Contains(r.stderr, "FASTSCALER_CLUSTER") {
		t.Fatalf("without the file: exit %d %q; want 2 naming FASTSCALER_CLUSTER", r.code, r.stderr)
	}
	for name, tc := range map[string]struct {
		environ []string
		args    []string
	}{
		"after the command":   {bare, []string{"status", "--json", "--env-file", path}},
		"with =":              {bare, []string{"status", "--env-file=" + path, "--json"}},
		"before the command":  {bare, []string{"--env-file", path, "status", "--json"}},
		"FASTSCALER_ENV_FILE": {append(bare, "FASTSCALER_ENV_FILE="+path), []string{"status", "--json"}},
		"the flag wins":       {append(bare, "FASTSCALER_ENV_FILE=/nonexistent.env"), []string{"status", "--json", "-env-file", path}},
	} {
		got := statusJSON(t, runEnv(t, u, tc.environ, tc.args...))
		if api := got["api"]; api.Desired != 4 || api.Min != 4 || api.Max != 200 || len(got) != 3 {
			t.Errorf("%s: status = %+v", name, got)
		}
	}
	// A variable of the environment wins over the file's; an empty one is unset, as everywhere in the configuration.
	environ := append(bare, "FASTSCALER_MAX_TASKS=router:30,api:150,api-canary:20")
	if api := statusJSON(t, runEnv(t, u, environ, "status", "--json", "--env-file", path))["api"]; api.Max != 150 {
		t.Errorf("api max %d, want the environment's 150 over the file's 200", api.Max)
	}
	environ = append(bare, "FASTSCALER_MAX_TASKS=")
	if api := statusJSON(t, runEnv(t, u, environ, "status", "--json", "--env-file", path))["api"]; api.Max != 200 {
		t.Errorf("api max %d, want the file's 200: FASTSCALER_MAX_TASKS is empty, so unset, in the environment", api.Max)
	}
	// The other commands read it too.
	if r := runEnv(t, u, bare, "prescale", "--env-file", path, "--service", "api=6", "--for", "1h"); r.code != 0 || u.Desired("api") != 6 {
		t.Errorf("prescale --env-file: exit %d %s, api desired %d; want 0 and 6", r.code, r.stderr, u.Desired("api"))
	}
	if r := runEnv(t, u, bare, "pause", "--env-file", path, "--service", "api", "--reason", "test"); r.code != 0 {
		t.Errorf("pause --env-file: exit %d %s", r.code, r.stderr)
	}
	if r := runEnv(t, u, bare, "resume", "--env-file", path, "--service", "api"); r.code != 0 {
		t.Errorf("resume --env-file: exit %d %s", r.code, r.stderr)
	}
}

// TestEnvFileRegion: the file's AWS_REGION (Terraform's output has it) reaches the SDK, under the environment's.
func TestEnvFileRegion(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	t.Setenv("AWS_REGION", "")
	if r := run(t, u, "status", "--env-file", writeEnvFile(t, "FASTSCALER_LOG_LEVEL=info\n")); r.code != 2 || !strings.Contains(r.stderr, "set AWS_REGION") {
		t.Fatalf("no region anywhere: exit %d %q; want 2 naming AWS_REGION", r.code, r.stderr)
	}
	if r := run(t, u, "status", "--env-file", writeEnvFile(t, "AWS_REGION=us-east-1\n")); r.code != 0 {
		t.Errorf("region from the file: exit %d %s", r.code, r.stderr)
	}
}

// TestEnvFileErrors: a bad file names itself and the line, exits 2, and nothing calls AWS.
func TestEnvFileErrors(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	awsEnv(t, u)
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		content string
		args    []string
		want    string // stderr
	}{
		{"# ok\n\nFASTSCALER_CLUSTER\n", nil, "fastscaler status: fastscaler.env:3: want KEY=VALUE, got \"FASTSCALER_CLUSTER\"\n"},
		{"FASTSCALER_CLUSTER=a\nexport FASTSCALER_CLUSTER=b\n", nil, "fastscaler status: fastscaler.env:2: FASTSCALER_CLUSTER is already set on line 1\n"},
		{"FASTSCALER_CAPACITY=\"api:250\n", nil, "fastscaler status: fastscaler.env:1: FASTSCALER_CAPACITY: no closing \" in \"api:250\n"},
		{"A='x' y\n", nil, "fastscaler status: fastscaler.env:1: A: unexpected y after the closing quote\n"},
		{"1FASTSCALER=x\n", nil, "fastscaler status: fastscaler.env:1: \"1FASTSCALER\" is not a variable name (letters, digits and _, not starting with a digit)\n"},
		{"AWS_PROFILE=prod\n", nil, "fastscaler status: fastscaler.env:1: AWS_PROFILE is read by the AWS SDK from the environment only: export it instead\n"},
		{"", []string{"--env-file", "missing.env"}, "fastscaler status: reading the env file: open missing.env: no such file or directory\n"},
		{"", []string{"--env-file"}, "fastscaler: --env-file needs a file\n"},
		{"", []string{"--env-file", "a.env", "--env-file=b.env"}, "fastscaler: --env-file given twice\n"},
	} {
		if err := os.WriteFile(filepath.Join(dir, "fastscaler.env"), []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		args := tc.args
		if args == nil {
			args = []string{"--env-file", "fastscaler.env"}
		}
		calls := len(u.ECS.Calls())
		r := runEnv(t, u, []string{"USER=alice"}, append([]string{"status"}, args...)...)
		if r.code != 2 || r.stderr != tc.want {
			t.Errorf("%q %v: exit %d, stderr %q; want 2 and %q", tc.content, args, r.code, r.stderr, tc.want)
		}
		if len(u.ECS.Calls()) != calls {
			t.Errorf("%q: called ECS", tc.content)
		}
	}
}

func TestHelpShowsGlobalFlags(t *testing.T) {
	u := daemontest.New(t, daemontest.Options{Routers: 1})
	if r := run(t, u, "help", "status"); !strings.Contains(r.stdout, "--watch") || !strings.Contains(r.stdout, "--env-file FILE") {
		t.Errorf("help status lacks --watch or --env-file:\n%s", r.stdout)
	}
	if r := run(t, u, "prescale", "-h"); !strings.Contains(r.stdout, "--env-file FILE") {
		t.Errorf("prescale -h lacks --env-file:\n%s", r.stdout)
	}
	if r := run(t, u, "help"); !strings.Contains(r.stdout, "--env-file FILE") {
		t.Errorf("help lacks --env-file:\n%s", r.stdout)
	}
}
