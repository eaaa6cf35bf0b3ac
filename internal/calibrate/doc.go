// Package calibrate estimates, from a service's recorded history, the requests/s one task serves before it
// degrades (the knee), and recommends FASTSCALER_CAPACITY from it: the knee times a safety margin.
//
// The method is meant to be explained to the SRE who changes the setting:
//
//  1. Align the series on their common periods; drop periods with missing data or no running task.
//     Per-task load x = request rate reaching the service / running tasks.
//  2. Split x into equal-width bins (sparse bins merged until each holds enough periods) and take each bin's
//     median latency and pooled 5xx rate. The baselines are the median latency and the pooled 5xx rate of the
//     lower half of the load.
//  3. The knee bin is the first of two consecutive bins (or the top bin) whose median latency exceeds the
//     baseline × LatencyRise, or whose 5xx rate exceeds the baseline 5xx rate + MaxErrorRate (errors that are
//     there at any load are not the load's doing).
//  4. Refine within that bin and the two below it: a continuous two-segment (hinge) least-squares fit of the
//     signal on x, y = a + c·x + b·max(0, x−k), over a grid of breakpoints k.
//  5. Spread: a seeded block bootstrap (blocks of an hour of periods, since neighbouring minutes, such as
//     the minutes of one surge, are one piece of evidence, not many) repeats steps 2–4; KneeLow and KneeHigh
//     are its 10th and 90th percentiles.
//
// Without latency and 5xx data it falls back to CPU: the x at which a linear fit of CPU on x reaches TargetCPU.
// It refuses (InsufficientDataError) rather than guess: too short a history, a load that never reached the
// knee (only a lower bound is known then), or too few periods beyond it.
//
// Estimate, WriteChart and ExportTrace are pure; queries.go alone knows CloudWatch: the GetMetricData queries
// that read the history and the assembly of their results into History values. Synth generates histories with a
// known knee, for the tests of this package and of `fastscaler calibrate`.
package calibrate
