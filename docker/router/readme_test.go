package router

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestREADME checks that docker/README.md documents every variable render.sh reads, so the table cannot silently
// fall behind the script.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := scriptDefaults(t)
	if len(vars) < 20 {
		t.Fatalf("found only %d variables with defaults in %s; the pattern no longer matches the script", len(vars), renderScript)
	}
	var missing []string
	for v := range vars {
		if !strings.Contains(string(readme), "| `"+v+"` |") {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docker/README.md has no table row for %v", missing)
	}
}
