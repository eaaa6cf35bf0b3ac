package nginxstat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file    string
		want    Stats
		wantErr string // substring of the error; empty means success
	}{
		{file: "nginx-1.22.txt", want: Stats{Active: 1, Accepts: 4, Handled: 4, Requests: 4, Writing: 1}},
		{file: "crlf.txt", want: Stats{Active: 291, Accepts: 16630948, Handled: 16630948, Requests: 31070465, Reading: 6, Writing: 179, Waiting: 106}},
		{file: "dropped.txt", want: Stats{Active: 2, Accepts: 10, Handled: 9, Requests: 20, Writing: 1, Waiting: 1}},
		{file: "maxint-blanklines.txt", want: Stats{Active: 1<<63 - 1, Accepts: 1<<63 - 1, Handled: 1<<63 - 1, Requests: 1<<63 - 1, Reading: 1, Writing: 2, Waiting: 3}},
		{file: "missing-requests.txt", wantErr: "line 3 has 2 fields"},
		{file: "nonnumeric.txt", wantErr: `requests is "x5"`},
		{file: "missing-waiting.txt", wantErr: "line 4"},
		{file: "html-403.txt", wantErr: "want 4 non-empty lines, got 7"},
		{file: "empty.txt", wantErr: "got 0"},
		{file: "negative.txt", wantErr: `active connections is "-1"`},
		{file: "overflow.txt", wantErr: `requests is "99999999999999999999"`},
		{file: "handled-exceeds.txt", wantErr: "handled (4) exceeds accepts (3)"},
		{file: "swapped.txt", wantErr: "line 4"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Parse(f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse() error = %v, want ErrMalformed containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejectsOversizedBody(t *testing.T) {
	valid := "Active connections: 1\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n"
	for name, body := range map[string]string{
		"a valid body padded past MaxBodyBytes": valid + strings.Repeat(" \n", MaxBodyBytes),
		"one long line":                         strings.Repeat("x", 64<<10),
	} {
		if _, err := Parse(strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("Parse(%s) error = %v, want a size error", name, err)
		}
	}
}
