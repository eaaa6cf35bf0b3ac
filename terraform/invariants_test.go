package terraform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// exampleDir is the configuration the tests plan, relative to the module root (this directory).
const exampleDir = "examples/complete"

// commandTimeout bounds one terraform command. A warm plan takes seconds; the first offline-terraform run may
// also build its schema-only provider.
const commandTimeout = 5 * time.Minute

// interfaceDefaults are the daemon's variables and defaults from ../shared/interface.md that the example leaves at
// their defaults. The module must pass every one of them to the container, unchanged.
var interfaceDefaults = map[string]string{
	"FASTSCALER_STATUS_PORT":       "8081",
	"FASTSCALER_STATUS_PATH":       "/nginx_status",
	"FASTSCALER_POLL_INTERVAL":     "2s",
	"FASTSCALER_POLL_TIMEOUT":      "1s",
	"FASTSCALER_SURGE_RATIO":       "1.5",
	"FASTSCALER_LEAD_TIME":         "75s",
	"FASTSCALER_SCALE_IN_COOLDOWN": "10m",
	"FASTSCALER_LISTEN":            ":9090",
	"FASTSCALER_LOG_LEVEL":         "info",
	"FASTSCALER_METRICS_NAMESPACE": "Fastscaler",
}

// interfaceRequired are the daemon's other variables: the module builds them from its inputs.
var interfaceRequired = []string{
	"FASTSCALER_CLUSTER", "FASTSCALER_ROUTER_SERVICE", "FASTSCALER_CAPACITY", "FASTSCALER_WEIGHTS",
	"FASTSCALER_MIN_TASKS", "FASTSCALER_MAX_TASKS", "FASTSCALER_DRY_RUN",
}

// scaledServiceActions are the ECS actions the daemon needs on the services it scales, and must have on nothing
// else.
var scaledServiceActions = []string{
	"ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService",
}

// noResourceLevelActions have no resource-level permissions in IAM, so Resource "*" is the only way to grant them.
// Any other action granted on "*" is a finding.
var noResourceLevelActions = map[string]bool{
	"ecr:GetAuthorizationToken":        true,
	"cloudwatch:PutMetricData":         true,
	"ssmmessages:CreateControlChannel": true,
	"ssmmessages:CreateDataChannel":    true,
	"ssmmessages:OpenControlChannel":   true,
	"ssmmessages:OpenDataChannel":      true,
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

func TestFormat(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	work := copyModule(t)
	out, err := tf.run(t, work, "fmt", "-check", "-recursive", "-diff", "-no-color")
	if err != nil {
		t.Fatalf("terraform fmt -check -recursive: files need formatting (run `terraform fmt -recursive terraform`):\n%s", out)
	}
}

func TestPlanInvariants(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	dir := initExample(t, tf)

	if out, err := tf.run(t, dir, "validate", "-no-color"); err != nil {
		t.Fatalf("terraform validate:\n%s", out)
	}
	p := tf.plan(t, dir, "invariants.tfplan")
	logResourceCounts(t, p)

	fsEnv := containerEnvironment(t, p, "FASTSCALER_CAPACITY")
	routerEnv := containerEnvironment(t, p, "CANARY_WEIGHT")
	cluster := fsEnv["FASTSCALER_CLUSTER"]
	scaled := mapKeys(t, "FASTSCALER_CAPACITY", fsEnv["FASTSCALER_CAPACITY"])
	statusPort, err := strconv.Atoi(fsEnv["FASTSCALER_STATUS_PORT"])
	if err != nil {
		t.Fatalf("FASTSCALER_STATUS_PORT=%q is not a port", fsEnv["FASTSCALER_STATUS_PORT"])
	}
	policies := iamPolicies(t, p)

	t.Run("fastscaler gets every FASTSCALER variable with the daemon's defaults", func(t *testing.T) {
		for _, name := range interfaceRequired {
			if fsEnv[name] == "" {
				t.Errorf("%s is missing from the fastscaler container's environment", name)
			}
		}
		for name, want := range interfaceDefaults {
			if got := fsEnv[name]; got != want {
				t.Errorf("%s = %q, want the daemon's default %q", name, got, want)
			}
		}
	})

	t.Run("canary weight feeds the router and FASTSCALER_WEIGHTS", func(t *testing.T) {
		w, err := strconv.Atoi(routerEnv["CANARY_WEIGHT"])
		if err != nil {
			t.Fatalf("router CANARY_WEIGHT=%q is not a whole number", routerEnv["CANARY_WEIGHT"])
		}
		if want := fmt.Sprintf("api:%d,api-canary:%d", 100-w, w); fsEnv["FASTSCALER_WEIGHTS"] != want {
			t.Errorf("FASTSCALER_WEIGHTS = %q, want %q (router CANARY_WEIGHT=%d)", fsEnv["FASTSCALER_WEIGHTS"], want, w)
		}
		if routerEnv["STATUS_PORT"] != fsEnv["FASTSCALER_STATUS_PORT"] || routerEnv["STATUS_PATH"] != fsEnv["FASTSCALER_STATUS_PATH"] {
			t.Errorf("router serves stub_status on %s%s, fastscaler polls %s%s", routerEnv["STATUS_PORT"], routerEnv["STATUS_PATH"],
				fsEnv["FASTSCALER_STATUS_PORT"], fsEnv["FASTSCALER_STATUS_PATH"])
		}
	})

	t.Run("fastscaler container health check", func(t *testing.T) {
		got := containerHealthCheck(t, p, "FASTSCALER_CAPACITY")
		if diff := cmp.Diff([]string{"CMD", "/fastscaler", "healthcheck"}, got); diff != "" {
			t.Errorf("fastscaler health check command (-want +got):\n%s", diff)
		}
	})

	t.Run("every scaled service is an ECS service of the plan", func(t *testing.T) {
		services := ecsServices(p)
		for _, name := range scaled {
			if _, ok := services[name]; !ok {
				t.Errorf("FASTSCALER_CAPACITY names %q, but the plan creates no ECS service of that name (have %v)", name, sortedKeys(services))
			}
		}
		if _, ok := services[fsEnv["FASTSCALER_ROUTER_SERVICE"]]; !ok {
			t.Errorf("FASTSCALER_ROUTER_SERVICE=%q is not an ECS service of the plan", fsEnv["FASTSCALER_ROUTER_SERVICE"])
		}
	})

	t.Run("no IAM wildcard action and no managed FullAccess policy", func(t *testing.T) {
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if len(st.NotAction) > 0 {
					t.Errorf("%s statement %q uses NotAction %v: grant actions by name", pol.Source, st.Sid, st.NotAction)
				}
				for _, a := range st.Action {
					if strings.Contains(a, "*") {
						t.Errorf("%s statement %q grants wildcard action %q", pol.Source, st.Sid, a)
					}
				}
			}
		}
		for _, arn := range managedPolicyARNs(p) {
			if strings.Contains(arn, "FullAccess") || strings.HasSuffix(arn, "/AdministratorAccess") || strings.HasSuffix(arn, "/PowerUserAccess") {
				t.Errorf("managed policy %s is attached: write the permissions out instead", arn)
			}
		}
	})

	t.Run("Resource * only for actions without resource-level permissions", func(t *testing.T) {
		for _, pol := range policies {
			if pol.Trust {
				continue
			}
			for _, st := range pol.Statement {
				if st.Effect != "Allow" || !contains(st.Resource, "*") {
					continue
				}
				for _, a := range st.Action {
					if !noResourceLevelActions[a] {
						t.Errorf("%s statement %q grants %s on Resource \"*\": name the resources", pol.Source, st.Sid, a)
					}
				}
			}
		}
	})

	t.Run("UpdateService and tagging scoped to exactly the scaled services", func(t *testing.T) {
		arnRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/` + regexp.QuoteMeta(cluster) + `/([A-Za-z0-9_-]+)$`)
		want := append([]string(nil), scaled...)
		sort.Strings(want)
		granted := map[string]bool{}
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if st.Effect != "Allow" || !containsAny(st.Action, scaledServiceActions) {
					continue
				}
				for _, a := range st.Action {
					granted[a] = true
				}
				if len(st.NotResource) > 0 || len(st.Resource) == 0 {
					t.Errorf("%s statement %q must name the services in Resource", pol.Source, st.Sid)
				}
				var got []string
				for _, r := range st.Resource {
					m := arnRE.FindStringSubmatch(r)
					if m == nil {
						t.Errorf("%s statement %q grants %v on %q, which is not a service ARN of cluster %q", pol.Source, st.Sid, st.Action, r, cluster)
						continue
					}
					got = append(got, m[1])
				}
				sort.Strings(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s statement %q: services granted %v differ from FASTSCALER_CAPACITY (-want +got):\n%s", pol.Source, st.Sid, st.Action, diff)
				}
			}
		}
		for _, a := range scaledServiceActions {
			if !granted[a] {
				t.Errorf("no policy grants %s on the scaled services: the daemon needs it", a)
			}
		}
	})

	t.Run("task discovery limited to the cluster, metrics to the namespace", func(t *testing.T) {
		clusterRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/` + regexp.QuoteMeta(cluster) + `$`)
		resourceRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:(task|container-instance)/` + regexp.QuoteMeta(cluster) + `/\*$`)
		found := map[string]bool{}
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if st.Effect != "Allow" {
					continue
				}
				if containsAny(st.Action, []string{"ecs:ListTasks", "ecs:DescribeTasks"}) {
					for _, a := range st.Action {
						found[a] = true
					}
					got := st.Condition["ArnEquals"]["ecs:cluster"]
					if len(got) != 1 || !clusterRE.MatchString(got[0]) {
						t.Errorf("%s statement %q: %v needs condition ArnEquals ecs:cluster = the ARN of cluster %q, has %v", pol.Source, st.Sid, st.Action, cluster, st.Condition)
					}
					for _, r := range st.Resource {
						if !resourceRE.MatchString(r) {
							t.Errorf("%s statement %q: %v on %q, want task or container-instance ARNs of cluster %q", pol.Source, st.Sid, st.Action, r, cluster)
						}
					}
				}
				if contains(st.Action, "cloudwatch:PutMetricData") {
					found["cloudwatch:PutMetricData"] = true
					ns := fsEnv["FASTSCALER_METRICS_NAMESPACE"]
					if got := st.Condition["StringEquals"]["cloudwatch:namespace"]; ns == "" || len(got) != 1 || got[0] != ns {
						t.Errorf("%s statement %q: PutMetricData needs condition StringEquals cloudwatch:namespace = %q, has %v", pol.Source, st.Sid, ns, st.Condition)
					}
				}
			}
		}
		for _, a := range []string{"ecs:ListTasks", "ecs:DescribeTasks", "cloudwatch:PutMetricData"} {
			if !found[a] {
				t.Errorf("no policy grants %s: the daemon needs it", a)
			}
		}
	})

	t.Run("status port reachable from no CIDR, only from a security group", func(t *testing.T) {
		var fromGroups int
		for _, r := range ingressRules(p) {
			if !r.covers(statusPort) {
				continue
			}
			for _, c := range r.CIDRs {
				if c == "0.0.0.0/0" || c == "::/0" {
					t.Errorf("%s opens the stub_status port %d to %s", r.Source, statusPort, c)
				} else {
					t.Errorf("%s opens the stub_status port %d to CIDR %s: only fastscaler's security group may reach it", r.Source, statusPort, c)
				}
			}
			if len(r.CIDRs) == 0 && r.FromGroup {
				fromGroups++
			}
		}
		if fromGroups == 0 {
			t.Errorf("no ingress rule admits a security group on the status port %d: fastscaler could not poll the routers", statusPort)
		}
		for _, rc := range p.ResourceChanges {
			if (rc.Type == "aws_lb_listener" || rc.Type == "aws_lb_target_group") && number(rc.Change.After["port"]) == float64(statusPort) {
				t.Errorf("%s exposes the status port %d through the load balancer", rc.Address, statusPort)
			}
		}
	})

	t.Run("scaled services ignore desired_count and tags", func(t *testing.T) {
		// Import the scaled services into a plan, as if they existed with a desired count fastscaler had set and
		// with fastscaler's state tags. A service whose lifecycle ignores desired_count and tags keeps the imported
		// (here: empty) values; one that does not would be planned back to the configured count and tags, which is
		// exactly what `terraform apply` must never do to a running surge.
		services := ecsServices(p)
		var imports strings.Builder
		for _, name := range scaled {
			rc := services[name]
			if rc == nil {
				t.Fatalf("scaled service %q is not in the plan", name)
			}
			if rc.Change.After["desired_count"] == nil {
				t.Fatalf("%s sets no desired_count, so the check below would prove nothing", rc.Address)
			}
			fmt.Fprintf(&imports, "import {\n  to = %s\n  id = %q\n}\n\n", rc.Address, cluster+"/"+name)
		}
		if err := os.WriteFile(filepath.Join(dir, "invariants_imports.tf"), []byte(imports.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(dir, "invariants_imports.tf"))

		imported := ecsServices(tf.plan(t, dir, "imports.tfplan"))
		for _, name := range scaled {
			rc := imported[name]
			if rc == nil || rc.Change.Importing == nil {
				t.Errorf("service %q was not imported into the plan", name)
				continue
			}
			for _, attr := range []string{"desired_count", "tags"} {
				if v := rc.Change.After[attr]; v != nil {
					t.Errorf("%s: terraform apply would set %s back to %v: add %s to lifecycle.ignore_changes", rc.Address, attr, v, attr)
				}
			}
		}
	})
}

func TestCanaryWeightRejects101(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	dir := initExample(t, tf)
	// One value only: every plan costs seconds. The validation block itself also rejects negative and fractional
	// weights; 101 is the value an off-by-one would let through.
	out, err := tf.run(t, dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color",
		"-var-file=complete.tfvars", "-var", "canary_weight=101")
	if err == nil {
		t.Fatal("plan with canary_weight=101 succeeded; the variable must reject it")
	}
	const message = "canary_weight must be a whole number between 0 and 100"
	if !strings.Contains(flatten(out), message) {
		t.Errorf("plan with canary_weight=101 failed without the validation message %q:\n%s", message, out)
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Running terraform
// ---------------------------------------------------------------------------------------------------------------

// terraform runs either ../shared/terraform/offline-terraform (CI: the real hashicorp/aws schema, no registry) or
// plain terraform with the real provider.
type terraform struct {
	offline string // path of offline-terraform; empty for plain terraform
	bin     string // terraform binary when offline is empty
}

func findTerraform(t *testing.T) terraform {
	t.Helper()
	moduleRoot, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	// The repository root is this directory's parent; offline-terraform lives beside the repository.
	offline := filepath.Join(filepath.Dir(filepath.Dir(moduleRoot)), "shared", "terraform", "offline-terraform")
	if fi, err := os.Stat(offline); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		warmOffline(t, offline, moduleRoot)
		return terraform{offline: offline}
	}
	if bin, err := exec.LookPath("terraform"); err == nil {
		return terraform{bin: bin}
	}
	t.Skipf("skipping the Terraform checks: neither %s nor terraform on PATH; install Terraform >= 1.6 to run them", offline)
	return terraform{}
}

var (
	warmOnce sync.Once
	warmErr  error
	warmOut  string
)

// warmOffline runs offline-terraform once before the parallel tests do, so that only one of them builds its
// provider into the shared cache.
func warmOffline(t *testing.T, offline, dir string) {
	t.Helper()
	warmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, offline, dir, "version")
		cmd.Env = terraformEnv()
		out, err := cmd.CombinedOutput()
		warmOut, warmErr = string(out), err
	})
	if warmErr != nil {
		t.Fatalf("%s version: %v\n%s", offline, warmErr, warmOut)
	}
}

// run runs one terraform command in dir and returns its combined output.
func (tf terraform) run(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	stdout, stderr, err := tf.exec(t, dir, args...)
	return stdout + stderr, err
}

// offlineStart serialises the start of offline-terraform runs: each run rewrites the CLI configuration file in its
// shared cache before Terraform reads it, and a run that reads it while another rewrites it sees no provider
// override. Terraform reads it at start-up, so the lock is held for startWindow (or until the run ends), and the
// long part of the runs (planning) still overlaps.
var offlineStart sync.Mutex

const startWindow = 2 * time.Second

func (tf terraform) exec(t *testing.T, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		stdout, stderr, err = tf.execOnce(dir, args...)
		t.Logf("terraform %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		// A run in another process (a second test run on the machine) can still rewrite the configuration under
		// this one; Terraform then runs without the provider override and does not say so, only the warning about
		// the override is missing. Retry.
		if tf.offline == "" || err == nil || attempt == 3 || strings.Contains(stdout+stderr, "development overrides") {
			return stdout, stderr, err
		}
		t.Logf("terraform %s ran without offline-terraform's provider override; retrying", args[0])
	}
}

func (tf terraform) execOnce(dir string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if tf.offline != "" {
		cmd = exec.CommandContext(ctx, tf.offline, append([]string{dir}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, tf.bin, append([]string{"-chdir=" + dir}, args...)...)
	}
	cmd.Env = terraformEnv()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	done := make(chan struct{})
	if tf.offline != "" {
		offlineStart.Lock()
		go func() {
			select {
			case <-time.After(startWindow):
			case <-done:
			}
			offlineStart.Unlock()
		}()
	}
	err = cmd.Run()
	close(done)
	if ctx.Err() != nil {
		err = fmt.Errorf("terraform %s: timed out after %v", args[0], commandTimeout)
	}
	return o.String(), e.String(), err
}

// terraformEnv is the test's environment without the variables that would change what Terraform plans
// (TF_VAR_*, TF_CLI_ARGS*, TF_DATA_DIR, TF_WORKSPACE).
func terraformEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_VAR_") || strings.HasPrefix(name, "TF_CLI_ARGS") || name == "TF_DATA_DIR" || name == "TF_WORKSPACE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
}

// plan runs plan -refresh=false into planFile in dir and returns `terraform show -json` of it.
func (tf terraform) plan(t *testing.T, dir, planFile string) *plan {
	t.Helper()
	if out, err := tf.run(t, dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color",
		"-var-file=complete.tfvars", "-out="+planFile); err != nil {
		t.Fatalf("terraform plan -refresh=false:\n%s", out)
	}
	stdout, stderr, err := tf.exec(t, dir, "show", "-json", planFile)
	if err != nil {
		t.Fatalf("terraform show -json:\n%s%s", stdout, stderr)
	}
	var p plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("parsing terraform show -json: %v", err)
	}
	return &p
}

// copyModule copies this directory, without .terraform directories, state or plan files, into a temporary
// directory and returns the copy's path.
func copyModule(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, path), 0o755)
		}
		if strings.Contains(name, ".tfstate") || strings.HasSuffix(name, ".tfplan") || strings.HasSuffix(name, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, path), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the module: %v", err)
	}
	return dst
}

// initExample copies the module, adds the test inputs and provider override to examples/complete, runs init and
// returns the example's directory.
func initExample(t *testing.T, tf terraform) string {
	t.Helper()
	work := copyModule(t)
	dir := filepath.Join(work, exampleDir)
	files := []string{"complete.tfvars", "provider_override.tf"}
	if tf.offline == "" {
		// The real provider would call STS and EC2 for the two data sources; replace them with inputs.
		files = append(files, "hermetic_override.tf")
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := tf.run(t, dir, "init", "-input=false", "-backend=false", "-no-color"); err != nil {
		t.Fatalf("terraform init:\n%s", out)
	}
	return dir
}

// flatten removes the box drawing and line wrapping of Terraform's diagnostics, so that a message can be found
// whole.
func flatten(s string) string {
	s = strings.NewReplacer("│", " ", "╷", " ", "╵", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the plan
// ---------------------------------------------------------------------------------------------------------------

type plan struct {
	ResourceChanges []*resourceChange `json:"resource_changes"`
}

type resourceChange struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Change  struct {
		Actions      []string       `json:"actions"`
		After        map[string]any `json:"after"`
		AfterUnknown map[string]any `json:"after_unknown"`
		Importing    map[string]any `json:"importing"`
	} `json:"change"`
}

// managed returns the plan's managed resources of type typ.
func (p *plan) managed(typ string) []*resourceChange {
	var out []*resourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "managed" && rc.Type == typ && rc.Change.After != nil {
			out = append(out, rc)
		}
	}
	return out
}

func logResourceCounts(t *testing.T, p *plan) {
	t.Helper()
	byType := map[string]int{}
	actions := map[string]int{}
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		byType[rc.Type]++
		actions[strings.Join(rc.Change.Actions, "+")]++
	}
	var parts []string
	for _, typ := range sortedKeys(byType) {
		parts = append(parts, fmt.Sprintf("%s=%d", typ, byType[typ]))
	}
	t.Logf("plan of %s: %v resources by action; by type: %s", exampleDir, actions, strings.Join(parts, " "))
}

type container struct {
	Name        string `json:"name"`
	Environment []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"environment"`
	HealthCheck struct {
		Command []string `json:"command"`
	} `json:"healthCheck"`
}

// findContainer returns the container of the plan's task definitions whose environment has the variable marker.
func findContainer(t *testing.T, p *plan, marker string) container {
	t.Helper()
	var found []container
	for _, rc := range p.managed("aws_ecs_task_definition") {
		defs, ok := rc.Change.After["container_definitions"].(string)
		if !ok {
			t.Fatalf("%s: container_definitions is not known at plan time", rc.Address)
		}
		var cs []container
		if err := json.Unmarshal([]byte(defs), &cs); err != nil {
			t.Fatalf("%s: parsing container_definitions: %v", rc.Address, err)
		}
		for _, c := range cs {
			for _, e := range c.Environment {
				if e.Name == marker {
					found = append(found, c)
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one container with %s in its environment, found %d", marker, len(found))
	}
	return found[0]
}

func containerEnvironment(t *testing.T, p *plan, marker string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range findContainer(t, p, marker).Environment {
		env[e.Name] = e.Value
	}
	return env
}

func containerHealthCheck(t *testing.T, p *plan, marker string) []string {
	t.Helper()
	return findContainer(t, p, marker).HealthCheck.Command
}

// ecsServices returns the plan's ECS services by service name.
func ecsServices(p *plan) map[string]*resourceChange {
	out := map[string]*resourceChange{}
	for _, rc := range p.managed("aws_ecs_service") {
		if name, ok := rc.Change.After["name"].(string); ok {
			out[name] = rc
		}
	}
	return out
}

// mapKeys returns the service names of a service:value,service:value variable.
func mapKeys(t *testing.T, variable, value string) []string {
	t.Helper()
	var keys []string
	for _, pair := range strings.Split(value, ",") {
		k, _, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || k == "" {
			t.Fatalf("%s=%q: %q is not service:value", variable, value, pair)
		}
		keys = append(keys, k)
	}
	return keys
}

// ---------------------------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------------------------

// strings1 is an IAM policy value that may be a string or a list of strings.
type strings1 []string

func (s *strings1) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strings1{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type statement struct {
	Sid         string                         `json:"Sid"`
	Effect      string                         `json:"Effect"`
	Action      strings1                       `json:"Action"`
	NotAction   strings1                       `json:"NotAction"`
	Resource    strings1                       `json:"Resource"`
	NotResource strings1                       `json:"NotResource"`
	Condition   map[string]map[string]strings1 `json:"Condition"`
}

// statements is a policy's Statement, which may be one statement or a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	var one statement
	if err := json.Unmarshal(b, &one); err == nil {
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type policy struct {
	Source    string // resource address and attribute
	Trust     bool   // a role's trust policy
	Statement statements
}

// iamPolicies returns every policy document of the plan. A document that is not known at plan time is an error:
// it could not be reviewed, by this test or by a person reading the plan.
func iamPolicies(t *testing.T, p *plan) []policy {
	t.Helper()
	var out []policy
	add := func(rc *resourceChange, attr string, doc any, trust bool) {
		source := rc.Address + "." + attr
		s, ok := doc.(string)
		if !ok {
			if rc.Change.AfterUnknown[attr] == true {
				t.Errorf("%s is not known at plan time: build it from known values so that the plan shows it", source)
			}
			return
		}
		var pol struct {
			Statement statements `json:"Statement"`
		}
		if err := json.Unmarshal([]byte(s), &pol); err != nil {
			t.Errorf("%s: parsing the policy: %v", source, err)
			return
		}
		out = append(out, policy{Source: source, Trust: trust, Statement: pol.Statement})
	}
	for _, typ := range []string{"aws_iam_role_policy", "aws_iam_policy"} {
		for _, rc := range p.managed(typ) {
			add(rc, "policy", rc.Change.After["policy"], false)
		}
	}
	for _, rc := range p.managed("aws_iam_role") {
		add(rc, "assume_role_policy", rc.Change.After["assume_role_policy"], true)
		inline, _ := rc.Change.After["inline_policy"].([]any)
		for _, ip := range inline {
			if m, ok := ip.(map[string]any); ok && m["policy"] != nil {
				add(rc, "inline_policy", m["policy"], false)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the plan has no IAM policy at all")
	}
	return out
}

// managedPolicyARNs returns the ARNs of the managed policies the plan attaches.
func managedPolicyARNs(p *plan) []string {
	var out []string
	for _, typ := range []string{"aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive"} {
		for _, rc := range p.managed(typ) {
			if arn, ok := rc.Change.After["policy_arn"].(string); ok {
				out = append(out, arn)
			}
			arns, _ := rc.Change.After["policy_arns"].([]any)
			for _, a := range arns {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	for _, rc := range p.managed("aws_iam_role") {
		arns, _ := rc.Change.After["managed_policy_arns"].([]any)
		for _, a := range arns {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------------------------------

type ingressRule struct {
	Source    string
	Protocol  string
	From, To  float64
	CIDRs     []string // IPv4 and IPv6 CIDRs and prefix lists: address-based sources
	FromGroup bool     // the source is a security group
}

// covers reports whether the rule admits TCP traffic to port.
func (r ingressRule) covers(port int) bool {
	switch r.Protocol {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.From <= float64(port) && float64(port) <= r.To
	}
	return false
}

// ingressRules returns every ingress rule of the plan, in whichever of the three ways it is written.
func ingressRules(p *plan) []ingressRule {
	var out []ingressRule
	for _, rc := range p.managed("aws_vpc_security_group_ingress_rule") {
		a := rc.Change.After
		r := ingressRule{Source: rc.Address, Protocol: str(a["ip_protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} {
			if s := str(a[k]); s != "" {
				r.CIDRs = append(r.CIDRs, s)
			}
		}
		r.FromGroup = a["referenced_security_group_id"] != nil || rc.Change.AfterUnknown["referenced_security_group_id"] == true
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group_rule") {
		a := rc.Change.After
		if str(a["type"]) != "ingress" {
			continue
		}
		r := ingressRule{Source: rc.Address, Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		r.CIDRs = append(append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...), strs(a["prefix_list_ids"])...)
		r.FromGroup = a["source_security_group_id"] != nil || rc.Change.AfterUnknown["source_security_group_id"] == true || a["self"] == true
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group") {
		inline, _ := rc.Change.After["ingress"].([]any)
		for i, x := range inline {
			a, _ := x.(map[string]any)
			r := ingressRule{Source: fmt.Sprintf("%s.ingress[%d]", rc.Address, i), Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
			r.CIDRs = append(append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...), strs(a["prefix_list_ids"])...)
			r.FromGroup = len(strs(a["security_groups"])) > 0 || a["self"] == true
			out = append(out, r)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

func str(v any) string {
	s, _ := v.(string)
	return s
}

func number(v any) float64 {
	f, _ := v.(float64)
	return f
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	return slices.Contains(list, s)
}

func containsAny(list, wanted []string) bool {
	return slices.ContainsFunc(wanted, func(s string) bool { return slices.Contains(list, s) })
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
