package terraform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// commandTimeout bounds one terraform command. A warm plan takes seconds; the first offline-terraform run may
// also build its schema-only provider.
const commandTimeout = 5 * time.Minute

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

// plan runs plan -refresh=false of examples/complete's inputs (complete.tfvars) into planFile in dir and returns
// `terraform show -json` of it.
func (tf terraform) plan(t *testing.T, dir, planFile string) *plan {
	t.Helper()
	return tf.planWith(t, dir, planFile, "-var-file=complete.tfvars")
}

// planWith runs plan -refresh=false with args into planFile in dir and returns `terraform show -json` of it.
func (tf terraform) planWith(t *testing.T, dir, planFile string, args ...string) *plan {
	t.Helper()
	args = append([]string{"plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", "-out=" + planFile}, args...)
	if out, err := tf.run(t, dir, args...); err != nil {
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

// initFixture copies the module like initExample and inits root, a root module under testdata that calls it, with
// provider_override.tf beside it; for offline-terraform only (its data sources answer placeholders).
func initFixture(t *testing.T, tf terraform, root string) string {
	t.Helper()
	dir := filepath.Join(copyModule(t), root)
	data, err := os.ReadFile(filepath.Join("testdata", "provider_override.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "provider_override.tf"), data, 0o644); err != nil {
		t.Fatal(err)
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
