package nginxstat

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts is self-consistent.
// Seeds: every fixture under testdata/ plus the committed corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Parse(bytes.NewReader(body))
		if err != nil {
			return
		}
		for name, v := range map[string]int64{"active": s.Active, "accepts": s.Accepts, "handled": s.Handled,
			"requests": s.Requests, "reading": s.Reading, "writing": s.Writing, "waiting": s.Waiting} {
			if v < 0 {
				t.Fatalf("Parse accepted negative %s=%d from %q", name, v, body)
			}
		}
		if s.Handled > s.Accepts {
			t.Fatalf("Parse accepted handled > accepts from %q", body)
		}
	})
}
