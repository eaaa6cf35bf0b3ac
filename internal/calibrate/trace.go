package calibrate

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/fastscaler/fastscaler/internal/trace"
)

// ExportTrace writes the router's request rate as a trace (package trace's format: `time,rps`, RFC 3339 times in
// UTC), what `fastscaler simulate --trace` reads, so an SRE can replay a recorded evening against a new capacity.
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
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			rows = append(rows, row{routerRequestRate.Times[i].UTC(), v})
		}
	}
	if len(rows) < 2 {
		return fmt.Errorf("exporting trace: %d finite samples; a trace needs at least 2", len(rows))
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.t.Compare(b.t) })
	tw := trace.NewWriter(w)
	for _, r := range rows {
		if err := tw.WriteTime(r.t, r.v); err != nil {
			return fmt.Errorf("exporting trace: %w", err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("exporting trace: %w", err)
	}
	return nil
}
