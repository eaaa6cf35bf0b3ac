package policy

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Decide makes one tick's scaling decision. It is pure and deterministic: the same arguments always give the
// same Decision and State, and prev is left untouched.
func Decide(cfg Config, in Input, prev State, now time.Time) (Decision, State) {
	st := prev.clone()
	if st.Started.IsZero() {
		st.Started = now
	}
	d := Decision{Coverage: in.Load.Coverage(), Services: make(map[string]ServiceDecision, len(cfg.Services))}

	valid := in.Load.Known > 0 && in.Load.Reporting > 0 && in.Load.Reporting <= in.Load.Known &&
		in.Load.RequestsPerSec >= 0 && !math.IsInf(in.Load.RequestsPerSec, 0) && !math.IsNaN(in.Load.RequestsPerSec)
	if valid {
		// Routers that served before but did not report now are assumed as busy as those that did: right for a
		// scale-out, and scale-in is refused below MinCoverage anyway. New routers that never reported are not
		// extrapolated over: they take little traffic until the NLB sends them some, and counting them would turn
		// every router scale-out into a bigger one.
		d.Load = in.Load.RequestsPerSec * float64(max(in.Load.Serving, in.Load.Reporting)) / float64(in.Load.Reporting)
		if st.FirstData.IsZero() {
			st.FirstData = now
		}
		st.History = append(st.History, Point{At: now, RPS: d.Load})
	}
	st.History = prunePoints(st.History, now.Add(-cfg.historySpan()))
	if !st.FirstData.IsZero() && (!valid || in.Load.Coverage() < cfg.MinCoverage) {
		st.LastGap = now
	}

	d.Short, _ = meanOver(st.History, now.Add(-cfg.ShortWindow), now)
	d.Steady, _ = meanOver(st.History, now.Add(-cfg.SteadyWindow), now)
	baseline, n := meanOver(st.History, now.Add(-cfg.BaselineWindow), now.Add(-cfg.ShortWindow))
	// A baseline of 0 (an idle service) is a real baseline: then the absolute floor alone decides a surge.
	baselineReady := n > 0 && now.Add(-cfg.ShortWindow).Sub(firstAfter(st.History, now.Add(-cfg.BaselineWindow))) >= cfg.MinBaseline
	if baselineReady {
		d.Baseline = baseline
	}
	noise := noiseOf(st.History, now.Add(-cfg.BaselineWindow), now.Add(-cfg.ShortWindow))
	d.Slope = slope(st.History, now.Add(-cfg.SlopeWindow), now, noise)

	surgeCond := valid && baselineReady && d.Short >= cfg.SurgeRatio*d.Baseline && d.Short >= cfg.SurgeMinRPS
	if valid && !baselineReady && n > 0 {
		// Surge-ready from the start (after a restart without recorded history): a rise above the first rates
		// observed counts as a surge when every poll of the short window shows it, not only their mean.
		first, _ := meanOver(st.History, st.History[0].At.Add(-time.Nanosecond), minTime(st.History[0].At.Add(cfg.ShortWindow), now.Add(-cfg.ShortWindow)))
		young := minOver(st.History, now.Add(-cfg.ShortWindow), now) >= cfg.SurgeRatio*first
		if young && d.Short >= cfg.SurgeRatio*first && d.Short >= cfg.SurgeMinRPS {
			surgeCond, d.Baseline = true, first
		}
	}
	if !surgeCond {
		st.RiseSince = time.Time{}
	} else if st.RiseSince.IsZero() {
		st.RiseSince = now
	}
	if surgeCond && !now.Before(st.SurgeUntil) && now.Sub(st.RiseSince) < cfg.Confirm && d.Slope <= 0 && d.Short < 2*cfg.SurgeRatio*d.Baseline {
		// A new surge must hold for Confirm before it counts, so a blip shorter than that adds no task; unless the
		// load grows in both halves of the slope window (a ramp is no blip), or jumped beyond twice the surge ratio
		// (missing that costs more than a few tasks for a blip).
		d.Pending = fmt.Sprintf("a rise to %.0f rps (%.1f× the baseline) must hold %s before it counts as a surge; %s so far",
			d.Short, d.Short/max(d.Baseline, 1), cfg.Confirm, now.Sub(st.RiseSince))
		surgeCond = false
	}
	if surgeCond {
		if !now.Before(st.SurgeUntil) {
			st.SurgeSince, st.SurgeBase = now, d.Baseline
		}
		st.SurgeUntil = now.Add(cfg.SurgeHold)
	}
	surge := now.Before(st.SurgeUntil)
	if !surge {
		st.SurgeSince, st.SurgeBase = time.Time{}, 0
	}

	sizeLoad := d.Steady
	if surge && valid {
		// Start from this tick's rate when it is above the short-window mean: in a surge the newest poll is the
		// best estimate of the load now.
		current := max(d.Load, d.Short)
		proj := current + max(0, d.Slope)*cfg.LeadTime.Seconds()
		// Anticipation is bounded twice: by a multiple of the current rate, and by the largest surge planned for,
		// relative to where this surge started. Neither bounds the reaction: a load beyond them is still sized
		// for as it arrives. The second bound keeps a catch-up (served load jumping when capacity arrives after
		// saturation) from being read as ever steeper growth.
		proj = min(proj, cfg.MaxProjection*current)
		if st.SurgeBase > 0 {
			proj = min(proj, cfg.MaxSurgeFactor*st.SurgeBase)
		}
		d.Projected = max(proj, current, d.Steady)
		sizeLoad = d.Projected
	}

	if why := censored(cfg, in.Load, d.Load, valid); why != "" {
		// The routers serve what they can, not what is asked: size for more, while the ceiling holds.
		d.Censored = why
		sizeLoad = max(sizeLoad, CensoredGrowth*max(d.Load, d.Short))
		d.Projected = max(d.Projected, sizeLoad)
	}

	anyCooldown := false
	for _, name := range cfg.ServiceNames() {
		sc := cfg.Services[name]
		ss, ok := in.Services[name]
		if !ok {
			d.Services[name] = ServiceDecision{Direction: Hold, Reason: "hold: service state unknown this tick"}
			continue
		}
		sd, inCooldown := decideService(cfg, name, sc, ss, &st, d, sizeLoad, valid, surge, now)
		anyCooldown = anyCooldown || inCooldown
		d.Services[name] = sd
		switch sd.Direction {
		case Up:
			st.LastScaleOut = setTime(st.LastScaleOut, name, now)
		case Down:
			st.LastScaleIn = setTime(st.LastScaleIn, name, now)
		}
	}

	switch {
	case !valid && st.FirstData.IsZero():
		d.Mode = ModeWarmup
		d.Reason = fmt.Sprintf("warming up: no valid stub_status yet (%d of %d router tasks reporting)", in.Load.Reporting, in.Load.Known)
	case !valid:
		d.Mode = ModeNoData
		d.Reason = fmt.Sprintf("no data: %d of %d router tasks reporting; holding every count", in.Load.Reporting, in.Load.Known)
	case surge:
		d.Mode = ModeSurge
		d.Reason = fmt.Sprintf("surge since %s: %.0f rps over the short window vs %.0f rps baseline; sized for %.0f rps %s ahead (slope %+.1f rps/s)",
			st.SurgeSince.UTC().Format(time.RFC3339), d.Short, d.Baseline, d.Projected, cfg.LeadTime, d.Slope)
	case anyCooldown:
		d.Mode = ModeCooldown
		d.Reason = fmt.Sprintf("cooldown: %.0f rps (%s mean); scale-in waits for the cooldown", d.Steady, cfg.SteadyWindow)
	default:
		d.Mode = ModeSteady
		d.Reason = fmt.Sprintf("steady: %.0f rps (%s mean)", d.Steady, cfg.SteadyWindow)
	}
	if d.Censored != "" {
		d.Reason += fmt.Sprintf("; %s: demand is at least what they serve, sized for %g× = %.0f rps", d.Censored, CensoredGrowth, d.Projected)
	}
	if valid && in.Load.Reporting < in.Load.Serving {
		d.Reason += fmt.Sprintf("; extrapolated from %d of %d serving router tasks", in.Load.Reporting, in.Load.Serving)
	}
	return d, st
}

// censored says why the routers are at their ceiling, so that load is a lower bound of the demand ("": they are not).
func censored(cfg Config, l Load, load float64, valid bool) string {
	rc, ok := cfg.Services[cfg.Router]
	if !valid || !ok {
		return ""
	}
	serving := max(l.Serving, l.Reporting)
	perTask, ceiling := load/float64(serving), rc.Capacity*CeilingFactor
	switch {
	case l.DroppedPerSec > 0.05*load && perTask >= 0.9*ceiling:
		return fmt.Sprintf("routers at their ceiling: nginx drops %.0f connections/s", l.DroppedPerSec)
	case perTask >= cfg.CeilingNear*ceiling:
		return fmt.Sprintf("routers at their ceiling: %.0f rps per task, ≥ %.0f%% of the %.0f they saturate at", perTask, 100*cfg.CeilingNear, ceiling)
	}
	return ""
}

// decideService decides one service and records its recommendation in st. It reports whether the service is in
// its scale-in cooldown.
func decideService(cfg Config, name string, sc ServiceConfig, ss ServiceState, st *State, d Decision,
	sizeLoad float64, valid, surge bool, now time.Time) (ServiceDecision, bool) {
	cur := ss.Desired
	sd := ServiceDecision{Current: cur, Desired: cur, Direction: Hold}

	lo, hi := sc.Min, sc.Max
	maxNote := fmt.Sprintf("max %d", hi)
	if ss.Max > 0 && ss.Max < hi {
		hi, maxNote = ss.Max, firstNonEmpty(ss.MaxNote, fmt.Sprintf("max %d", ss.Max))
	}
	floorNote := ""
	if ss.Floor.ActiveAt(now) && ss.Floor.Count > lo {
		lo = ss.Floor.Count
		floorNote = fmt.Sprintf("pre-scale floor %d until %s", ss.Floor.Count, ss.Floor.Until.UTC().Format(time.RFC3339))
	}
	if lo > hi {
		floorNote += fmt.Sprintf(" (capped at %s)", maxNote)
		lo = hi
	}
	// The owner's minimum bounds only what scale-in leaves: below it, the owner's own scaling raises the count.
	keep, keepNote := lo, floorNote
	if ss.OwnerMin > keep {
		keep, keepNote = min(ss.OwnerMin, hi), firstNonEmpty(ss.OwnerMinNote, fmt.Sprintf("owner minimum %d", ss.OwnerMin))
	}

	serviceLoad := sizeLoad * sc.Weight / 100
	if valid {
		sd.Recommended = ceilTasks(serviceLoad / sc.Capacity)
		// What scale-in may go down to also answers this tick's own rate: a jump that the steady mean still
		// dilutes must not let a scale-in through.
		keep := max(sd.Recommended, ceilTasks(d.Load*sc.Weight/100/sc.Capacity))
		st.Recs = pushRec(st.Recs, name, rec{At: now, Count: keep})
	}
	st.Recs[name] = pruneRecs(st.Recs[name], now.Add(-cfg.Stabilization))

	cooldownAnchor := maxTime(st.LastScaleOut[name], ss.LastScaleOut)
	if ss.Floor.Count > 0 && !ss.Floor.Until.After(now) {
		// The floor just ended: count the cooldown from its end, so its capacity is not dropped at once.
		cooldownAnchor = maxTime(cooldownAnchor, ss.Floor.Until)
	}
	if !ss.PauseEnded.After(now) {
		// Likewise a pause that expired: an SRE may have set the count by hand during it.
		cooldownAnchor = maxTime(cooldownAnchor, ss.PauseEnded)
	}
	cooldownLeft := cooldownAnchor.Add(cfg.ScaleInCooldown).Sub(now)
	inCooldown := !cooldownAnchor.IsZero() && cooldownLeft > 0

	switch {
	case ss.Gone != "":
		sd.Reason = "hold: left out of scaling: " + ss.Gone
		return sd, inCooldown
	case ss.Paused:
		sd.Reason = "hold: paused"
		return sd, inCooldown
	case ss.Busy != "":
		sd.Reason = "hold: " + ss.Busy
		return sd, inCooldown
	}

	// Scale-out: at once, in any mode, on any data (a rise outside a surge once it held for Confirm).
	up, why := lo, floorNote
	confirming := ""
	if why == "" && lo > cur {
		why = fmt.Sprintf("min tasks %d", lo)
	}
	if valid && sd.Recommended > cur {
		limit := float64(cur) * sc.Capacity * (1 + cfg.Tolerance)
		over := serviceLoad > limit
		// Persistence is judged on the load now (the short window), not on the steady mean, which remembers a blip
		// for a whole window after it ended.
		if overNow := over && d.Short*sc.Weight/100 > limit; !overNow {
			delete(st.OverSince, name)
		} else if _, ok := st.OverSince[name]; !ok {
			st.OverSince = setTime(st.OverSince, name, now)
		}
		jump := d.Short*sc.Weight/100 >= 2*cfg.SurgeRatio*float64(cur)*sc.Capacity // no blip to wait out
		if since, ok := st.OverSince[name]; over && !surge && !jump && cur > 0 && (!ok || now.Sub(since) < cfg.Confirm) && cfg.Confirm > 0 {
			// Outside a surge, a load over capacity must hold for Confirm too, so a blip adds no task.
			over = false
			confirming = fmt.Sprintf("hold: %d tasks recommended; the load must stay over capacity for %s before a scale-out",
				sd.Recommended, cfg.Confirm)
		}
		if (surge || over || cur == 0) && sd.Recommended > up {
			up = sd.Recommended
			how := "load"
			if surge {
				how = "projected load"
			}
			why = fmt.Sprintf("%s %.0f rps × %g%% / %g rps per task = %d tasks", how, sizeLoad, sc.Weight, sc.Capacity, sd.Recommended)
		}
	}
	if up = min(up, hi); up > cur {
		if ss.ReadAge > MaxScaleOutReadAge {
			sd.Reason = fmt.Sprintf("hold: would scale out to %d, but the last read of the service from ECS is %s old (a scale-out needs one within %s)",
				up, ss.ReadAge.Round(time.Second), MaxScaleOutReadAge)
			return sd, inCooldown
		}
		sd.Desired, sd.Direction = up, Up
		sd.Reason = "scale out: " + why
		if up == hi && up < sd.Recommended {
			sd.Reason += fmt.Sprintf(" (capped at %s)", maxNote)
		}
		return sd, inCooldown
	}

	// Scale-in: only with full confidence, and paced by the last step, this daemon's or (from the tags) another's.
	lastIn := maxTime(st.LastScaleIn[name], ss.LastScaleIn)
	stable := maxRec(st.Recs[name])
	target := min(max(stable, keep), hi)
	windows := max(cfg.Stabilization, cfg.SteadyWindow)
	switch {
	case !valid:
		sd.Reason = "hold: no valid data; never scale in on missing data"
	case confirming != "":
		sd.Reason = confirming
	case target >= cur && stable >= cur && sd.Recommended < cur:
		sd.Reason = fmt.Sprintf("hold: highest recommendation over %s is %d", cfg.Stabilization, stable)
	case target >= cur && stable < cur:
		sd.Reason = "hold: at " + firstNonEmpty(keepNote, fmt.Sprintf("min tasks %d", lo))
	case target >= cur && sd.Recommended > cur:
		sd.Reason = fmt.Sprintf("hold: %d tasks recommended, within the ±%.0f%% tolerance band", sd.Recommended, 100*cfg.Tolerance)
	case target >= cur:
		sd.Reason = "hold: at recommendation"
	case surge:
		sd.Reason = "hold: surge mode never scales in"
	case ss.Stale:
		sd.Reason = "hold: service state from ECS is stale; never scale in from it"
	case ss.ScaleInHold != "":
		sd.Reason = "hold: no scale-in: " + ss.ScaleInHold
	case d.Coverage < cfg.MinCoverage:
		sd.Reason = fmt.Sprintf("hold: only %.0f%% of router tasks reporting; scale-in needs %.0f%%", 100*d.Coverage, 100*cfg.MinCoverage)
	case now.Sub(st.FirstData) < windows:
		sd.Reason = fmt.Sprintf("hold: windows fill %s after the first data; %s left", windows, (windows - now.Sub(st.FirstData)).Round(time.Second))
	case !st.LastGap.IsZero() && now.Sub(st.LastGap) < windows:
		sd.Reason = fmt.Sprintf("hold: data had a gap at %s; scale-in needs %s of full coverage", st.LastGap.UTC().Format(time.RFC3339), windows)
	case inCooldown:
		sd.Reason = fmt.Sprintf("hold: scale-in cooldown, %s left", cooldownLeft.Round(time.Second))
	case !lastIn.IsZero() && now.Sub(lastIn) < cfg.ScaleInInterval:
		sd.Reason = fmt.Sprintf("hold: next scale-in step in %s", (cfg.ScaleInInterval - now.Sub(lastIn)).Round(time.Second))
	default:
		step := max(1, int(math.Floor(float64(cur)*cfg.ScaleInStep)))
		next := max(target, cur-step)
		sd.Desired, sd.Direction = next, Down
		sd.Reason = fmt.Sprintf("scale in: highest recommendation over %s is %d", cfg.Stabilization, stable)
		if next > target {
			sd.Reason += fmt.Sprintf("; step limited to %d", step)
		}
		if target > stable {
			sd.Reason += "; held at " + firstNonEmpty(keepNote, fmt.Sprintf("min tasks %d", lo))
		}
	}
	return sd, inCooldown
}

// ceilTasks rounds a task count up, ignoring floating-point dust (4.0000000001 tasks is 4).
func ceilTasks(x float64) int {
	if !(x > 0) {
		return 0
	}
	if x > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Ceil(x - 1e-9))
}

// meanOver averages points with from < At ≤ to.
func meanOver(ps []Point, from, to time.Time) (float64, int) {
	sum, n := 0.0, 0
	for _, p := range ps {
		if p.At.After(from) && !p.At.After(to) {
			sum += p.RPS
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// minOver is the lowest rate of points with from < At ≤ to (0 with none).
func minOver(ps []Point, from, to time.Time) float64 {
	lo, seen := 0.0, false
	for _, p := range ps {
		if p.At.After(from) && !p.At.After(to) && (!seen || p.RPS < lo) {
			lo, seen = p.RPS, true
		}
	}
	return lo
}

// Seed returns st with recorded load points (e.g. what the daemon published to CloudWatch before a restart) put
// in its history ahead of its own: surge detection then has a baseline from the first ticks. Only the history is
// seeded: scale-in still waits for the windows to fill with the daemon's own data.
func Seed(cfg Config, st State, recorded []Point, now time.Time) State {
	out := st.clone()
	first := now
	if len(out.History) > 0 {
		first = out.History[0].At
	}
	var seeded []Point
	for _, p := range recorded {
		if p.At.Before(first) && p.At.After(now.Add(-cfg.historySpan())) && p.RPS >= 0 && !math.IsInf(p.RPS, 0) && !math.IsNaN(p.RPS) {
			seeded = append(seeded, p)
		}
	}
	slices.SortFunc(seeded, func(a, b Point) int { return a.At.Compare(b.At) })
	out.History = append(seeded, out.History...)
	return out
}

// firstAfter returns the time of the first point after from (from itself when there is none).
func firstAfter(ps []Point, from time.Time) time.Time {
	for _, p := range ps {
		if p.At.After(from) {
			return p.At
		}
	}
	return from
}

// slopeConfidence is how many standard errors a half's slope must exceed noise by before it counts (about
// 97.5% one-sided confidence).
const slopeConfidence = 2.0

// slope estimates sustained growth of the load, in requests/s per second, over points with from < At ≤ to: it
// fits a least-squares line to the older and to the newer half of the window and takes the smaller slope. A ramp
// grows in both halves; a step (a load that jumped once and stays) in one half only, so a step is sized for its
// new level instead of being projected to a multiple of it. Each half's slope is first lowered by its uncertainty
// given the noise seen in the baseline (sigma, requests/s): a few noisy polls do not make growth.
func slope(ps []Point, from, to time.Time, sigma float64) float64 {
	mid := from.Add(to.Sub(from) / 2)
	so, sxxo := lsSlope(ps, from, mid)
	sn, sxxn := lsSlope(ps, mid, to)
	return max(0, min(lowerBound(so, sxxo, sigma), lowerBound(sn, sxxn, sigma)))
}

func lowerBound(slope, sxx, sigma float64) float64 {
	if sxx <= 0 {
		return 0
	}
	return slope - slopeConfidence*sigma/math.Sqrt(sxx)
}

// lsSlope is the least-squares slope of points with from < At ≤ to, and Σ(x−x̄)² of their times (0 with fewer than
// 2 points), from which the slope's standard error follows: σ/√Sxx.
func lsSlope(ps []Point, from, to time.Time) (slope, sxx float64) {
	var n, sx, sy, sxxRaw, sxy float64
	for _, p := range ps {
		if !p.At.After(from) || p.At.After(to) {
			continue
		}
		x := p.At.Sub(to).Seconds()
		n++
		sx += x
		sy += p.RPS
		sxxRaw += x * x
		sxy += x * p.RPS
	}
	den := n*sxxRaw - sx*sx
	if n < 2 || den <= 0 {
		return 0, 0
	}
	return (n*sxy - sx*sy) / den, den / n
}

// noiseOf estimates the poll-to-poll noise of points with from < At ≤ to from their second differences
// (σ² ≈ mean((xᵢ−2xᵢ₋₁+xᵢ₋₂)²)/6), which a steady trend does not move, unlike the spread around the mean.
func noiseOf(ps []Point, from, to time.Time) float64 {
	var a, b float64 // the two previous values
	var sum float64
	seen, n := 0, 0
	for _, p := range ps {
		if !p.At.After(from) || p.At.After(to) {
			continue
		}
		if seen >= 2 {
			d := p.RPS - 2*b + a
			sum += d * d
			n++
		}
		a, b = b, p.RPS
		seen++
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(n) / 6)
}

func prunePoints(ps []Point, before time.Time) []Point {
	i := 0
	for i < len(ps) && !ps[i].At.After(before) {
		i++
	}
	return ps[i:]
}

// pruneRecs drops recommendations older than before; one made at before itself stays, so a window of 0 still keeps
// this tick's own recommendation.
func pruneRecs(rs []rec, before time.Time) []rec {
	i := 0
	for i < len(rs) && rs[i].At.Before(before) {
		i++
	}
	return rs[i:]
}

// maxRec is the highest recommendation in the window: the front of the monotonic queue.
func maxRec(rs []rec) int {
	if len(rs) == 0 {
		return 0
	}
	return rs[0].Count
}

// pushRec adds a recommendation to a service's window, kept as a monotonic queue: a recommendation that a newer,
// higher one outlasts can never be the window's maximum again, so it is dropped. The queue stays short (a handful
// of entries instead of one per tick), which keeps cloning the State cheap. The slice is copied, never shared.
func pushRec(m map[string][]rec, name string, r rec) map[string][]rec {
	if m == nil {
		m = map[string][]rec{}
	}
	q := m[name]
	n := len(q)
	for n > 0 && q[n-1].Count <= r.Count {
		n--
	}
	out := make([]rec, n, n+1)
	copy(out, q[:n])
	m[name] = append(out, r)
	return m
}

func setTime(m map[string]time.Time, name string, t time.Time) map[string]time.Time {
	if m == nil {
		m = map[string]time.Time{}
	}
	m[name] = t
	return m
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// clone copies st so that Decide can append and assign without touching its caller's State.
func (st State) clone() State {
	c := st
	c.History = slices.Clone(st.History)
	c.Recs = make(map[string][]rec, len(st.Recs))
	for k, v := range st.Recs {
		c.Recs[k] = v // pushRec and pruneRecs never write into a shared slice
	}
	c.LastScaleOut = cloneTimes(st.LastScaleOut)
	c.LastScaleIn = cloneTimes(st.LastScaleIn)
	c.OverSince = cloneTimes(st.OverSince)
	return c
}

func cloneTimes(m map[string]time.Time) map[string]time.Time {
	c := make(map[string]time.Time, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
