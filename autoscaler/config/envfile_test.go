package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseEnvFile covers the dotenv subset; its errors are tested through the command (envfile_test.go).
func TestParseEnvFile(t *testing.T) {
	file := "\xef\xbb\xbf# a comment, after a byte order mark\r\n" +
		"\n" +
		"   # an indented comment\n" +
		"PLAIN=router:1000,api:250\n" +
		"export EXPORTED=yes\n" +
		"export\tTABBED=1\n" +
		"lower_case=2\n" +
		"SPACED = around the equals sign  \n" +
		"INLINE=value # a comment\n" +
		"HASH=a#b\n" +
		"SINGLE='$HOME \\n \"x\"' # literal\n" +
		"DOUBLE=\"a \\\"quoted\\\" \\\\ word\\n\\t\\$ \\x # not a comment\" # a comment\n" +
		"EMPTY=\n" +
		"EMPTY_QUOTED=''\n" +
		"CRLF=x\r\n" +
		"export=a variable named export\n"
	got, err := ParseEnvFile("f.env", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{
		{"PLAIN", "router:1000,api:250"},
		{"EXPORTED", "yes"},
		{"TABBED", "1"},
		{"lower_case", "2"},
		{"SPACED", "around the equals sign"},
		{"INLINE", "value"},
		{"HASH", "a#b"},
		{"SINGLE", `$HOME \n "x"`},
		{"DOUBLE", "a \"quoted\" \\ word\n\t$ \\x # not a comment"},
		{"EMPTY", ""},
		{"EMPTY_QUOTED", ""},
		{"CRLF", "x"},
		{"export", "a variable named export"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(EnvVar{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
