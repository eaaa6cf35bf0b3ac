package trace

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWriteReadRoundTrip: whatever Writer writes, Read reads back exactly, times and rates, under one header.
func TestWriteReadRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 22, 20, 0, 0, 0, jst)
	rps := []float64{0, 0.1, 1e-9, 123456.789, 1.0 / 3, 2e12, 7}
	tests := []struct {
		name      string
		write     func(w *Writer, i int, v float64) error
		wantStart time.Time
		wantLine2 string
	}{
		{"seconds", func(w *Writer, i int, v float64) error { return w.WriteSeconds(float64(i), v) }, time.Time{}, "0,0"},
		{"RFC 3339", func(w *Writer, i int, v float64) error {
			return w.WriteTime(start.Add(time.Duration(i)*time.Second), v)
		},
			start, "2026-11-22T20:00:00+09:00,0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			for i, v := range rps {
				if err := tt.write(w, i, v); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			lines := strings.Split(buf.String(), "\n")
			if lines[0] != Header || lines[1] != tt.wantLine2 || !strings.Contains(buf.String(), ",2000000000000\n") {
				t.Errorf("wrote %q, want the header %q, then %q, and plain decimals", buf.String(), Header, tt.wantLine2)
			}
			got, err := Read(&buf)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(Load{Start: tt.wantStart, RPS: rps}, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterRefusesWhatReadWould(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 11, 22, 20, 0, s, 0, time.UTC) }
	tests := []struct {
		name string
		rows func(w *Writer) error
		want string
	}{
		{"negative rps", func(w *Writer) error { return w.WriteTime(at(0), -2) }, "row at 2026-11-22T20:00:00Z: rps -2 is negative"},
		{"NaN rps", func(w *Writer) error { return w.WriteSeconds(3, math.NaN()) }, "row at second 3: rps NaN is not finite"},
		{"time repeated", func(w *Writer) error {
			_ = w.WriteTime(at(1), 1)
			return w.WriteTime(at(1), 2)
		}, "row at 2026-11-22T20:00:01Z: not after the previous row's 2026-11-22T20:00:01Z"},
		{"seconds backwards", func(w *Writer) error {
			_ = w.WriteSeconds(2, 1)
			return w.WriteSeconds(1.5, 2)
		}, "row at second 1.5: not after the previous row's 2"},
		{"negative second", func(w *Writer) error { return w.WriteSeconds(-1, 1) }, "row at second -1: not a finite number ≥ 0"},
		{"kinds mixed", func(w *Writer) error {
			_ = w.WriteSeconds(0, 1)
			return w.WriteTime(at(1), 1)
		}, "row at 2026-11-22T20:00:01Z: a trace's times are all RFC 3339 or all seconds, and this one's are seconds"},
		{"kinds mixed the other way", func(w *Writer) error {
			_ = w.WriteTime(at(0), 1)
			return w.WriteSeconds(1, 1)
		}, "row at second 1: a trace's times are all RFC 3339 or all seconds, and this one's are RFC 3339"},
		{"one row", func(w *Writer) error {
			_ = w.WriteSeconds(0, 1)
			return w.Flush()
		}, "1 rows; a trace needs at least 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.rows(NewWriter(&bytes.Buffer{})); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}

	boom := errors.New("boom")
	w := NewWriter(failingWriter{boom})
	var err error
	for s := 0; s < 10_000 && err == nil; s++ {
		err = w.WriteSeconds(float64(s), 1)
	}
	if err == nil {
		err = w.Flush()
	}
	if !errors.Is(err, boom) {
		t.Errorf("writing to a failing writer: %v, want %v", err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
