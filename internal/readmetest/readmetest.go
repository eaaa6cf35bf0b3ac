// Package readmetest reads the parts of the documentation that tests check: a fenced block after a marker.
package readmetest

import (
	"os"
	"regexp"
	"testing"
)

// Block returns the body of the fenced block of language lang (e.g. sh) that directly follows marker (e.g.
// "<!-- example-env -->", with only blank lines between) in the file at path; it fails the test when there is none, so a renamed marker cannot
// quietly turn a check off.
func Block(tb testing.TB, path, marker, lang string) []byte {
	tb.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile("(?s)" + regexp.QuoteMeta(marker) + "\\s*```" + regexp.QuoteMeta(lang) + "\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		tb.Fatalf("%s has no ```%s block after %s", path, lang, marker)
	}
	return m[1]
}
