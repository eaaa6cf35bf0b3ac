package trace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limits on a trace file, so a wrong file (or a typo in one timestamp) fails with a clear error instead of
// exhausting memory: 10 million seconds of output is 80 MB of float64s and about 115 days.
const (
	maxSeconds  = 10_000_000
	maxRows     = 5_000_000
	maxProblems = 10 // problems reported one by one; the rest are counted
)

// timeKind is how a trace file gives its times; all rows of one file use one kind.
type timeKind int

const (
	kindUnknown timeKind = iota
	kindSeconds
	kindRFC3339
)

// what names a time of kind k in an error: "time "x" is not <what>".
func (k timeKind) what() string {
	if k == kindRFC3339 {
		return "an RFC 3339 time (like 2026-11-22T20:00:00Z)"
	}
	return "a number of seconds"
}

// Load is a trace read back: the requests/s offered every second from Start.
type Load struct {
	Start time.Time // the first row's time; zero for a trace given in seconds
	RPS   []float64 // one value a second, from the first row's time to the last row's
}

// Read reads a trace, `time,rps` rows whose times are all RFC 3339 times or all seconds (the header is optional, and
// may name the columns otherwise, as `seconds,rps`; columns after rps are ignored), and samples it every second,
// linearly between rows.
func Read(r io.Reader) (Load, error) {
	return read(r, limits{rows: maxRows, seconds: maxSeconds})
}

// limits bound a trace file; tests lower them to exercise the limits without multi-megabyte inputs.
type limits struct {
	rows    int // data rows
	seconds int // seconds of output
}

// read is Read within limits. Samples run from the first row's time (Start for RFC 3339 files; a seconds
// file is shifted to start at 0) to the last row's, inclusive when that falls on a whole second. Errors name the
// line ("line 7: rps "abc" is not a number"), up to maxProblems of them, so one run reports most of a file.
func read(r io.Reader, lim limits) (Load, error) {
	p := parser{limits: lim}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			// Spreadsheets save UTF-8 CSV with a byte-order mark, which would otherwise spoil the first field.
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if !p.row(line, text) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if !errors.Is(err, bufio.ErrTooLong) {
			return Load{}, fmt.Errorf("reading trace after line %d: %w", line, err)
		}
		p.problems.add(line+1, "longer than %d bytes", bufio.MaxScanTokenSize)
	}
	if p.problems.n == 0 && p.rows < 2 {
		return Load{}, fmt.Errorf("want at least 2 rows (time,rps), got %d", p.rows)
	}
	if err := p.problems.err(); err != nil {
		return Load{}, err
	}
	// The last row's own sample, when it falls on a whole second (rows on whole seconds are the usual case).
	if float64(len(p.rps)) <= p.prev.offset {
		p.rps = append(p.rps, p.prev.rps)
	}
	return Load{Start: p.start, RPS: p.rps}, nil
}

// parsedRow is one valid row, its time as seconds after the first row's.
type parsedRow struct {
	line   int
	text   string // the time as written, for error messages
	offset float64
	rps    float64
}

// parser reads rows one by one, streaming the 1-second samples out as each pair of rows is known, so
// a long history never holds its rows and its samples in memory at once.
type parser struct {
	limits   limits
	seenRow  bool // a non-blank, non-comment row was read: a header may only come first
	rows     int  // data rows (not counting a header)
	kind     timeKind
	origin   float64   // the first row's time in seconds (seconds traces)
	start    time.Time // the first row's time (RFC 3339 traces)
	prev     parsedRow
	havePrev bool
	rps      []float64
	problems problems
}

// row reads one physical line; it returns false when reading should stop (a limit was exceeded).
func (p *parser) row(line int, text string) bool {
	text = strings.TrimSpace(text)
	if text == "" || text[0] == '#' {
		return true
	}
	timeText, rest, hasRPS := strings.Cut(text, ",")
	timeText = field(timeText)
	rpsText, _, _ := strings.Cut(rest, ",") // columns after rps (a calibrate export's extras) are ignored
	rpsText = field(rpsText)

	first := !p.seenRow
	p.seenRow = true
	if first && isHeader(timeText, rpsText, hasRPS) {
		return true
	}
	if !hasRPS {
		p.problems.add(line, "want at least 2 columns (time,rps), got 1")
		return true
	}
	p.rows++
	if p.rows > p.limits.rows {
		p.problems.add(line, "more than %d rows; resample the trace coarser", p.limits.rows)
		return false
	}

	offset, ok := p.parseTime(line, timeText)
	if ok && p.havePrev && offset <= p.prev.offset {
		p.problems.add(line, "time %s is not after line %d's %s", timeText, p.prev.line, p.prev.text)
		ok = false
	}
	if ok && offset >= float64(p.limits.seconds) {
		p.problems.add(line, "time %s is %.0f s after the first row's; a trace may last at most %d s",
			timeText, offset, p.limits.seconds)
		return false
	}
	if !ok {
		// One problem a line is enough to fix it; and the last good time stays the reference, so one bad
		// row yields one error, not a second one on the row after it.
		return true
	}
	rps, why := parseRPS(rpsText)
	if why != "" {
		p.problems.add(line, "rps %s", why)
	}
	cur := parsedRow{line: line, text: timeText, offset: offset, rps: rps}
	if p.havePrev && p.problems.n == 0 {
		p.interpolate(p.prev, cur)
	}
	p.prev, p.havePrev = cur, true
	return true
}

// interpolate appends the 1-second samples in [a.offset, b.offset), on the straight line from a to b.
func (p *parser) interpolate(a, b parsedRow) {
	span := b.offset - a.offset
	for k := len(p.rps); float64(k) < b.offset; k++ {
		p.rps = append(p.rps, a.rps+(b.rps-a.rps)*(float64(k)-a.offset)/span)
	}
}

// parseTime returns a row's time in seconds after the first row's; the first valid time fixes the file's kind.
func (p *parser) parseTime(line int, text string) (float64, bool) {
	secs, secsErr := number(text)
	isSecs := !errors.Is(secsErr, errNotNumber)
	t, timeErr := time.Parse(time.RFC3339, text)
	isTime := timeErr == nil

	if p.kind == kindUnknown {
		switch {
		case isSecs:
			p.kind = kindSeconds
		case isTime:
			p.kind = kindRFC3339
		default:
			p.problems.add(line, "time %q is neither seconds nor an RFC 3339 time (like 2026-11-22T20:00:00Z)", text)
			return 0, false
		}
	}
	// Every row gives its time as the first valid one did.
	fits, other := isSecs, isTime
	if p.kind == kindRFC3339 {
		fits, other = isTime, isSecs
	}
	switch {
	case !fits && other:
		p.problems.add(line, "mixes RFC 3339 times and seconds")
		return 0, false
	case !fits:
		p.problems.add(line, "time %q is not %s", text, p.kind.what())
		return 0, false
	}
	if p.kind == kindRFC3339 {
		if !p.havePrev {
			p.start = t
		}
		// Sub saturates past ±292 years; such a row fails the ordering or length check either way.
		return t.Sub(p.start).Seconds(), true
	}
	switch {
	case secsErr != nil:
		p.problems.add(line, "time %s is not finite", text)
		return 0, false
	case secs < 0:
		p.problems.add(line, "time %s is negative", text)
		return 0, false
	}
	if !p.havePrev {
		p.origin = secs
	}
	return secs - p.origin, true
}

// isHeader reports whether a file's first row names its columns rather than giving a sample. Its first field
// is neither a number nor a time; a row whose rps is a number is a bad sample, not a header, so a first row
// like "2026-11-22 20:00:00,1234" is reported instead of silently dropped.
func isHeader(timeText, rpsText string, hasRPS bool) bool {
	if _, err := number(timeText); !errors.Is(err, errNotNumber) {
		return false
	}
	if _, err := time.Parse(time.RFC3339, timeText); err == nil {
		return false
	}
	if !hasRPS {
		return true
	}
	_, err := number(rpsText)
	return errors.Is(err, errNotNumber)
}

// field trims a field and the double quotes spreadsheets put around every field of their exports.
func field(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

var (
	errNotNumber = errors.New("not a number")
	errNotFinite = errors.New("not finite")
)

// number parses a float, telling a non-number from a number that is not finite (NaN, Inf, 1e999).
func number(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errNotNumber
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errNotFinite
	}
	return v, nil
}

// parseRPS parses an rps field, a finite number ≥ 0; why, when not empty, says what is wrong with it.
func parseRPS(s string) (v float64, why string) {
	v, err := number(s)
	switch {
	case errors.Is(err, errNotNumber):
		return 0, strconv.Quote(s) + " is not a number"
	case err != nil:
		return 0, s + " is not finite"
	case v < 0:
		return 0, s + " is negative"
	}
	return v, ""
}

// problems collects a file's problems, keeping the first few, so one run of the command reports many.
type problems struct {
	errs []error
	n    int
}

func (l *problems) add(line int, format string, args ...any) {
	l.n++
	if len(l.errs) < maxProblems {
		l.errs = append(l.errs, fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
}

func (l *problems) err() error {
	if l.n == 0 {
		return nil
	}
	errs := l.errs
	if more := l.n - len(errs); more > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("... and %d more", more))
	}
	return errors.Join(errs...)
}
