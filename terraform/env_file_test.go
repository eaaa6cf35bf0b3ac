package terraform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnvFileRoundTrip plans modules/env_file alone (it has no provider and no resource) with values that need each
// of its three forms, bare, single-quoted and double-quoted, and reads the file back as `fastscaler --env-file` reads
// it: every variable must come back exactly.
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

// readEnvFile reads an env file the way `fastscaler --env-file` does (README.md, "Install the CLI"): blank and #
// lines skipped; KEY=VALUE, where VALUE is bare (ending at " #"), in single quotes (literal) or in double quotes
// (with \\ \" \$ \n \t escapes).
func readEnvFile(text string) (map[string]string, error) {
	vars := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, got %q", i+1, line)
		}
		if _, dup := vars[key]; dup {
			return nil, fmt.Errorf("line %d: %s again", i+1, key)
		}
		switch {
		case strings.HasPrefix(value, "'"):
			end := strings.Index(value[1:], "'")
			if end < 0 || strings.TrimSpace(value[end+2:]) != "" {
				return nil, fmt.Errorf("line %d: %s: bad single quotes in %q", i+1, key, value)
			}
			value = value[1 : end+1]
		case strings.HasPrefix(value, `"`):
			var b strings.Builder
			j := 1
			for ; j < len(value) && value[j] != '"'; j++ {
				if value[j] == '\\' && j+1 < len(value) {
					j++
					switch value[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case '"', '\\', '$':
						b.WriteByte(value[j])
					default:
						return nil, fmt.Errorf(`line %d: %s: unknown escape \%c`, i+1, key, value[j])
					}
					continue
				}
				b.WriteByte(value[j])
			}
			if j == len(value) || strings.TrimSpace(value[j+1:]) != "" {
				return nil, fmt.Errorf("line %d: %s: bad double quotes in %q", i+1, key, value)
			}
			value = b.String()
		default:
			if k := strings.Index(value, " #"); k >= 0 {
				value = value[:k]
			}
			value = strings.TrimSpace(value)
		}
		vars[key] = value
	}
	return vars, nil
}
