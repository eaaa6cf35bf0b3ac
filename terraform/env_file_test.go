package terraform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/google/go-cmp/cmp"
)

// TestEnvFileRoundTrip plans modules/env_file alone (it has no provider and no resource) with values that need each
// of its three forms, bare, single-quoted and double-quoted, and reads the file back with the CLI's reader: every
// variable must come back exactly.
func TestEnvFileRoundTrip(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	source, err := filepath.Abs("modules/env_file")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"FASTSCALER_CAPACITY":          "api:250,api-canary:250,router:1000",
		"FASTSCALER_LISTEN":            ":9090",
		"FASTSCALER_METRICS_NAMESPACE": "",
		"SPACES_AND_HASH":              "two words # not a comment",
		"SINGLE_QUOTE":                 "it's",
		"EVERYTHING":                   "a\\b \"c\" $d ${e} 'f'\nsecond line",
		"DOLLAR_BRACE":                 "${HOME}",
		"UNICODE":                      "µs 東京",
	}
	var inputs strings.Builder
	for k, v := range want {
		fmt.Fprintf(&inputs, "    %s = %s\n", k, hclString(v))
	}
	dir := t.TempDir()
	config := fmt.Sprintf("module \"env\" {\n  source = %q\n  comment = \"test\"\n  environment = {\n%s  }\n}\n\noutput \"text\" {\n  value = module.env.text\n}\n", source, inputs.String())
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := tf.run(t, dir, "init", "-input=false", "-backend=false", "-no-color"); err != nil {
		t.Fatalf("terraform init:\n%s", out)
	}
	p := tf.planWith(t, dir, "env.tfplan")
	text, ok := p.OutputChanges["text"].After.(string)
	if !ok {
		t.Fatalf("output text is %v, not a known string", p.OutputChanges["text"].After)
	}
	got, err := readEnvFile(text)
	if err != nil {
		t.Fatalf("reading the env file: %v\n%s", err, text)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the env file does not read back as its variables (-want +got):\n%s\nfile:\n%s", diff, text)
	}
	if !strings.HasPrefix(text, "# test\n") {
		t.Errorf("the env file does not start with its comment line:\n%s", text)
	}
}

// hclString writes s as an HCL string literal: Go's quoting, with ${ and %{ escaped.
func hclString(s string) string {
	q := fmt.Sprintf("%q", s)
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(q)
}

// readEnvFile reads an env file with the CLI's own reader (config.ParseEnvFile, behind `fastscaler --env-file`).
func readEnvFile(text string) (map[string]string, error) {
	vars, err := config.ParseEnvFile("fastscaler_env_file", []byte(text))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, v := range vars {
		out[v.Key] = v.Value
	}
	return out, nil
}
