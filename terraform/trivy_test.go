package terraform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// trivyInstall is how the README installs the scanner the project checks against (Trivy's misconfiguration checks,
// the successor of tfsec). Other versions may ship other checks.
const trivyInstall = "GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0"

// trivyReport is the part of `trivy config --format json` the test reads.
type trivyReport struct {
	Results []struct {
		Target         string `json:"Target"`
		MisconfSummary struct {
			Successes int `json:"Successes"`
			Failures  int `json:"Failures"`
		} `json:"MisconfSummary"`
		Misconfigurations []struct {
			ID            string `json:"ID"`
			Title         string `json:"Title"`
			Message       string `json:"Message"`
			Severity      string `json:"Severity"`
			Status        string `json:"Status"`
			CauseMetadata struct {
				Resource  string `json:"Resource"`
				StartLine int    `json:"StartLine"`
			} `json:"CauseMetadata"`
		} `json:"Misconfigurations"`
	} `json:"Results"`
}

// TestTrivyConfigNoCriticalOrHigh runs Trivy's misconfiguration scan over the module, as a security review would
// (`trivy config terraform/`), and fails on any CRITICAL or HIGH finding. Trivy evaluates examples/complete as the
// root module (it skips directories that another configuration calls as a module), so the scan sees the module as
// the example configures it: with vpc_endpoints on, and the public NLB carrying its reasoned trivy:ignore.
//
// It runs offline: the checks embedded in the binary (--skip-check-update, and an empty cache directory so that a
// newer bundle downloaded earlier cannot change the result), no version check, no telemetry.
func TestTrivyConfigNoCriticalOrHigh(t *testing.T) {
	trivy, err := exec.LookPath("trivy")
	if err != nil {
		t.Skipf("skipping the security scan: trivy is not on PATH; install it with `%s` (see README.md, Security scan)", trivyInstall)
	}
	t.Parallel()
	// A copy without .terraform directories, state or Go files: exactly the configuration a reviewer scans.
	work := copyModule(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trivy, "config",
		"--skip-check-update", "--skip-version-check", "--disable-telemetry",
		"--cache-dir", filepath.Join(t.TempDir(), "cache"),
		"--format", "json", "--quiet", "--exit-code", "0",
		work)
	start := time.Now()
	out, err := cmd.Output()
	t.Logf("trivy config: %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("trivy config: %v\n%s", err, stderr)
	}
	var report trivyReport
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("parsing trivy's JSON report: %v\n%s", err, out)
	}

	var passed int
	bySeverity := map[string]int{}
	for _, r := range report.Results {
		passed += r.MisconfSummary.Successes
		for _, m := range r.Misconfigurations {
			if m.Status != "FAIL" {
				continue
			}
			bySeverity[m.Severity]++
			finding := fmt.Sprintf("%s %s %s (%s:%d %s): %s", m.Severity, m.ID, m.Title, r.Target, m.CauseMetadata.StartLine, m.CauseMetadata.Resource, m.Message)
			switch m.Severity {
			case "CRITICAL", "HIGH":
				t.Errorf("%s", finding)
			default:
				t.Logf("%s", finding)
			}
		}
	}
	var summary []string
	for _, sev := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		summary = append(summary, fmt.Sprintf("%s=%d", sev, bySeverity[sev]))
	}
	t.Logf("trivy config: %d checks passed; failures %s", passed, strings.Join(summary, " "))
	if passed == 0 {
		// A scan that evaluated nothing (a parse failure, a changed root-module rule) would also report no finding.
		t.Fatalf("trivy passed no check at all: it did not evaluate the configuration\n%s", out)
	}
}
