package trace

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jst is a zone with an offset, nine hours east of UTC: times in it are written +09:00.
var jst = time.FixedZone("", 9*3600)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Load
	}{
		{"seconds with header, interpolated between rows", "seconds,rps\n0,100\n2,200\n", Load{RPS: []float64{100, 150, 200}}},
		{"time header, fractional last row falls between samples", "time,rps\n0,0\n2.5,10\n", Load{RPS: []float64{0, 4, 8}}},
		{"no header, sampled from the first row's time", "10,100\n12,300\n", Load{RPS: []float64{100, 200, 300}}},
		{"fractional rows", "0,0\n0.5,10\n2,10\n", Load{RPS: []float64{0, 10, 10}}},
		{"several segments, down as well as up", "0,0\n3,3\n4,1\n", Load{RPS: []float64{0, 1, 2, 3, 1}}},
		{
			"RFC 3339 with offset, header naming extra columns",
			"time,rps,tasks\n2026-11-22T20:00:00+09:00,10,3\n2026-11-22T20:00:03+09:00,40,4\n",
			Load{Start: time.Date(2026, 11, 22, 20, 0, 0, 0, jst), RPS: []float64{10, 20, 30, 40}},
		},
		{
			"RFC 3339 without header, fractional seconds",
			"2026-11-22T20:00:00.5Z,0\n2026-11-22T20:00:02.5Z,20\n",
			Load{Start: time.Date(2026, 11, 22, 20, 0, 0, 5e8, time.UTC), RPS: []float64{0, 10, 20}},
		},
		{
			"CRLF, BOM, comments, blank lines, spaces",
			"\ufeff# exported by hand\r\n\r\nseconds , rps\r\n  # a note\r\n 0 , 1 \r\n\r\n1,2\r\n",
			Load{RPS: []float64{1, 2}},
		},
		{"quoted fields", "\"time\",\"rps\"\n\"0\",\"5\"\n\"1\",\"7\"\n", Load{RPS: []float64{5, 7}}},
		{"no newline at the end", "0,1\n1,2", Load{RPS: []float64{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

// A calibrate export: one row a minute, extra columns, becomes a smooth 1-second curve.
func TestReadCSVMinuteHistory(t *testing.T) {
	in := "time,rps,router_tasks,api_tasks\n" +
		"2026-11-22T20:00:00Z,600,2,4\n" +
		"2026-11-22T20:01:00Z,1200,2,4\n" +
		"2026-11-22T20:02:00Z,0,3,6\n"
	got, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if want := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC); !got.Start.Equal(want) {
		t.Errorf("Start = %v, want %v", got.Start, want)
	}
	checks := map[int]float64{0: 600, 1: 610, 30: 900, 59: 1190, 60: 1200, 61: 1180, 90: 600, 120: 0}
	if len(got.RPS) != 121 {
		t.Fatalf("len(RPS) = %d, want 121", len(got.RPS))
	}
	for i, want := range checks {
		if got.RPS[i] != want {
			t.Errorf("RPS[%d] = %v, want %v", i, got.RPS[i], want)
		}
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"rps not a number", "0,1\n1,abc\n", `line 2: rps "abc" is not a number`},
		{"rps empty", "0,1\n1,\n", `line 2: rps "" is not a number`},
		{"rps negative", "0,1\n1,-5\n", `line 2: rps -5 is negative`},
		{"rps NaN", "0,1\n1,NaN\n", `line 2: rps NaN is not finite`},
		{"rps overflows", "0,1\n1,1e999\n", `line 2: rps 1e999 is not finite`},
		{"time not after", "seconds,rps\n15,1\n12,1\n", `line 3: time 12 is not after line 2's 15`},
		{"time repeated", "0,1\n5,1\n5,2\n", `line 3: time 5 is not after line 2's 5`},
		{
			"RFC 3339 time not after",
			"2026-11-22T20:01:00Z,1\n2026-11-22T20:00:00Z,1\n",
			`line 2: time 2026-11-22T20:00:00Z is not after line 1's 2026-11-22T20:01:00Z`,
		},
		{"one column", "seconds,rps\n0,1\n5\n", `line 3: want at least 2 columns (time,rps), got 1`},
		{"seconds then RFC 3339", "# c\n0,1\n\n2026-11-22T20:00:00Z,1\n", `line 4: mixes RFC 3339 times and seconds`},
		{"RFC 3339 then seconds", "2026-11-22T20:00:00Z,1\n60,1\n", `line 2: mixes RFC 3339 times and seconds`},
		{"time negative", "-3,1\n0,1\n", `line 1: time -3 is negative`},
		{"time not finite", "0,1\nInf,1\n", `line 2: time Inf is not finite`},
		{"time not seconds", "seconds,rps\n0,1\nabc,5\n", `line 3: time "abc" is not a number of seconds`},
		{
			"time not RFC 3339",
			"2026-11-22T20:00:00Z,1\n2026-11-22 20:01:00,5\n",
			`line 2: time "2026-11-22 20:01:00" is not an RFC 3339 time (like 2026-11-22T20:00:00Z)`,
		},
		{
			// Not taken for a header: its rps is a number, so the time is what is wrong.
			"first row's time neither kind",
			"2026-11-22 20:00:00,1234\n2026-11-22T20:00:01Z,1\n",
			`line 1: time "2026-11-22 20:00:00" is neither seconds nor an RFC 3339 time (like 2026-11-22T20:00:00Z)`,
		},
		{"header twice", "seconds,rps\n0,1\nseconds,rps\n1,1\n", `line 3: time "seconds" is not a number of seconds`},
		{"single row", "seconds,rps\n0,1\n", `want at least 2 rows (time,rps), got 1`},
		{"header only", "seconds,rps\n", `want at least 2 rows (time,rps), got 0`},
		{"empty", "", `want at least 2 rows (time,rps), got 0`},
		{"only comments", "# nothing\n\n", `want at least 2 rows (time,rps), got 0`},
		{
			"too long",
			"0,1\n0" + strings.Repeat(" ", 70_000) + ",1\n",
			`line 2: longer than 65536 bytes`,
		},
		{
			"too long for the output",
			"0,1\n10000000,1\n",
			`line 2: time 10000000 is 10000000 s after the first row's; a trace may last at most 10000000 s`,
		},
		{
			// One bad row yields one error: the rows after it are compared with the last good one.
			"several problems",
			"10,1\n20,x\n15,1\n30,1\n40\n",
			"line 2: rps \"x\" is not a number\nline 3: time 15 is not after line 2's 20\n" +
				"line 5: want at least 2 columns (time,rps), got 1",
		},
		{
			"more than ten problems",
			func() string {
				var b strings.Builder
				for i := range 14 {
					fmt.Fprintf(&b, "%d,x\n", i)
				}
				return b.String()
			}(),
			func() string {
				var b strings.Builder
				for line := 1; line <= 10; line++ {
					fmt.Fprintf(&b, "line %d: rps \"x\" is not a number\n", line)
				}
				return b.String() + "... and 4 more"
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("Read: no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVLimits(t *testing.T) {
	lim := limits{rows: 3, seconds: 100}
	tests := []struct {
		name    string
		in      string
		want    string
		wantLen int
	}{
		{name: "rows at the limit", in: "0,1\n1,1\n2,1\n", wantLen: 3},
		{name: "rows beyond the limit", in: "0,1\n1,1\n2,1\n3,1\n4,1\n", want: "line 4: more than 3 rows; resample the trace coarser"},
		{name: "seconds at the limit", in: "0,1\n99,1\n", wantLen: 100},
		{name: "seconds beyond the limit", in: "0,1\n100,1\n", want: "line 2: time 100 is 100 s after the first row's; a trace may last at most 100 s"},
		{
			name: "RFC 3339 far in the future",
			in:   "2026-11-22T20:00:00Z,1\n2526-11-22T20:00:00Z,1\n",
			want: "line 2: time 2526-11-22T20:00:00Z is 9223372037 s after the first row's; a trace may last at most 100 s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(strings.NewReader(tt.in), lim)
			if tt.want != "" {
				if err == nil || err.Error() != tt.want {
					t.Fatalf("read error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(got.RPS) != tt.wantLen {
				t.Errorf("len(RPS) = %d, want %d", len(got.RPS), tt.wantLen)
			}
		})
	}
}

func TestReadCSVReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Read(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("Read error = %v, want it to wrap %v", err, boom)
	}
}
