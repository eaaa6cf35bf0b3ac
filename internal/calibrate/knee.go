package calibrate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Bootstrap and fit constants.
const (
	bootstrapBlock = time.Hour          // periods are resampled in blocks this long: one surge is one piece of evidence
	hingeGrid      = 200                // breakpoints tried by the two-segment fit
	hingeMinSide   = 3                  // weighted periods needed on each side of a breakpoint
	kneeLowQ       = 0.10               // KneeLow's percentile of the bootstrap
	kneeHighQ      = 0.90               // KneeHigh's percentile of the bootstrap
	pcgStream      = 0x9e3779b97f4a7c15 // the PCG generator's second word: any constant, fixed for reproducibility
)

// kneeData is one signal's periods prepared for the knee search: sorted by per-task load, binned, and with the
// lower half of the load set apart as the baseline. The bootstrap reweights it without copying.
type kneeData struct {
	mode     mode
	o        Options
	period   time.Duration
	x        []float64 // per-task load, ascending
	y        []float64 // the signal: latency ms, 5xx fraction or CPU %
	errRate  []float64 // 5xx / requests; 0 where unknown
	errs     []float64 // 5xx count; 0 where unknown, so pooled rates skip those periods
	reqs     []float64 // requests; 0 where the 5xx count is unknown
	errKnown []float64 // 1 where the 5xx count is known, else 0: a weight mask
	cpuOK    []float64 // 1 where the CPU is known and below saturation, else 0: a weight mask
	cpu      []float64
	block    []int // bootstrap block of each period
	nBlocks  int
	hasErrs  bool
	split    int     // periods [0, split) are the lower half of the load: the baseline
	splitX   float64 // the median per-task load
	bins     []binRange
	binByY   [][]int // per bin, its periods ordered by y
	baseByY  []int   // the baseline's periods ordered by y
	hb       hingeBuf
}

// binRange is a bin: periods [lo, hi) of the load-sorted arrays, per-task loads [low, high).
type binRange struct {
	lo, hi    int
	low, high float64
}

// newKneeData prepares sel's periods (at least one) for the knee search.
func newKneeData(sel signalSel, period time.Duration, o Options) *kneeData {
	ps := sel.periods
	n := len(ps)
	blockLen := max(1, int(bootstrapBlock/period))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// Stable, so equal loads stay in time order and the result does not depend on sort internals.
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].x < ps[order[b]].x })

	d := &kneeData{
		mode: sel.mode, o: o, period: period,
		x: make([]float64, n), y: make([]float64, n), errRate: make([]float64, n), errs: make([]float64, n),
		reqs: make([]float64, n), errKnown: make([]float64, n), cpuOK: make([]float64, n), cpu: make([]float64, n),
		block: make([]int, n), nBlocks: (n + blockLen - 1) / blockLen,
	}
	for j, i := range order {
		p := ps[i]
		d.x[j] = p.x
		d.block[j] = i / blockLen
		d.cpu[j] = p.cpu
		if p.hasCPU && p.cpu < cpuSaturated {
			d.cpuOK[j] = 1
		}
		if p.hasErrs {
			d.hasErrs = true
			d.errKnown[j] = 1
			d.errs[j] = p.errs
			d.reqs[j] = p.reqs
			if p.reqs > 0 {
				d.errRate[j] = min(p.errs/p.reqs, 1)
			}
		}
		switch sel.mode {
		case modeLatency:
			d.y[j] = p.lat
		case modeErrors:
			d.y[j] = d.errRate[j]
		case modeCPU:
			d.y[j] = p.cpu
		}
	}
	d.split = (n + 1) / 2
	d.splitX = d.x[d.split-1]
	d.baseByY = byY(d.y, 0, d.split)
	d.bins = makeBins(d.x, o.Bins, o.MinBinPeriods)
	d.binByY = make([][]int, len(d.bins))
	for b, r := range d.bins {
		d.binByY[b] = byY(d.y, r.lo, r.hi)
	}
	return d
}

// byY returns the indices [lo, hi) ordered by y.
func byY(y []float64, lo, hi int) []int {
	idx := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return y[idx[a]] < y[idx[b]] })
	return idx
}

// makeBins splits ascending x into nBins equal-width bins over its range, then merges each bin holding fewer
// than minPeriods periods into the next one up (the last into the one below), so every median rests on enough
// periods while the sparse top of the load, where the knee usually is, keeps as fine a resolution as it can.
func makeBins(x []float64, nBins, minPeriods int) []binRange {
	n := len(x)
	lo, hi := x[0], x[n-1]
	if !(hi > lo) {
		return []binRange{{lo: 0, hi: n, low: lo, high: hi}}
	}
	width := (hi - lo) / float64(nBins)
	var bins []binRange
	cur := binRange{lo: 0, low: lo}
	for j := 1; j <= nBins; j++ {
		edge := lo + float64(j)*width
		end := n
		if j < nBins {
			end = sort.SearchFloat64s(x, edge) // first period at or above the edge
		}
		if end-cur.lo >= minPeriods || j == nBins {
			cur.hi, cur.high = end, edge
			if j == nBins {
				cur.high = hi
			}
			bins = append(bins, cur)
			cur = binRange{lo: end, low: edge}
		}
	}
	// The last bin may be short of periods: merge it into the one below.
	if k := len(bins) - 1; k > 0 && bins[k].hi-bins[k].lo < minPeriods {
		bins[k-1].hi, bins[k-1].high = bins[k].hi, bins[k].high
		bins = bins[:k]
	}
	return bins
}

// wMedian is the weighted (lower) median of y over the indices in order, which are sorted by y; it returns the
// total weight too, and NaN when that is zero.
func wMedian(y []float64, order []int, w []float64) (float64, float64) {
	var total float64
	for _, i := range order {
		total += w[i]
	}
	if total == 0 {
		return math.NaN(), 0
	}
	var acc float64
	for _, i := range order {
		acc += w[i]
		if acc >= total/2 {
			return y[i], total
		}
	}
	return y[order[len(order)-1]], total
}

// pooledErrorRate is Σ 5xx / Σ requests over periods [lo, hi) with a known 5xx count, weighted; ok is false
// when none has one.
func (d *kneeData) pooledErrorRate(lo, hi int, w []float64) (float64, bool) {
	var e, r float64
	for i := lo; i < hi; i++ {
		e += w[i] * d.errs[i]
		r += w[i] * d.reqs[i]
	}
	if r <= 0 {
		return 0, false
	}
	return e / r, true
}

// found is where detect placed the knee: the first degraded bin, what degraded in it, and the rules it was
// judged by.
type found struct {
	bin       int
	signal    string
	baseline  float64 // the mode's signal over the lower half of the load: latency ms, or the 5xx rate
	threshold float64 // the mode's signal beyond which a bin is degraded
	errBase   float64 // the pooled 5xx rate over the lower half of the load; 0 where unknown
	errLimit  float64 // the 5xx rate beyond which a bin is degraded: errorLimit(errBase)
}

// errorLimit is the 5xx rate beyond which a bin is degraded, given the rate base at low load: base +
// MaxErrorRate. The margin is added, not multiplied: errors that do not depend on the load (a broken client, a
// failing dependency) add to those the load causes, so "MaxErrorRate more of the requests fail than at low load"
// means the same at any baseline, where a factor (3 × baseline, say) would let 1.5% more of the requests fail
// unnoticed over a 1% baseline. With no 5xx at low load it is MaxErrorRate, the rule for a clean service. The
// baseline is pooled over the lower half of the load, half the history, so its own noise is small beside the
// margin.
func (d *kneeData) errorLimit(base float64) float64 { return base + d.o.MaxErrorRate }

// detect finds the knee bin under weights w: the first of two consecutive non-empty bins that are degraded, or
// the top bin alone. Only bins reaching above the median load are candidates: the lower half is the baseline.
func (d *kneeData) detect(w []float64) (found, bool) {
	f := found{bin: -1}
	f.errBase, _ = d.pooledErrorRate(0, d.split, w)
	f.errLimit = d.errorLimit(f.errBase)
	switch d.mode {
	case modeLatency:
		f.baseline, _ = wMedian(d.y, d.baseByY, w)
		f.threshold = f.baseline * d.o.LatencyRise
	case modeErrors:
		f.baseline, f.threshold = f.errBase, f.errLimit
	}
	if math.IsNaN(f.baseline) {
		return f, false
	}
	cand, candSignal := -1, ""
	for b, r := range d.bins {
		if r.high <= d.splitX {
			continue
		}
		med, total := wMedian(d.y, d.binByY[b], w)
		if total == 0 {
			continue // resampled away: neither breaks nor extends a run
		}
		signal := ""
		if d.mode == modeLatency && med > f.threshold {
			signal = SignalLatency
		} else if rate, ok := d.pooledErrorRate(r.lo, r.hi, w); ok && rate > f.errLimit {
			signal = Signal5xx
		}
		if signal == "" {
			cand = -1
			continue
		}
		if cand >= 0 {
			f.bin, f.signal = cand, candSignal
			return f, true
		}
		cand, candSignal = b, signal
	}
	if cand >= 0 { // the top non-empty bin, degraded alone
		f.bin, f.signal = cand, candSignal
		return f, true
	}
	return f, false
}

// refine places the knee within the knee bin and the two below it by the two-segment fit of the knee's signal.
// Without a rising fit it falls back to the knee bin's lower edge, reporting hinged = false.
func (d *kneeData) refine(f found, w, scratch []float64) (knee float64, fit Fit, hinged bool) {
	lo := d.bins[max(0, f.bin-2)].low
	hi := d.bins[f.bin].high
	y := d.y
	if f.signal == Signal5xx {
		y = d.errRate
		for i := range w {
			scratch[i] = w[i] * d.errKnown[i]
		}
		w = scratch
	}
	// The fit sees only the neighbourhood of the window, as wide again on each side: on a curve that keeps
	// steepening (queueing), far-off overload minutes would otherwise drag the breakpoint past the onset.
	span := hi - lo
	from := sort.SearchFloat64s(d.x, lo-span)
	to := sort.Search(len(d.x), func(i int) bool { return d.x[i] > hi+span })
	h, ok := hinge(d.x[from:to], y[from:to], w[from:to], lo, hi, &d.hb)
	if !ok {
		return d.bins[f.bin].low, Fit{}, false
	}
	return h.knee, h.fit, true
}

// hingeResult is the best two-segment fit.
type hingeResult struct {
	knee float64
	fit  Fit
	sse  float64
}

// hingeBuf holds hinge's suffix sums between calls, so the bootstrap does not allocate them hundreds of times.
type hingeBuf struct{ s0, s1, s2, sy, sxy []float64 }

// grow returns the buffers resized to n.
func (b *hingeBuf) grow(n int) (s0, s1, s2, sy, sxy []float64) {
	if cap(b.s0) < n {
		b.s0, b.s1, b.s2, b.sy, b.sxy = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	}
	return b.s0[:n], b.s1[:n], b.s2[:n], b.sy[:n], b.sxy[:n]
}

// hinge fits y = a + c·x + b·max(0, x−k) by weighted least squares for each breakpoint k on a grid over [lo, hi]
// and returns the one with the least squared error among those that rise beyond k (b > 0). x is ascending.
// Suffix sums make each breakpoint O(log n), so the bootstrap can afford hundreds of fits.
func hinge(x, y, w []float64, lo, hi float64, buf *hingeBuf) (hingeResult, bool) {
	n := len(x)
	var W, mx, my float64
	for i := range n {
		W += w[i]
		mx += w[i] * x[i]
		my += w[i] * y[i]
	}
	if W <= 2*hingeMinSide {
		return hingeResult{}, false
	}
	mx /= W
	my /= W
	// Suffix sums over centred values (centring keeps the normal equations well conditioned).
	s0, s1, s2, sy, sxy := buf.grow(n + 1)
	s0[n], s1[n], s2[n], sy[n], sxy[n] = 0, 0, 0, 0, 0
	var syy float64
	for i := n - 1; i >= 0; i-- {
		xc, yc := x[i]-mx, y[i]-my
		s0[i] = s0[i+1] + w[i]
		s1[i] = s1[i+1] + w[i]*xc
		s2[i] = s2[i+1] + w[i]*xc*xc
		sy[i] = sy[i+1] + w[i]*yc
		sxy[i] = sxy[i+1] + w[i]*xc*yc
		syy += w[i] * yc * yc
	}
	best := hingeResult{sse: math.Inf(1)}
	steps := hingeGrid
	if !(hi > lo) {
		steps = 0
	}
	for s := 0; s <= steps; s++ {
		k := lo
		if steps > 0 {
			k = lo + (hi-lo)*float64(s)/float64(steps)
		}
		j := sort.Search(n, func(i int) bool { return x[i] > k })
		if s0[j] < hingeMinSide || W-s0[j] < hingeMinSide {
			continue
		}
		kc := k - mx
		sh := s1[j] - kc*s0[j]
		shh := s2[j] - 2*kc*s1[j] + kc*kc*s0[j]
		sxh := s2[j] - kc*s1[j]
		shy := sxy[j] - kc*sy[j]
		beta, ok := solve3([3][3]float64{
			{W, s1[0], sh},
			{s1[0], s2[0], sxh},
			{sh, sxh, shh},
		}, [3]float64{sy[0], sxy[0], shy})
		if !ok || !(beta[2] > 0) {
			continue
		}
		sse := syy - (beta[0]*sy[0] + beta[1]*sxy[0] + beta[2]*shy)
		if sse < best.sse {
			best = hingeResult{
				knee: k,
				fit:  Fit{Intercept: my + beta[0] - beta[1]*mx, Slope: beta[1], SlopeAbove: beta[2]},
				sse:  sse,
			}
		}
	}
	return best, !math.IsInf(best.sse, 1)
}

// solve3 solves A·β = r by Gaussian elimination with partial pivoting; ok is false when A is (near) singular.
func solve3(a [3][3]float64, r [3]float64) ([3]float64, bool) {
	var scale float64
	for i := range 3 {
		for j := range 3 {
			scale = max(scale, math.Abs(a[i][j]))
		}
	}
	if scale == 0 {
		return [3]float64{}, false
	}
	for c := range 3 {
		p := c
		for i := c + 1; i < 3; i++ {
			if math.Abs(a[i][c]) > math.Abs(a[p][c]) {
				p = i
			}
		}
		if math.Abs(a[p][c]) <= 1e-12*scale {
			return [3]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		r[c], r[p] = r[p], r[c]
		for i := c + 1; i < 3; i++ {
			f := a[i][c] / a[c][c]
			for j := c; j < 3; j++ {
				a[i][j] -= f * a[c][j]
			}
			r[i] -= f * r[c]
		}
	}
	var beta [3]float64
	for i := 2; i >= 0; i-- {
		s := r[i]
		for j := i + 1; j < 3; j++ {
			s -= a[i][j] * beta[j]
		}
		beta[i] = s / a[i][i]
	}
	return beta, true
}

// linearFit fits y = a + c·x by weighted least squares; ok is false without spread in x.
func linearFit(x, y, w []float64) (a, c float64, ok bool) {
	var W, mx, my float64
	for i := range x {
		W += w[i]
		mx += w[i] * x[i]
		my += w[i] * y[i]
	}
	if W < 2 {
		return 0, 0, false
	}
	mx /= W
	my /= W
	var sxx, sxy float64
	for i := range x {
		sxx += w[i] * (x[i] - mx) * (x[i] - mx)
		sxy += w[i] * (x[i] - mx) * (y[i] - my)
	}
	if !(sxx > 1e-12*W*max(1, mx*mx)) {
		return 0, 0, false
	}
	c = sxy / sxx
	return my - c*mx, c, true
}

// bootstrap draws o.Bootstrap block-resampled weightings of the periods and returns each one's knee.
func (d *kneeData) bootstrap(knee func(w []float64) float64) []float64 {
	rng := rand.New(rand.NewPCG(d.o.Seed, pcgStream))
	counts := make([]float64, d.nBlocks)
	w := make([]float64, len(d.x))
	knees := make([]float64, 0, d.o.Bootstrap)
	for range d.o.Bootstrap {
		clear(counts)
		for range d.nBlocks {
			counts[rng.IntN(d.nBlocks)]++
		}
		for i, b := range d.block {
			w[i] = counts[b]
		}
		knees = append(knees, knee(w))
	}
	return knees
}

// quantile returns the q-quantile of sorted v, interpolating linearly.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[i] + (v[i+1]-v[i])*(pos-float64(i))
}

// ones returns n weights of 1: every period once.
func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// estimateKnee finds the knee in latency (with 5xx) or in 5xx alone.
func (d *kneeData) estimateKnee(service string) (Recommendation, error) {
	n := len(d.x)
	w := ones(n)
	scratch := make([]float64, n)
	maxX := d.x[n-1]
	f, ok := d.detect(w)
	if !ok {
		return Recommendation{}, &InsufficientDataError{
			Service: service, Shortfall: KneeNotReached, Have: maxX, Period: d.period, Detail: d.stayedBelow(f),
		}
	}
	knee, fit, hinged := d.refine(f, w, scratch)
	if upper := n - d.bins[f.bin].lo; upper < d.o.MinUpperPeriods {
		return Recommendation{}, &InsufficientDataError{
			Service: service, Shortfall: FewPeriodsBeyondKnee, Have: float64(upper), Need: float64(d.o.MinUpperPeriods),
			Knee: knee, Period: d.period,
			Detail: fmt.Sprintf("%s degraded from the bin at %s–%s rps per task", f.signal,
				formatRPS(math.Round(d.bins[f.bin].low)), formatRPS(math.Round(d.bins[f.bin].high))),
		}
	}

	failed := 0
	knees := d.bootstrap(func(bw []float64) float64 {
		bf, ok := d.detect(bw)
		if !ok {
			failed++
			return maxX // the knee is above the load this replicate saw: count it at its lower bound
		}
		k, _, _ := d.refine(bf, bw, scratch)
		return k
	})
	slices.Sort(knees)

	rec := Recommendation{
		Knee:     knee,
		KneeLow:  min(quantile(knees, kneeLowQ), knee),
		KneeHigh: max(quantile(knees, kneeHighQ), knee),
		Signal:   f.signal,
	}
	ev := &rec.Evidence
	ev.MaxPerTaskLoad = maxX
	ev.PeriodsBeyondKnee = n - sort.Search(n, func(i int) bool { return d.x[i] > knee })
	ev.Baseline, ev.Threshold = f.baseline, f.threshold
	if f.signal == Signal5xx {
		ev.Baseline, ev.Threshold = f.errBase, f.errLimit
	}
	ev.Fit = fit
	ev.Bins = d.binSummaries()
	ev.Bootstrap = d.o.Bootstrap
	ev.Notes = append(ev.Notes, d.signalNote(f))
	if n := d.errorBaselineNote(f); n != "" {
		ev.Notes = append(ev.Notes, n)
	}
	if hinged {
		rise, unit := fit.SlopeAbove, "ms"
		if f.signal == Signal5xx {
			rise, unit = 100*rise, "percentage points of 5xx"
		}
		ev.Notes = append(ev.Notes, fmt.Sprintf("knee refined by a two-segment least-squares fit over %s–%s rps per task: "+
			"beyond %s the %s rises %.3g %s per extra rps per task", formatRPS(math.Round(d.bins[max(0, f.bin-2)].low)),
			formatRPS(math.Round(d.bins[f.bin].high)), formatRPS(math.Round(knee)), f.signal, rise, unit))
	} else {
		ev.Notes = append(ev.Notes, fmt.Sprintf("the two-segment fit found no rise; knee = lower edge of the first degraded bin, %s rps per task",
			formatRPS(math.Round(knee))))
	}
	ev.Notes = append(ev.Notes, d.spreadNote(failed, maxX))
	return rec, nil
}

// estimateCPU places the knee where a linear fit of CPU on per-task load reaches TargetCPU.
func (d *kneeData) estimateCPU(service string) (Recommendation, error) {
	n := len(d.x)
	maxX := d.x[n-1]
	a, c, ok := linearFit(d.x, d.cpu, d.cpuOK)
	switch {
	case !ok:
		return Recommendation{}, fmt.Errorf("calibrating %s: CPU cannot be fitted on per-task load: the load never varied "+
			"(or CPU was always above %d%%)", serviceName(service), cpuSaturated)
	case !(c > 0):
		return Recommendation{}, fmt.Errorf("calibrating %s: CPU does not rise with per-task load (%.3g %% per rps per task): "+
			"CPU cannot place the knee", serviceName(service), c)
	}
	target := d.o.TargetCPU
	knee := (target - a) / c
	if !(knee > 0) {
		return Recommendation{}, fmt.Errorf("calibrating %s: CPU is above %g%% even without load (fit: %.1f%% + %.3g%% per rps per task)",
			serviceName(service), target, a, c)
	}
	base, _ := wMedian(d.y, d.baseByY, ones(n))
	if knee > maxX {
		return Recommendation{}, &InsufficientDataError{
			Service: service, Shortfall: KneeNotReached, Have: maxX, Period: d.period,
			Detail: fmt.Sprintf("CPU's fit reaches %g%% only at about %s rps per task (median CPU %.0f%% over the lower half of the load)",
				target, formatRPS(math.Round(knee)), base),
		}
	}
	kb := len(d.bins) - 1
	for b, r := range d.bins {
		if knee < r.high {
			kb = b
			break
		}
	}
	if upper := n - d.bins[kb].lo; upper < d.o.MinUpperPeriods {
		return Recommendation{}, &InsufficientDataError{
			Service: service, Shortfall: FewPeriodsBeyondKnee, Have: float64(upper), Need: float64(d.o.MinUpperPeriods),
			Knee: knee, Period: d.period, Detail: fmt.Sprintf("CPU's fit reaches %g%% at that load", target),
		}
	}

	failed := 0
	mask := make([]float64, n)
	knees := d.bootstrap(func(w []float64) float64 {
		for i := range w {
			mask[i] = w[i] * d.cpuOK[i]
		}
		a, c, ok := linearFit(d.x, d.cpu, mask)
		if !ok || !(c > 0) {
			failed++
			return maxX
		}
		return min(max((target-a)/c, 0), maxX)
	})
	slices.Sort(knees)

	rec := Recommendation{
		Knee:     knee,
		KneeLow:  min(quantile(knees, kneeLowQ), knee),
		KneeHigh: max(quantile(knees, kneeHighQ), knee),
		Signal:   SignalCPU,
	}
	ev := &rec.Evidence
	ev.MaxPerTaskLoad = maxX
	ev.PeriodsBeyondKnee = n - sort.Search(n, func(i int) bool { return d.x[i] > knee })
	ev.Baseline, ev.Threshold = base, target
	ev.CPUAtKnee = target
	ev.Fit = Fit{Intercept: a, Slope: c}
	ev.Bins = d.binSummaries()
	ev.Bootstrap = d.o.Bootstrap
	ev.Notes = append(ev.Notes,
		fmt.Sprintf("knee found in CPU: a linear fit (%.1f%% + %.3g%% per rps per task, periods above %d%% CPU left out as saturated) reaches the %g%% target at %s rps per task",
			a, c, cpuSaturated, target, formatRPS(math.Round(knee))),
		d.spreadNote(failed, maxX)+fmt.Sprintf("; it says how precisely CPU's fit reaches %g%%, not whether the service "+
			"degrades there", target))
	return rec, nil
}

// binSummaries describes every bin with all periods counted once.
func (d *kneeData) binSummaries() []Bin {
	w := ones(len(d.x))
	out := make([]Bin, len(d.bins))
	for b, r := range d.bins {
		med, _ := wMedian(d.y, d.binByY[b], w)
		rate, _ := d.pooledErrorRate(r.lo, r.hi, w)
		out[b] = Bin{Low: r.low, High: r.high, Periods: r.hi - r.lo, Median: med, ErrorRate: rate}
	}
	return out
}

// signalNote says which signal placed the knee and by what rule.
func (d *kneeData) signalNote(f found) string {
	low := formatRPS(math.Round(d.splitX))
	switch d.mode {
	case modeLatency:
		found := "latency"
		if f.signal == Signal5xx {
			found = "5xx rate, before latency rose"
		}
		errRule := ""
		if d.hasErrs {
			errRule = ", or its 5xx rate exceeds " + d.errorRule(f)
		}
		return fmt.Sprintf("knee found in the %s; baseline latency %.1f ms (median over the lower half of the load, up to %s rps per task); "+
			"a bin is degraded when its median latency exceeds %.1f ms (%g × baseline)%s",
			found, f.baseline, low, f.threshold, d.o.LatencyRise, errRule)
	default:
		return fmt.Sprintf("knee found in the 5xx rate; baseline 5xx rate %.3g%% (lower half of the load, up to %s rps per task); "+
			"a bin is degraded when its 5xx rate exceeds %s", 100*f.errBase, low, d.errorRule(f))
	}
}

// errorRule states the 5xx rate that marks a degraded bin, and how it follows from the baseline.
func (d *kneeData) errorRule(f found) string {
	if f.errBase == 0 {
		return fmt.Sprintf("%.3g%% (none at low load + %g percentage points)", 100*f.errLimit, 100*d.o.MaxErrorRate)
	}
	return fmt.Sprintf("%.3g%% (%.3g%% at low load + %g percentage points)", 100*f.errLimit, 100*f.errBase, 100*d.o.MaxErrorRate)
}

// errorBaselineNote warns, when the 5xx rate at low load is already above MaxErrorRate, that these errors are
// not the load's doing; it is empty otherwise.
func (d *kneeData) errorBaselineNote(f found) string {
	if !(f.errBase > d.o.MaxErrorRate) {
		return ""
	}
	return fmt.Sprintf("5xx at low load: %.3g%% of the requests fail over the lower half of the load, above the %g%% that marks "+
		"degradation, so these errors are not the load's doing (a failing dependency or client?); only a rise beyond %.3g%% "+
		"counts as degradation", 100*f.errBase, 100*d.o.MaxErrorRate, 100*f.errLimit)
}

// stayedBelow says, for a refusal, that the signal never degraded.
func (d *kneeData) stayedBelow(f found) string {
	if d.mode == modeErrors {
		return fmt.Sprintf("the 5xx rate stayed below %s at every load seen", d.errorRule(f))
	}
	errPart := ""
	if d.hasErrs {
		errPart = " and the 5xx rate below " + d.errorRule(f)
	}
	return fmt.Sprintf("median latency stayed below %g × its low-load median of %.1f ms%s at every load seen",
		d.o.LatencyRise, f.baseline, errPart)
}

// spreadNote says how KneeLow and KneeHigh were obtained.
func (d *kneeData) spreadNote(failed int, maxX float64) string {
	s := fmt.Sprintf("spread: %g–%g%% percentiles of %d bootstrap replicates resampling %s blocks of periods (seed %d)",
		100*kneeLowQ, 100*kneeHighQ, d.o.Bootstrap, bootstrapBlock, d.o.Seed)
	if failed > 0 {
		s += fmt.Sprintf("; %d replicates found no knee within their load and count at the highest load seen, %s rps per task",
			failed, formatRPS(math.Round(maxX)))
	}
	return s
}

// cpuAt returns the CPU % a linear fit of CPU on per-task load gives at x, over every usable period with CPU;
// 0 when there is no such fit.
func cpuAt(ps []obs, x float64) float64 {
	var xs, ys, ws []float64
	for _, p := range ps {
		if p.hasCPU && p.cpu < cpuSaturated {
			xs, ys, ws = append(xs, p.x), append(ys, p.cpu), append(ws, 1)
		}
	}
	a, c, ok := linearFit(xs, ys, ws)
	if !ok {
		return 0
	}
	return max(a+c*x, 0)
}
