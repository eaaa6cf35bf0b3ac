package nginxstat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxBodyBytes bounds how much of a stub_status response is read; a real page is about 100 bytes.
const MaxBodyBytes = 4 << 10

// ErrMalformed marks a stub_status body that does not have the expected format.
var ErrMalformed = errors.New("malformed stub_status")

// Stats is one reading of an nginx stub_status page.
type Stats struct {
	Active   int64 // open client connections, idle keep-alives included
	Accepts  int64 // connections accepted since nginx started (counter)
	Handled  int64 // connections handled since nginx started (counter)
	Requests int64 // client requests since nginx started (counter)
	Reading  int64 // connections reading a request header
	Writing  int64 // connections writing a response (requests in flight)
	Waiting  int64 // idle keep-alive connections
}

// Parse reads a stub_status body:
//
//	Active connections: 291
//	server accepts handled requests
//	 16630948 16630948 31070465
//	Reading: 6 Writing: 179 Waiting: 106
//
// It tolerates surrounding blank space and CRLF line ends and rejects anything else with an error wrapping
// ErrMalformed that says which field was wrong.
func Parse(r io.Reader) (Stats, error) {
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(r, MaxBodyBytes+1))
	sc.Buffer(make([]byte, 0, 512), MaxBodyBytes+1)
	size := 0
	for sc.Scan() {
		size += len(sc.Bytes()) + 1
		if size > MaxBodyBytes {
			return Stats{}, fmt.Errorf("%w: body longer than %d bytes", ErrMalformed, MaxBodyBytes)
		}
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Stats{}, fmt.Errorf("%w: body longer than %d bytes", ErrMalformed, MaxBodyBytes)
		}
		return Stats{}, fmt.Errorf("reading stub_status: %w", err)
	}
	if len(lines) != 4 {
		return Stats{}, fmt.Errorf("%w: want 4 non-empty lines, got %d", ErrMalformed, len(lines))
	}

	var s Stats
	var err error
	if s.Active, err = labelled(lines[0], "Active connections:"); err != nil {
		return Stats{}, err
	}
	if strings.Join(strings.Fields(lines[1]), " ") != "server accepts handled requests" {
		return Stats{}, fmt.Errorf("%w: line 2 is %q, want %q", ErrMalformed, lines[1], "server accepts handled requests")
	}
	counters := strings.Fields(lines[2])
	if len(counters) != 3 {
		return Stats{}, fmt.Errorf("%w: line 3 has %d fields, want 3 (accepts handled requests)", ErrMalformed, len(counters))
	}
	for i, dst := range []*int64{&s.Accepts, &s.Handled, &s.Requests} {
		name := [...]string{"accepts", "handled", "requests"}[i]
		if *dst, err = number(name, counters[i]); err != nil {
			return Stats{}, err
		}
	}
	f := strings.Fields(lines[3])
	if len(f) != 6 || f[0] != "Reading:" || f[2] != "Writing:" || f[4] != "Waiting:" {
		return Stats{}, fmt.Errorf("%w: line 4 is %q, want \"Reading: N Writing: N Waiting: N\"", ErrMalformed, lines[3])
	}
	for i, dst := range []*int64{&s.Reading, &s.Writing, &s.Waiting} {
		name := strings.ToLower(strings.TrimSuffix(f[2*i], ":"))
		if *dst, err = number(name, f[2*i+1]); err != nil {
			return Stats{}, err
		}
	}
	if s.Handled > s.Accepts {
		return Stats{}, fmt.Errorf("%w: handled (%d) exceeds accepts (%d)", ErrMalformed, s.Handled, s.Accepts)
	}
	return s, nil
}

// labelled parses "Label: N".
func labelled(line, label string) (int64, error) {
	rest, ok := strings.CutPrefix(line, label)
	if !ok {
		return 0, fmt.Errorf("%w: line 1 is %q, want %q", ErrMalformed, line, label+" N")
	}
	return number(strings.ToLower(strings.TrimSuffix(label, ":")), strings.TrimSpace(rest))
}

// number parses a non-negative decimal field, naming it on error.
func number(field, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%w: %s is %q, want a non-negative integer", ErrMalformed, field, s)
	}
	return n, nil
}
