package terraform_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryInputAndOutput keeps the README's reference tables in step with variables.tf and
// outputs.tf, in both directions.
func TestREADMEDocumentsEveryInputAndOutput(t *testing.T) {
	readme := read(t, "README.md")
	for _, c := range []struct{ file, kind, table string }{
		{"variables.tf", "variable", "### Inputs"},
		{"outputs.tf", "output", "### Outputs"},
	} {
		declared := names(t, regexp.MustCompile(`(?m)^`+c.kind+` "([^"]+)"`), read(t, c.file))
		start := strings.Index(readme, c.table)
		if start < 0 {
			t.Fatalf("README.md has no %q table", c.table)
		}
		section := readme[start+len(c.table):]
		if end := strings.Index(section, "\n### "); end >= 0 {
			section = section[:end]
		}
		documented := names(t, regexp.MustCompile("(?m)^\\| `([a-z0-9_]+)` \\|"), section)
		for name := range declared {
			if !documented[name] {
				t.Errorf("%s %q (%s) is missing from the README's %s table", c.kind, name, c.file, c.table)
			}
		}
		for name := range documented {
			if !declared[name] {
				t.Errorf("the README's %s table documents %q, which %s does not declare", c.table, name, c.file)
			}
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func names(t *testing.T, re *regexp.Regexp, text string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
	}
	if len(out) == 0 {
		t.Fatalf("no names match %s", re)
	}
	return out
}
