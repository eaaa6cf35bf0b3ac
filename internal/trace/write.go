package trace

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Header names the columns of every trace Writer writes.
const Header = "time,rps"

// Writer writes a trace, one row per sample, in time order and all of one kind (times or seconds), as Read wants
// them; rows are buffered until Flush.
type Writer struct {
	bw       *bufio.Writer
	kind     timeKind
	rows     int
	lastTime time.Time
	lastSecs float64
	buf      []byte
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{bw: bufio.NewWriter(w), buf: make([]byte, 0, 64)} }

// WriteTime writes a row at an RFC 3339 time (in t's zone, to the nanosecond when it has a fraction).
func (w *Writer) WriteTime(t time.Time, rps float64) error {
	at := t.Format(time.RFC3339Nano)
	switch {
	case w.kind == kindSeconds:
		return fmt.Errorf("row at %s: a trace's times are all RFC 3339 or all seconds, and this one's are seconds", at)
	case w.rows > 0 && !t.After(w.lastTime):
		return fmt.Errorf("row at %s: not after the previous row's %s", at, w.lastTime.Format(time.RFC3339Nano))
	}
	if err := checkRPS(rps); err != nil {
		return fmt.Errorf("row at %s: %w", at, err)
	}
	w.kind, w.lastTime = kindRFC3339, t
	return w.row(t.AppendFormat(w.buf[:0], time.RFC3339Nano), rps)
}

// WriteSeconds writes a row at a number of seconds from the trace's start.
func (w *Writer) WriteSeconds(s float64, rps float64) error {
	at := strconv.FormatFloat(s, 'f', -1, 64)
	switch {
	case w.kind == kindRFC3339:
		return fmt.Errorf("row at second %s: a trace's times are all RFC 3339 or all seconds, and this one's are RFC 3339", at)
	case math.IsNaN(s) || math.IsInf(s, 0) || s < 0:
		return fmt.Errorf("row at second %s: not a finite number ≥ 0", at)
	case w.rows > 0 && s <= w.lastSecs:
		return fmt.Errorf("row at second %s: not after the previous row's %s", at, strconv.FormatFloat(w.lastSecs, 'f', -1, 64))
	}
	if err := checkRPS(rps); err != nil {
		return fmt.Errorf("row at second %s: %w", at, err)
	}
	w.kind, w.lastSecs = kindSeconds, s
	return w.row(strconv.AppendFloat(w.buf[:0], s, 'f', -1, 64), rps)
}

// row writes the header before the first row, then the row whose time is already in buf.
func (w *Writer) row(buf []byte, rps float64) error {
	if w.rows == 0 {
		if _, err := w.bw.WriteString(Header + "\n"); err != nil {
			return err
		}
	}
	w.rows++
	buf = append(buf, ',')
	buf = strconv.AppendFloat(buf, rps, 'f', -1, 64) // the shortest text that reads back as the same float
	buf = append(buf, '\n')
	w.buf = buf
	_, err := w.bw.Write(buf)
	return err
}

// Flush writes what is buffered; a trace needs at least 2 rows, the fewest Read takes.
func (w *Writer) Flush() error {
	if w.rows < 2 {
		return fmt.Errorf("%d rows; a trace needs at least 2", w.rows)
	}
	return w.bw.Flush()
}

// checkRPS refuses what Read would: a rate that is negative or not finite.
func checkRPS(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("rps %v is not finite", v)
	case v < 0:
		return fmt.Errorf("rps %v is negative", v)
	}
	return nil
}
