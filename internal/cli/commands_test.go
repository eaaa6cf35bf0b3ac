package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandTable: every command of the table has a unique name, a summary, a usage with an example, and a
// line in 'fastscaler help', in the table's order.
func TestCommandTable(t *testing.T) {
	var help bytes.Buffer
	printHelp(&help)
	seen := map[string]bool{}
	at := 0
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("%s is in the table twice", c.name)
		}
		seen[c.name] = true
		if c.summary == "" || c.run == nil || !strings.HasPrefix(c.usage, "Usage: fastscaler "+c.name) || !strings.Contains(c.usage, "Example") {
			t.Errorf("%s: incomplete entry (summary %q, usage %.40q…)", c.name, c.summary, c.usage)
		}
		line := "\n  " + c.name + " "
		i := strings.Index(help.String()[at:], line)
		if i < 0 {
			t.Errorf("help does not list %s after the commands before it:\n%s", c.name, help.String())
			continue
		}
		at += i + len(line)
		if lookup(c.name) != c {
			t.Errorf("lookup(%q) does not find it", c.name)
		}
	}
	if lookup("nope") != nil {
		t.Error("lookup of an unknown command found one")
	}
}
