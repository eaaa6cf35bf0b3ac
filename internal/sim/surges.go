package sim

import (
	"math"
	"time"
)

// How Surges finds a surge, in seconds and ratios of the offered load.
const (
	surgeWindow   = 60  // the load's recent level: its mean over the last minute ...
	surgeBaseline = 300 // ... against its mean over the 5 minutes before that minute
	surgeRatio    = 1.5 // a surge: the recent level at least this times the baseline
	// surgeOnset places a surge's start: the first second of the run, leading into the detection, whose load
	// (its mean over the 10 seconds up to it, to see past noise) is at least this times the baseline.
	surgeOnset       = 1.1
	surgeOnsetWindow = 10
)

// Surges returns when each surge of the offered load starts, from the trace's start. A surge is a rise of the
// load's 1-minute mean to at least 1.5× its mean over the 5 minutes before that minute; it starts at the first
// second of the rise from which the load (its mean over the 10 seconds up to it) stayed at 1.1× that baseline
// or more. Another surge is found only once the
// 1-minute mean has fallen below 1.5× its baseline again. The baseline is what there is of the 5 minutes, at
// least a minute, and a load from nothing has none; a blip of a few seconds, or a rise over half an hour, is no
// surge.
func Surges(rps []float64) []time.Duration {
	n := len(rps)
	sum := make([]float64, n+1) // sum[i] is the load of seconds [0, i)
	for i, v := range rps {
		sum[i+1] = sum[i] + v
	}
	mean := func(from, to int) float64 { return (sum[to] - sum[from]) / float64(to-from) }

	var out []time.Duration
	armed := true
	// s is the end (exclusive) of the recent minute; the baseline needs at least a minute before it.
	for s := 2 * surgeWindow; s <= n; s++ {
		from := max(0, s-surgeWindow-surgeBaseline)
		base := mean(from, s-surgeWindow)
		surging := mean(s-surgeWindow, s) >= surgeRatio*base && base > 0
		if !surging {
			armed = true
			continue
		}
		if !armed {
			continue
		}
		armed = false
		// Walk back from the detection while the load up to each second stays above the onset level.
		upTo := func(t int) float64 { return mean(max(0, t+1-surgeOnsetWindow), t+1) }
		start := s - 1
		for start > from && upTo(start-1) >= surgeOnset*base {
			start--
		}
		out = append(out, time.Duration(start)*time.Second)
	}
	return out
}

// surgeScaleOuts returns, per surge, the seconds from its start to the first of ups (scale-outs, in any order) at
// or after it and before the next surge; nil where there is none.
func surgeScaleOuts(ups []time.Duration, surges []time.Duration) []*float64 {
	out := make([]*float64, len(surges))
	for i, start := range surges {
		end := time.Duration(math.MaxInt64)
		if i+1 < len(surges) {
			end = surges[i+1]
		}
		first := time.Duration(-1)
		for _, at := range ups {
			if at >= start && at < end && (first < 0 || at < first) {
				first = at
			}
		}
		if first >= 0 {
			v := (first - start).Seconds()
			out[i] = &v
		}
	}
	return out
}
