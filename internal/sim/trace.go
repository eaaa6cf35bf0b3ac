package sim

import (
	"fmt"
	"io"
	"time"

	"github.com/fastscaler/fastscaler/internal/trace"
)

// ReadCSV reads a trace file (package trace's format) named name, sampled every second.
func ReadCSV(r io.Reader, name string) (Trace, error) {
	l, err := trace.Read(r)
	if err != nil {
		return Trace{}, err
	}
	return Trace{Name: name, Start: l.Start, RPS: l.RPS}, nil
}

// WriteCSV writes the trace in package trace's format, for ReadCSV: one row a second, at RFC 3339 times from Start
// when it has one, else in seconds from 0. Floors are not written.
func (t Trace) WriteCSV(w io.Writer) error {
	tw := trace.NewWriter(w)
	for i, v := range t.RPS {
		var err error
		if t.Start.IsZero() {
			err = tw.WriteSeconds(float64(i), v)
		} else {
			err = tw.WriteTime(t.Start.Add(time.Duration(i)*time.Second), v)
		}
		if err != nil {
			return fmt.Errorf("writing trace %q: %w", t.Name, err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing trace %q: %w", t.Name, err)
	}
	return nil
}
