package sim

import "time"

// Trace is an offered load, one value per second.
type Trace struct {
	Name   string
	Start  time.Time // wall-clock time of RPS[0]; zero for traces given in seconds
	RPS    []float64 // requests per second offered to the NLB, second by second
	Floors []Floor   // pre-scale floors an SRE set during the trace
}

// Duration is the trace's length.
func (t Trace) Duration() time.Duration { return time.Duration(len(t.RPS)) * time.Second }

// Floor is a pre-scale floor on one service during a trace.
type Floor struct {
	Service string
	Count   int
	From    time.Duration // offset from the trace's start
	Until   time.Duration
}

// Point is one second of one policy's run.
type Point struct {
	Load     float64 // offered requests/s
	Capacity float64 // requests/s the ready fleet could serve end to end (router and backends) at 100% CPU
	Unserved float64 // requests/s answered 503 (or dropped)
	// RouterServed is the requests/s the routers served, what their stub_status request counters count: Load
	// (the true demand) until they saturate, then their capacity at 100% CPU.
	RouterServed float64
}

// Summary is one policy's outcome over a trace.
type Summary struct {
	Policy          string  `json:"policy"`
	Requests        float64 `json:"requests"`
	Unserved        float64 `json:"unserved"`
	UnservedPct     float64 `json:"unserved_pct"`
	SecondsWith503  int     `json:"seconds_with_503"`
	PeakUnservedRPS float64 `json:"peak_unserved_rps"`
	// FirstScaleOutSecs is from the load first exceeding the starting capacity (negative: before it); nil if it
	// never did, there was no scale-out, or the trace has several surges (Result.SurgeScaleOuts says it per surge).
	FirstScaleOutSecs *float64 `json:"first_scale_out_s"`
	TaskMinutes       float64  `json:"task_minutes"`
	CostVsOracle      float64  `json:"cost_vs_oracle"` // task-minutes ÷ the oracle's; 0 when no oracle ran
	ScalingActions    int      `json:"scaling_actions"`
	FalseScaleOuts    int      `json:"false_scale_outs"` // scale-outs not needed within the following lead time
	// LaunchesDelayed task launches waited for Fargate's launch rate limit, the longest MaxLaunchDelaySecs.
	LaunchesDelayed    int     `json:"launches_delayed"`
	MaxLaunchDelaySecs float64 `json:"max_launch_delay_s"`
}

// Result is one policy's run.
type Result struct {
	Summary  Summary
	Points   []Point         // one per second of the trace
	Services []string        // the scaled services, sorted
	Tasks    [][]int32       // per service (as Services), per second: tasks launched (running or starting), what is billed
	Ready    [][]int32       // per service, per second: tasks serving
	Launch   LaunchStats     // what Fargate's launch rate limit did to this policy's launches
	Restarts []time.Duration // when the fastscaler daemon restarted (Config.RestartAt), from the trace's start
	// SurgeScaleOuts is, when the trace has several surges (Surges), per surge the seconds from its start to the
	// policy's first scale-out at or after it and before the next one; nil where there was none.
	SurgeScaleOuts []*float64
}
