package sim

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWriteCSVRoundTrip: a trace written is read back as it was, its start included; package trace tests the format.
func TestWriteCSVRoundTrip(t *testing.T) {
	for _, in := range []Trace{
		{Name: "rt", RPS: []float64{0, 0.1, 1e-9, 123456.789, 1.0 / 3, 2e12, 7}},
		{Name: "rt", Start: time.Date(2026, 11, 22, 18, 0, 0, 0, time.FixedZone("", 9*3600)), RPS: []float64{1500, 1510.5, 1490}},
	} {
		var buf bytes.Buffer
		if err := in.WriteCSV(&buf); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		if !strings.HasPrefix(buf.String(), "time,rps\n") {
			t.Errorf("WriteCSV wrote %q, want the time,rps header", buf.String())
		}
		got, err := ReadCSV(&buf, "rt")
		if err != nil {
			t.Fatalf("ReadCSV: %v", err)
		}
		if diff := cmp.Diff(in, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestWriteCSVErrors(t *testing.T) {
	bad := Trace{Name: "bad", RPS: []float64{1, -2}}
	if err := bad.WriteCSV(&bytes.Buffer{}); err == nil || err.Error() != `writing trace "bad": row at second 1: rps -2 is negative` {
		t.Errorf("WriteCSV(negative rps) error = %v, want it to name the trace and second 1", err)
	}
	boom := errors.New("boom")
	ok := Trace{Name: "ok", RPS: make([]float64, 10_000)}
	if err := ok.WriteCSV(failingWriter{boom}); !errors.Is(err, boom) {
		t.Errorf("WriteCSV(failing writer) error = %v, want it to wrap %v", err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
