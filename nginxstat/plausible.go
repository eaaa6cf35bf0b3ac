package nginxstat

import (
	"fmt"
	"slices"
)

// Plausibility bounds of Screen. A router task's rate is implausible when it exceeds PlausibleCeiling times the
// ceiling its configured capacity implies, or, once it is above that ceiling at all, PlausibleMedianFactor times
// the median of the other reporting tasks.
//
// Why 10: a correctly sized router serves at most its saturation rate, capacity × 100/70 ≈ 1.43 × capacity in the
// simulator's model; calibrate recommends a capacity ~22% under the measured knee (140 for a knee of 179), so a
// router really seen at the knee's saturation reads ≈ 1.8 × its configured capacity. A factor of 10 leaves room for
// a capacity set 5× too low by mistake, while a corrupt or wrapped counter (a jump of 10⁶ and more between two polls,
// i.e. ≥ 10⁵ rps at 10 s) is far outside it. The median rule never flags a task below its capacity's ceiling:
// just after a router scale-out the old tasks legitimately carry many times what the new ones do.
const (
	PlausibleCeiling      = 10.0
	PlausibleMedianFactor = 10.0
)

// Screen marks targets whose request rate is implausible as StatusImplausible, which, like every status but
// StatusOK, counts as missing data (never as load, never as zero), and returns the snapshot with its sums
// recomputed. perTaskCapacity is the requests/s one router task serves at its target utilisation (≤ 0: no screening).
func (s Snapshot) Screen(perTaskCapacity float64) Snapshot {
	if !(perTaskCapacity > 0) {
		return s
	}
	ceiling := PlausibleCeiling * perTaskCapacity
	var rates []float64
	for _, t := range s.Targets {
		if t.Status == StatusOK {
			rates = append(rates, t.Rates.RequestsPerSec)
		}
	}
	out := s
	out.Targets = slices.Clone(s.Targets)
	changed := false
	for i, t := range out.Targets {
		if t.Status != StatusOK {
			continue
		}
		r := t.Rates.RequestsPerSec
		why := ""
		switch {
		case r > ceiling:
			why = fmt.Sprintf("%.0f requests/s is over %g × the router's capacity of %g per task", r, PlausibleCeiling, perTaskCapacity)
		case r > perTaskCapacity*100/70 && len(rates) >= 3:
			if m := medianWithout(rates, r); m > 0 && r > PlausibleMedianFactor*m {
				why = fmt.Sprintf("%.0f requests/s is over the router's saturation and %g × the fleet's median of %.0f", r, PlausibleMedianFactor, m)
			}
		}
		if why == "" {
			continue
		}
		out.Targets[i].Status = StatusImplausible
		out.Targets[i].Err = fmt.Errorf("implausible rate: %s", why)
		changed = true
	}
	if !changed {
		return s
	}
	out.Reporting, out.RequestsPerSec, out.AcceptsPerSec, out.DroppedPerSec = 0, 0, 0, 0
	for _, t := range out.Targets {
		if t.Status == StatusOK {
			out.Reporting++
			out.RequestsPerSec += t.Rates.RequestsPerSec
			out.AcceptsPerSec += t.Rates.AcceptsPerSec
			out.DroppedPerSec += t.Rates.DroppedPerSec
		}
	}
	return out
}

// medianWithout is the median of rates with one occurrence of r removed.
func medianWithout(rates []float64, r float64) float64 {
	others := slices.Clone(rates)
	if i := slices.Index(others, r); i >= 0 {
		others = slices.Delete(others, i, i+1)
	}
	if len(others) == 0 {
		return 0
	}
	slices.Sort(others)
	n := len(others)
	if n%2 == 1 {
		return others[n/2]
	}
	return (others[n/2-1] + others[n/2]) / 2
}
