package calibrate

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/trace"
)

func TestExportTraceRoundTrip(t *testing.T) {
	h, truth := DefaultSynth().History()
	evening := 20 * 60 // one evening, 20:00 to 23:00 of the first day
	rate := Series{Times: h.RequestRate.Times[evening : evening+180], Values: truth.RouterRPS[evening : evening+180]}

	var buf bytes.Buffer
	if err := ExportTrace(&buf, rate); err != nil {
		t.Fatalf("ExportTrace: %v", err)
	}
	lines := strings.SplitN(buf.String(), "\n", 3)
	if lines[0] != trace.Header || !strings.HasPrefix(lines[1], "2026-11-01T20:00:00Z,") {
		t.Errorf("first lines = %q, want the header and a row at 2026-11-01T20:00:00Z", lines[:2])
	}

	tr, err := trace.Read(&buf)
	if err != nil {
		t.Fatalf("trace.Read of the export: %v", err)
	}
	if want := rate.Times[0]; !tr.Start.Equal(want) {
		t.Errorf("Start = %v, want %v", tr.Start, want)
	}
	if want := 179*60 + 1; len(tr.RPS) != want {
		t.Fatalf("%d seconds, want %d", len(tr.RPS), want)
	}
	// Every row's value comes back exactly at its second; between rows the simulator interpolates.
	var got, want []float64
	for i, v := range rate.Values {
		got = append(got, tr.RPS[i*60])
		want = append(want, v)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rps at each row (-want +got):\n%s", diff)
	}
	if mid, want := tr.RPS[30], (rate.Values[0]+rate.Values[1])/2; math.Abs(mid-want) > 1e-9 {
		t.Errorf("rps half way between the first rows = %v, want %v", mid, want)
	}
}

func TestExportTraceSortsAndSkipsGaps(t *testing.T) {
	at := func(m int) time.Time { return SynthStart.Add(time.Duration(m) * time.Minute) }
	s := Series{
		Times:  []time.Time{at(2), at(0), at(1), at(3)},
		Values: []float64{30, 10, math.NaN(), 40.5},
	}
	var buf bytes.Buffer
	if err := ExportTrace(&buf, s); err != nil {
		t.Fatalf("ExportTrace: %v", err)
	}
	want := "time,rps\n2026-11-01T00:00:00Z,10\n2026-11-01T00:02:00Z,30\n2026-11-01T00:03:00Z,40.5\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestExportTraceErrors(t *testing.T) {
	at := func(s int) time.Time { return SynthStart.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name string
		s    Series
		want string
	}{
		{name: "lengths differ", s: Series{Times: []time.Time{at(0)}, Values: []float64{1, 2}}, want: "1 times but 2 values"},
		{name: "one sample", s: Series{Times: []time.Time{at(0), at(1)}, Values: []float64{1, math.Inf(1)}},
			want: "1 finite samples; a trace needs at least 2"},
		{name: "negative", s: Series{Times: []time.Time{at(0), at(1)}, Values: []float64{1, -2}},
			want: "exporting trace: row at 2026-11-01T00:00:01Z: rps -2 is negative"},
		{name: "same time", s: Series{Times: []time.Time{at(0), at(0)}, Values: []float64{1, 2}},
			want: "exporting trace: row at 2026-11-01T00:00:00Z: not after the previous row's 2026-11-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ExportTrace(&bytes.Buffer{}, tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ExportTrace error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	r, w := io.Pipe()
	r.Close() // nobody reads: every write fails
	s := Series{Times: []time.Time{at(0), at(1)}, Values: []float64{1, 2}}
	if err := ExportTrace(w, s); !errors.Is(err, io.ErrClosedPipe) || !strings.HasPrefix(err.Error(), "exporting trace: ") {
		t.Errorf("ExportTrace to a closed pipe = %v, want the write error, wrapped", err)
	}
}
