// Package archtest checks the import rules ARCHITECTURE.md states, so they hold as the code moves.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/fastscaler/fastscaler/"

// deps lists the packages pkg imports, directly or not (go list -deps).
func deps(t *testing.T, pkg string) []string {
	return goList(t, "-deps", module+pkg)
}

// imports lists the packages pkg imports directly.
func imports(t *testing.T, pkg string) []string {
	return goList(t, "-f", `{{join .Imports "\n"}}`, module+pkg)
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestPolicyIsPure: the decision code reads no clock, network, file or logger of its own; its inputs say everything.
func TestPolicyIsPure(t *testing.T) {
	for _, pkg := range []string{"policy", "policy/knob"} {
		for _, d := range imports(t, pkg) {
			switch {
			case d == "net" || strings.HasPrefix(d, "net/"), d == "os", strings.HasPrefix(d, "os/"), d == "log", strings.HasPrefix(d, "log/"),
				strings.Contains(d, "aws-sdk-go"), strings.HasPrefix(d, "go.uber.org/zap"), strings.HasPrefix(d, module) && !strings.HasPrefix(d, module+"policy"):
				t.Errorf("%s imports %s: the policy must stay free of I/O", pkg, d)
			}
		}
	}
}

// TestNoAWSSDKOffline: the simulator, the configuration, the durable-state codec, the charts and the traces run
// without AWS; none of them pulls the SDK in.
func TestNoAWSSDKOffline(t *testing.T) {
	for _, pkg := range []string{"internal/sim", "autoscaler/config", "autoscaler/durable", "internal/chart", "internal/trace", "nginxstat"} {
		for _, d := range deps(t, pkg) {
			if strings.Contains(d, "aws-sdk-go") {
				t.Errorf("%s imports %s", pkg, d)
				break
			}
		}
	}
}

// TestHarnessesDoNotDependOnE2E: the in-process harness sits below the real-binary tests, not on them; what both
// need (the fleet, free ports) lives in fleettest and nginxtest.
func TestHarnessesDoNotDependOnE2E(t *testing.T) {
	for _, pkg := range []string{"internal/daemontest", "internal/fleettest", "internal/nginxtest", "internal/awstest"} {
		for _, d := range deps(t, pkg) {
			if d == module+"internal/e2e" {
				t.Errorf("%s imports internal/e2e", pkg)
			}
		}
	}
}
