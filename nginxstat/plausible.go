package nginxstat

import (
	"fmt"
	"slices"
)

// PlausibleCeiling bounds Screen: a router task's rate is implausible above PlausibleCeiling times its configured
// capacity.
//
// Why 10: a correctly sized router serves at most its saturation rate, capacity × 100/70 ≈ 1.43 × capacity in the
// simulator's model; calibrate recommends a capacity ~22% under the measured knee (140 for a knee of 179), so a
// router really seen at the knee's saturation reads ≈ 1.8 × its configured capacity. A factor of 10 leaves room for
// a capacity set 5× too low by mistake, while a corrupt or wrapped counter (a jump of 10⁶ and more between two polls,
// i.e. ≥ 10⁵ rps at 10 s) is far outside it. There is deliberately no rule relative to the other tasks: right after
// a router scale-out the old tasks legitimately carry many times what the new ones do (which see only health
// checks until the NLB registers them), and flagging the old ones would hide the very load of a surge.
const PlausibleCeiling = 10.0

// Screen marks targets whose request rate is implausible as StatusImplausible, which, like every status but
// StatusOK, counts as missing data (never as load, never as zero), and returns the snapshot with its sums
// recomputed. perTaskCapacity is the requests/s one router task serves at its target utilisation (≤ 0: no screening).
func (s Snapshot) Screen(perTaskCapacity float64) Snapshot {
	if !(perTaskCapacity > 0) {
		return s
	}
	ceiling := PlausibleCeiling * perTaskCapacity
	out := s
	out.Targets = slices.Clone(s.Targets)
	changed := false
	for i, t := range out.Targets {
		if r := t.Rates.RequestsPerSec; t.Status == StatusOK && r > ceiling {
			out.Targets[i].Status = StatusImplausible
			out.Targets[i].Err = fmt.Errorf("implausible rate: %.0f requests/s is over %g × the router's capacity of %g per task",
				r, PlausibleCeiling, perTaskCapacity)
			changed = true
		}
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
