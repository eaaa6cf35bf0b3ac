package calibrate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// ExportTrace writes the router's request rate as the `time,rps` CSV (RFC 3339 times, UTC) that
// `fastscaler simulate --trace` reads, so an SRE can replay a recorded evening against a new capacity.
// Missing (non-finite) values are left out: the simulator interpolates across the gap.
func ExportTrace(w io.Writer, routerRequestRate Series) error {
	n, err := routerRequestRate.Len()
	if err != nil {
		return fmt.Errorf("exporting trace: %w", err)
	}
	type row struct {
		t time.Time
		v float64
	}
	rows := make([]row, 0, n)
	for i, v := range routerRequestRate.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		t := routerRequestRate.Times[i].UTC()
		if v < 0 {
			return fmt.Errorf("exporting trace: rps %v at %s is negative", v, t.Format(time.RFC3339))
		}
		rows = append(rows, row{t, v})
	}
	if len(rows) < 2 {
		return fmt.Errorf("exporting trace: %d finite samples; a trace needs at least 2", len(rows))
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.t.Compare(b.t) })
	// RFC 3339 as written here keeps whole seconds, and the simulator needs strictly increasing times.
	for i := 1; i < len(rows); i++ {
		if !rows[i].t.Truncate(time.Second).After(rows[i-1].t.Truncate(time.Second)) {
			return fmt.Errorf("exporting trace: two samples in the second %s: times must be at least a second apart",
				rows[i].t.Truncate(time.Second).Format(time.RFC3339))
		}
	}

	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 64)
	buf = append(buf, "time,rps\n"...)
	for _, r := range rows {
		buf = r.t.AppendFormat(buf, time.RFC3339)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, r.v, 'f', -1, 64) // shortest text that parses back to the same float
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("exporting trace: %w", err)
		}
		buf = buf[:0]
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("exporting trace: %w", err)
	}
	return nil
}
